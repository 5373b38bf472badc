"""EIP-712 typed data: digest, sign and recover, in the JSON shape of ``eth_signTypedData_v4``.

Pure: a signer runs these on its own machine with its own key.
"""

from __future__ import annotations

from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_account.signers.local import LocalAccount
from eth_typing import ChecksumAddress
from eth_utils.crypto import keccak
from eth_utils.exceptions import ValidationError as EthValidationError

from ledger_service.core.errors import MalformedInput

DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


def encode_typed(typed: dict[str, Any]) -> Any:
    try:
        return encode_typed_data(full_message=typed)
    except (ValueError, TypeError, KeyError) as exc:
        raise MalformedInput(f"expected EIP-712 typed data, found: {exc}") from exc


def typed_data_digest(typed: dict[str, Any]) -> bytes:
    """The 32-byte EIP-712 digest of ``typed`` (what the contract's bidDigest returns)."""
    message = encode_typed(typed)
    return keccak(b"\x19" + message.version + message.header + message.body)


def sign_typed(account: LocalAccount, typed: dict[str, Any]) -> bytes:
    """Sign ``typed`` with ``account``; returns 65 bytes r || s || v (v 27 or 28, low s).

    Raises:
        MalformedInput: ``typed`` is not valid EIP-712 typed data.
    """
    return bytes(account.sign_message(encode_typed(typed)).signature)


def recover_typed_signer(typed: dict[str, Any], signature: bytes) -> ChecksumAddress:
    """The address whose key made ``signature`` over ``typed``, e.g. to check a bid
    before paying gas to relay it.

    Raises:
        MalformedInput: malformed typed data or signature.
    """
    message = encode_typed(typed)
    if not isinstance(signature, bytes) or len(signature) != 65:
        found = (
            f"{len(signature)} bytes" if isinstance(signature, bytes) else type(signature).__name__
        )
        raise MalformedInput(f"expected a 65-byte ECDSA signature, found {found}")
    try:
        signer: ChecksumAddress = Account.recover_message(message, signature=signature)
    except (ValueError, TypeError, EthValidationError) as exc:
        raise MalformedInput(f"expected a valid ECDSA signature, found: {exc}") from exc
    return signer
