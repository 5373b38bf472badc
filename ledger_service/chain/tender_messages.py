"""What a bidder signs for TenderRegistry 2: tender ids, commitments, EIP-712 messages.

Pure helpers that need no node: a bidder runs them on their own machine, signs with
their own keys and hands the signatures to the service, which relays them and pays
the gas but cannot forge, alter or replay them.

A bid is sealed under a per-tender **pseudonym** (a fresh account only its bidder
holds): ``SealedBid(tenderId, pseudonym, commitment, nonce)`` signed by the pseudonym,
where ``commitment`` hides the bidder and the digests behind a random salt
(:func:`sealed_bid_commitment`). After the deadline the commitment is opened with
``Bid(tenderId, bidder, pseudonym, ciphertextDigest, plaintextCommitment,
envelopeDigest)`` signed by the bidder's own account (docs/threshold-keys.md 10.7).
"""

from __future__ import annotations

from typing import Any

from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak

from ledger_service.chain.abi_values import address as _address
from ledger_service.chain.abi_values import bytes32 as _bytes32
from ledger_service.chain.eip712 import DOMAIN_TYPE
from ledger_service.core.errors import MalformedInput

EIP712_NAME = "ChainWitness TenderRegistry"
EIP712_VERSION = "2"
UINT64_MAX = 2**64 - 1
_SEALED_BID_TYPE = [
    {"name": "tenderId", "type": "bytes32"},
    {"name": "pseudonym", "type": "address"},
    {"name": "commitment", "type": "bytes32"},
    {"name": "nonce", "type": "uint64"},
]
_WITHDRAWAL_TYPE = [
    {"name": "tenderId", "type": "bytes32"},
    {"name": "pseudonym", "type": "address"},
    {"name": "nonce", "type": "uint64"},
]
_BID_TYPE = [
    {"name": "tenderId", "type": "bytes32"},
    {"name": "bidder", "type": "address"},
    {"name": "pseudonym", "type": "address"},
    {"name": "ciphertextDigest", "type": "bytes32"},
    {"name": "plaintextCommitment", "type": "bytes32"},
    {"name": "envelopeDigest", "type": "bytes32"},
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


def _hex32(name: str, value: bytes) -> str:
    return "0x" + _bytes32(name, value).hex()


def sealed_bid_commitment(
    tender_id: bytes,
    bidder: str,
    salt: bytes,
    ciphertext_digest: bytes,
    plaintext_commitment: bytes,
    envelope_digest: bytes,
) -> bytes:
    """``keccak256(abi.encode(tenderId, bidder, salt, ciphertextDigest,
    plaintextCommitment, envelopeDigest))`` (TenderRegistry.sealedBidCommitment).

    Raises:
        MalformedInput: a value is not 32 bytes or the address is malformed.
    """
    return keccak(
        abi_encode(
            ["bytes32", "address", "bytes32", "bytes32", "bytes32", "bytes32"],
            [
                _bytes32("tender_id", tender_id),
                _address("bidder", bidder),
                _bytes32("salt", salt),
                _bytes32("ciphertext_digest", ciphertext_digest),
                _bytes32("plaintext_commitment", plaintext_commitment),
                _bytes32("envelope_digest", envelope_digest),
            ],
        )
    )


def sealed_bid_typed_data(
    chain_id: int, contract: str, tender_id: bytes, pseudonym: str, commitment: bytes, nonce: int
) -> dict[str, Any]:
    """The EIP-712 ``SealedBid`` for ``submitBid``, signed by the pseudonym's key.

    ``nonce`` must exceed the pseudonym's last nonce in this tender; a higher nonce
    replaces the earlier sealed bid.

    Raises:
        MalformedInput: a value has the wrong size, ``chain_id`` <= 0 or ``nonce``
            outside [1, 2**64 - 1].
    """
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "SealedBid": _SEALED_BID_TYPE},
        "primaryType": "SealedBid",
        "domain": registry_domain(chain_id, contract),
        "message": {
            "tenderId": _hex32("tender_id", tender_id),
            "pseudonym": _address("pseudonym", pseudonym),
            "commitment": _hex32("commitment", commitment),
            "nonce": nonce_value(nonce),
        },
    }


def withdrawal_typed_data(
    chain_id: int, contract: str, tender_id: bytes, pseudonym: str, nonce: int
) -> dict[str, Any]:
    """The EIP-712 ``Withdrawal`` for ``withdrawBid``, signed by the pseudonym's key.

    Sealed bids and withdrawals share one nonce sequence per pseudonym and tender.

    Raises:
        MalformedInput: as for :func:`sealed_bid_typed_data`.
    """
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Withdrawal": _WITHDRAWAL_TYPE},
        "primaryType": "Withdrawal",
        "domain": registry_domain(chain_id, contract),
        "message": {
            "tenderId": _hex32("tender_id", tender_id),
            "pseudonym": _address("pseudonym", pseudonym),
            "nonce": nonce_value(nonce),
        },
    }


def bid_typed_data(
    chain_id: int,
    contract: str,
    tender_id: bytes,
    bidder: str,
    pseudonym: str,
    ciphertext_digest: bytes,
    plaintext_commitment: bytes,
    envelope_digest: bytes,
) -> dict[str, Any]:
    """The EIP-712 ``Bid`` the bidder's own account signs: what ``revealBid`` checks and
    what verify-opening re-checks from the ``BidRevealed`` event.

    Raises:
        MalformedInput: a value has the wrong size or ``chain_id`` <= 0.
    """
    return {
        "types": {"EIP712Domain": DOMAIN_TYPE, "Bid": _BID_TYPE},
        "primaryType": "Bid",
        "domain": registry_domain(chain_id, contract),
        "message": {
            "tenderId": _hex32("tender_id", tender_id),
            "bidder": _address("bidder", bidder),
            "pseudonym": _address("pseudonym", pseudonym),
            "ciphertextDigest": _hex32("ciphertext_digest", ciphertext_digest),
            "plaintextCommitment": _hex32("plaintext_commitment", plaintext_commitment),
            "envelopeDigest": _hex32("envelope_digest", envelope_digest),
        },
    }
