"""ECIES, EIP-712 and Ed25519 in the browser against the Python implementations.

* ECIES: with the same random draws the browser writes the blob
  ``ledger_service.core.ecies.encrypt`` writes (a first scalar draw out of range
  included, which both must draw again); each side decrypts the other's random blob;
* EIP-712: the bid typed data built in the browser equals ``bid_typed_data``'s, its
  digest equals ``typed_data_digest``, the RFC 6979 signature equals eth-account's
  byte for byte, and each side recovers the bidder from the other's signature;
* Ed25519: signatures made by pyca/cryptography (OpenSSL) verify, altered ones do not.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from eth_account import Account
from playwright.sync_api import Page

from ledger_service.chain import eip712, tender_messages
from ledger_service.core import ecies
from ledger_service.core.errors import VerificationFailed
from tests.integration.web.harness import call

pytestmark = [pytest.mark.integration, pytest.mark.node]

SECRET = hashlib.sha256(b"chainwitness/web tests/recipient").digest()
RECIPIENT = ecies.public_key(SECRET)
AAD = "上海 GC-2026-0042 wrap context".encode()
INFO = b"chainwitness/seal/v1 wrap tender"


def _replay(draws: list[bytes]) -> Callable[[int], bytes]:
    queue = list(draws)
    return lambda n: queue.pop(0)


@pytest.mark.parametrize(
    "plaintext", [b"", b"\x00", bytes(range(32)), bytes(1000)], ids=["0", "1", "32", "1000"]
)
def test_ecies_blob_equals_python_for_the_same_draws(page: Page, plaintext: bytes) -> None:
    draws = [b"\xff" * 32, hashlib.sha256(b"e").digest(), hashlib.sha256(b"nonce").digest()[:12]]
    want = ecies.encrypt(RECIPIENT, plaintext, AAD, INFO, _replay(draws))
    got = call(page, "eciesEncrypt", {"recipient": RECIPIENT.hex(), "plaintext": plaintext.hex(),
                                      "aad": AAD.hex(), "info": INFO.hex(), "rng": [d.hex() for d in draws]})  # fmt: skip
    assert got == want.hex()


def test_ecies_each_side_decrypts_the_others_random_blob(page: Page) -> None:
    message = hashlib.sha256(b"content key").digest()
    blob = bytes.fromhex(call(page, "eciesEncryptRandom", {
        "recipient": RECIPIENT.hex(), "plaintext": message.hex(), "aad": AAD.hex(), "info": INFO.hex()}))  # fmt: skip
    assert ecies.decrypt(SECRET, blob, AAD, INFO) == message
    with pytest.raises(VerificationFailed, match="expected an AES-GCM tag"):
        ecies.decrypt(SECRET, blob, AAD + b"!", INFO)

    python_blob = ecies.encrypt(RECIPIENT, message, AAD, INFO)
    arg = {"secret": SECRET.hex(), "blob": python_blob.hex(), "aad": AAD.hex(), "info": INFO.hex()}
    assert call(page, "eciesDecrypt", arg) == {"ok": True, "value": message.hex()}
    tampered = call(page, "eciesDecrypt", {**arg, "blob": python_blob[:-1].hex() + "00"})
    assert tampered["ok"] is False and tampered["name"] == "VerificationFailed"
    assert tampered["message"].startswith("blob: expected an AES-GCM tag")


def test_eip712_bid_digest_and_signature_equal_python(page: Page) -> None:
    account = Account.from_key(hashlib.sha256(b"chainwitness/web tests/bidder").digest())
    contract = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
    tender_code = "招标-GC-2026-0042"
    ciphertext, plaintext, envelope = (
        hashlib.sha256(n).digest() for n in (b"ciphertext", b"plaintext", b"envelope")
    )
    nonce = 2**40 + 3
    pseudonym = Account.from_key(hashlib.sha256(b"chainwitness/web tests/pseudonym").digest())
    tid = tender_messages.tender_id_bytes(tender_code)
    typed = tender_messages.bid_typed_data(
        31337, contract, tid, account.address, pseudonym.address, ciphertext, plaintext, envelope
    )
    commitment = hashlib.sha256(b"commitment").digest()
    sealed = tender_messages.sealed_bid_typed_data(
        31337, contract, tid, pseudonym.address, commitment, nonce
    )
    withdrawal = tender_messages.withdrawal_typed_data(31337, contract, tid, pseudonym.address, 7)
    got = call(page, "eip712", {
        "bid": {"chainId": 31337, "contract": contract, "tenderId": tid.hex(),
                "tenderCode": tender_code, "bidder": account.address, "pseudonym": pseudonym.address,
                "ciphertextDigest": ciphertext.hex(), "plaintextCommitment": plaintext.hex(),
                "envelopeDigest": envelope.hex()},
        "sealed": {"chainId": 31337, "contract": contract, "tenderId": tid.hex(),
                   "pseudonym": pseudonym.address, "commitment": commitment.hex(), "nonce": nonce},
        "python_typed": typed, "python_sealed": sealed, "extra_typed": withdrawal,
        "secret": account.key.hex(),
    })  # fmt: skip
    assert got["sealed"] == sealed
    assert (
        got["sealed_digest"]
        == got["python_sealed_digest"]
        == eip712.typed_data_digest(sealed).hex()
    )
    assert got["tender_id"] == tender_messages.tender_id_bytes(tender_code).hex()
    assert got["typed"] == typed
    want = eip712.typed_data_digest(typed).hex()
    assert got["digest"] == want and got["python_digest"] == want
    assert got["extra_digest"] == eip712.typed_data_digest(withdrawal).hex()
    signature = bytes.fromhex(got["signature"])
    assert signature == eip712.sign_typed(account, typed)
    assert got["signer"] == account.address
    assert eip712.recover_typed_signer(typed, signature) == account.address


def test_ed25519_verifies_openssl_signatures_and_rejects_altered_ones(page: Page) -> None:
    key = Ed25519PrivateKey.from_private_bytes(
        hashlib.sha256(b"chainwitness/web tests/witness").digest()
    )
    public = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    message = b"log.example/chainwitness\n8\nva2smqXET2QOdkVwmqyiBaCttPyqJzG6aMFm0jg+oXU=\n"
    signature = key.sign(message)
    arg = {"public_key": public.hex(), "message": message.hex(), "signature": signature.hex()}
    assert call(page, "ed25519", arg) is True
    assert call(page, "ed25519", {**arg, "message": (message + b"x").hex()}) is False
    assert (
        call(
            page,
            "ed25519",
            {**arg, "signature": signature[:-1].hex() + "%02x" % (signature[-1] ^ 1)},
        )
        is False
    )
    other = (
        Ed25519PrivateKey.from_private_bytes(bytes(32))
        .public_key()
        .public_bytes(Encoding.Raw, PublicFormat.Raw)
    )
    assert call(page, "ed25519", {**arg, "public_key": other.hex()}) is False
    # S + L (the group order) encodes the same scalar: strict RFC 8032 rejects it
    order = 2**252 + 27742317777372353535851937790883648493
    s = int.from_bytes(signature[32:], "little") + order
    assert s < 2**256
    assert (
        call(
            page, "ed25519", {**arg, "signature": (signature[:32] + s.to_bytes(32, "little")).hex()}
        )
        is False
    )
