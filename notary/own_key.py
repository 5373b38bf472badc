"""Decisions the notary signs with its own key, on its own machine (the notary page).

The service never holds the key: it receives

* the certificate (compact JWS, ``notary.certificate``) with the notary's signed
  ``registerCertificate`` transaction, which it only broadcasts;
* a rejection as an EIP-712 ``Rejection`` signed by the notary;
* a revocation as the notary's signed ``revokeCertificate`` transaction.

This module checks what it is handed, with no I/O: who signed (:func:`authorized`
names both addresses when it is not the authorized notary), and that a raw
transaction is exactly the one call it must be, to the pinned registry, before the
service relays it. Raw transactions are legacy EIP-155 (RLP) ones, as the page signs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import rlp  # eth-account's own RLP codec
from eth_abi.abi import encode as abi_encode
from eth_account import Account
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from ledger_service.chain.eip712 import DOMAIN_TYPE, recover_typed_signer
from ledger_service.core.errors import Forbidden, MalformedInput, VerificationFailed

__all__ = [
    "MAX_RAW_TX_BYTES", "REJECTION_DOMAIN", "RawCall", "authorized", "check_call", "decode_call",
    "register_calldata", "rejection_signer", "rejection_typed_data", "revoke_calldata",
]  # fmt: skip

MAX_RAW_TX_BYTES = 4096
REJECTION_DOMAIN = ("ChainWitness Notary", "1")
_REJECTION_TYPE = [
    {"name": "requestId", "type": "uint64"},
    {"name": "packageDigest", "type": "bytes32"},
    {"name": "reason", "type": "string"},
]


def _address(value: str) -> str:
    """An address from an address or a ``did:pkh:eip155:<chain>:<address>``."""
    return str(to_checksum_address(value.rsplit(":", 1)[-1]))


def authorized(signer: str, pinned: str | None, on_chain_active: bool, what: str) -> None:
    """Refuse ``signer`` unless it is the pinned notary (when one is pinned) and an
    active notary on NotaryRegistry. Raises Forbidden naming both keys."""
    if pinned is not None and _address(pinned) != _address(signer):
        raise Forbidden(
            f"{what}: expected the signature of the authorized notary {_address(pinned)}, "
            f"found one by {_address(signer)}"
        )
    if not on_chain_active:
        raise Forbidden(
            f"{what}: expected a notary authorized on NotaryRegistry, found {signer} not in office"
        )


def register_calldata(cert_digest: bytes, package_digest: bytes, size: int, root: bytes) -> bytes:
    """The calldata of ``registerCertificate(certDigest, packageDigest, treeSize, treeRoot)``."""
    return keccak(b"registerCertificate(bytes32,bytes32,uint64,bytes32)")[:4] + abi_encode(
        ["bytes32", "bytes32", "uint64", "bytes32"], [cert_digest, package_digest, size, root]
    )


def revoke_calldata(cert_digest: bytes, reason_code: int) -> bytes:
    """The calldata of ``revokeCertificate(certDigest, reasonCode)``."""
    return keccak(b"revokeCertificate(bytes32,uint8)")[:4] + abi_encode(
        ["bytes32", "uint8"], [cert_digest, reason_code]
    )


@dataclass(frozen=True)
class RawCall:
    """A signed legacy transaction, decoded: who signed it, to which contract, what call."""

    raw: bytes
    sender: str
    to: str
    value: int
    data: bytes
    chain_id: int


def decode_call(raw: bytes) -> RawCall:
    """Decode a signed legacy EIP-155 transaction.

    Raises:
        MalformedInput: not an RLP list of the nine legacy fields, no EIP-155 chain id,
            or a signature that recovers no key.
    """
    if not 0 < len(raw) <= MAX_RAW_TX_BYTES:
        raise MalformedInput(f"transaction: expected 1..{MAX_RAW_TX_BYTES} bytes, found {len(raw)}")
    try:
        fields = rlp.decode(raw)
    except Exception as exc:  # rlp raises its own DecodingError family
        raise MalformedInput(f"transaction: expected RLP, found other bytes ({exc})") from None
    if (
        not isinstance(fields, list)
        or len(fields) != 9
        or not all(isinstance(f, bytes) for f in fields)
    ):
        raise MalformedInput("transaction: expected a signed legacy transaction of nine fields")
    to, value, data, v = (
        fields[3],
        int.from_bytes(fields[4], "big"),
        fields[5],
        int.from_bytes(fields[6], "big"),
    )
    if len(to) != 20 or v < 37:
        raise MalformedInput("transaction: expected a contract call with an EIP-155 chain id")
    try:
        sender = Account.recover_transaction(raw)
    except Exception as exc:  # eth-account's own errors for a bad signature
        raise MalformedInput(
            f"transaction: expected a valid signature, found none ({exc})"
        ) from None
    return RawCall(raw, str(sender), str(to_checksum_address(to)), value, data, (v - 35) // 2)


def check_call(
    call: RawCall, *, sender: str, to: str, chain_id: int, data: bytes, what: str
) -> None:
    """Refuse ``call`` unless it is exactly ``data`` to ``to`` on ``chain_id``, signed by
    ``sender``, sending no value. Raises Forbidden (another signer) or VerificationFailed."""
    if _address(call.sender) != _address(sender):
        raise Forbidden(
            f"{what}: expected a transaction signed by the notary {_address(sender)}, "
            f"found one signed by {call.sender}"
        )
    if call.chain_id != chain_id or _address(call.to) != _address(to):
        raise VerificationFailed(
            f"{what}: expected a transaction to NotaryRegistry {to} on chain {chain_id}, "
            f"found one to {call.to} on chain {call.chain_id}"
        )
    if call.value != 0 or call.data != data:
        raise VerificationFailed(
            f"{what}: expected the call 0x{data.hex()[:8]}... of this certificate sending no "
            f"value, found 0x{call.data.hex()[:8]}... with value {call.value}"
        )


def rejection_typed_data(
    chain_id: int, registry: str, request_id: int, package_digest: str, reason: str
) -> dict[str, Any]:
    """The EIP-712 ``Rejection`` a notary signs to reject request ``request_id``."""
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Rejection": _REJECTION_TYPE},
        "primaryType": "Rejection",
        "domain": {"name": REJECTION_DOMAIN[0], "version": REJECTION_DOMAIN[1],
                   "chainId": chain_id, "verifyingContract": _address(registry)},
        "message": {"requestId": request_id, "packageDigest": "0x" + package_digest,
                    "reason": reason},
    }  # fmt: skip


def rejection_signer(typed: dict[str, Any], signature: bytes) -> str:
    """The address that signed the Rejection. Raises MalformedInput."""
    if len(signature) != 65:
        raise MalformedInput(f"signature: expected 65 bytes r || s || v, found {len(signature)}")
    return str(recover_typed_signer(typed, signature))
