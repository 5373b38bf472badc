"""What a bidder signs for TenderRegistry: tender ids and the EIP-712 bid and withdrawal.

Pure helpers that need no node: a bidder runs them on their own machine, signs with
their own key and hands the signature to the service, which relays it and pays the gas
but cannot forge, alter or replay it.
"""

from __future__ import annotations

from typing import Any

from eth_utils.crypto import keccak

from ledger_service.chain.abi_values import address as _address
from ledger_service.chain.abi_values import bytes32 as _bytes32
from ledger_service.chain.eip712 import DOMAIN_TYPE
from ledger_service.core.errors import MalformedInput

EIP712_NAME = "ChainWitness TenderRegistry"
EIP712_VERSION = "1"
UINT64_MAX = 2**64 - 1
_BID_TYPE = [
    {"name": "tenderId", "type": "bytes32"},
    {"name": "bidder", "type": "address"},
    {"name": "ciphertextDigest", "type": "bytes32"},
    {"name": "plaintextCommitment", "type": "bytes32"},
    {"name": "envelopeDigest", "type": "bytes32"},
    {"name": "nonce", "type": "uint64"},
]
_WITHDRAWAL_TYPE = [
    {"name": "tenderId", "type": "bytes32"},
    {"name": "bidder", "type": "address"},
    {"name": "nonce", "type": "uint64"},
]


def tender_id_bytes(tender_code: str) -> bytes:
    """The on-chain id of a tender: keccak256 of its code's UTF-8 bytes (32 bytes).

    The code is hashed exactly as given, with no trimming, case folding or Unicode
    normalisation: ``"CW-2025-001"`` and ``"cw-2025-001"`` are different tenders, so
    callers pass the canonical code from the tender notice.

    Raises:
        MalformedInput: the code is empty.
    """
    if not tender_code:
        raise MalformedInput("expected a non-empty tender code, found an empty string")
    return keccak(tender_code.encode("utf-8"))


def nonce_value(nonce: int) -> int:
    if type(nonce) is not int or not 1 <= nonce <= UINT64_MAX:
        raise MalformedInput(f"expected a nonce in [1, 2**64 - 1], found {nonce!r}")
    return nonce


def registry_domain(chain_id: int, contract: str) -> dict[str, Any]:
    if type(chain_id) is not int or chain_id <= 0:
        raise MalformedInput(f"expected a chain id > 0, found {chain_id!r}")
    return {
        "name": EIP712_NAME,
        "version": EIP712_VERSION,
        "chainId": chain_id,
        "verifyingContract": _address("the registry address", contract),
    }


def bid_typed_data(
    chain_id: int,
    contract: str,
    tender_id: bytes,
    bidder: str,
    ciphertext_digest: bytes,
    plaintext_commitment: bytes,
    envelope_digest: bytes,
    nonce: int,
) -> dict[str, Any]:
    """The EIP-712 ``Bid`` message for ``submitBid`` on registry ``contract``.

    ``nonce`` must exceed the bidder's last nonce in this tender (see
    :meth:`TenderRegistryContract.get_bid`); a higher nonce replaces the earlier bid.

    Raises:
        MalformedInput: a digest or the tender id is not 32 bytes, an address is
            malformed, ``chain_id`` <= 0 or ``nonce`` outside [1, 2**64 - 1].
    """
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Bid": _BID_TYPE},
        "primaryType": "Bid",
        "domain": registry_domain(chain_id, contract),
        "message": {
            "tenderId": "0x" + _bytes32("tender_id", tender_id).hex(),
            "bidder": _address("bidder", bidder),
            "ciphertextDigest": "0x" + _bytes32("ciphertext_digest", ciphertext_digest).hex(),
            "plaintextCommitment": "0x"
            + _bytes32("plaintext_commitment", plaintext_commitment).hex(),
            "envelopeDigest": "0x" + _bytes32("envelope_digest", envelope_digest).hex(),
            "nonce": nonce_value(nonce),
        },
    }


def withdrawal_typed_data(
    chain_id: int, contract: str, tender_id: bytes, bidder: str, nonce: int
) -> dict[str, Any]:
    """The EIP-712 ``Withdrawal`` message for ``withdrawBid`` on registry ``contract``.

    Bids and withdrawals share one nonce sequence per bidder and tender.

    Raises:
        MalformedInput: as for :func:`bid_typed_data`.
    """
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Withdrawal": _WITHDRAWAL_TYPE},
        "primaryType": "Withdrawal",
        "domain": registry_domain(chain_id, contract),
        "message": {
            "tenderId": "0x" + _bytes32("tender_id", tender_id).hex(),
            "bidder": _address("bidder", bidder),
            "nonce": nonce_value(nonce),
        },
    }
