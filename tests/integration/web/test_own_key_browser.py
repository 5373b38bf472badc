"""What the bidder and notary pages compute with the user's own key, against Python.

* the per-tender pseudonym, the sealed-bid commitment and the sealed file name equal
  ``pseudonym_of``, ``sealed_bid_commitment`` and open with ``open_name``;
* a V3 keystore written by eth-account (scrypt and PBKDF2) decrypts in the browser to
  the same key, and a wrong password is refused as such;
* a legacy EIP-155 transaction signed in the browser is byte for byte eth-account's
  (RFC 6979) and decodes with ``notary.own_key.decode_call`` to its signer;
* a certificate issued in the browser verifies with ``notary.certificate.verify_signature``.
"""

from __future__ import annotations

import hashlib
import json

import pytest
from eth_account import Account
from playwright.sync_api import Page

from ledger_service.chain.tender_messages import sealed_bid_commitment, tender_id_bytes
from ledger_service.core.sealing.file_name import open_name
from ledger_service.tenders.bidder import bidder_public_key, pseudonym_of
from notary import own_key
from notary.certificate import certificate_digest, verify_signature
from tests.integration.web.harness import call

pytestmark = [pytest.mark.integration, pytest.mark.node]

SECRET = hashlib.sha256(b"chainwitness/web tests/own key").digest()
ACCOUNT = Account.from_key(SECRET)
REGISTRY = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def test_pseudonym_commitment_and_file_name_equal_python(page: Page) -> None:
    code = "招标-GC-2026-0042"
    d = {n: hashlib.sha256(n.encode()).digest() for n in ("salt", "ct", "pt", "env", "key")}
    nonce = hashlib.sha256(b"nonce").digest()[:12]
    got = call(page, "bidding", {
        "secret": SECRET.hex(), "tenderCode": code, "bidder": ACCOUNT.address, "salt": d["salt"].hex(),
        "ciphertext": d["ct"].hex(), "plaintext": d["pt"].hex(), "envelope": d["env"].hex(),
        "contentKey": d["key"].hex(), "fileName": "投标文件-商务标.pdf", "nonce": nonce.hex()})  # fmt: skip
    tid = tender_id_bytes(code)
    assert got["account"] == ACCOUNT.address
    assert got["publicKey"] == bidder_public_key(ACCOUNT).hex()
    assert got["pseudonym"] == pseudonym_of(ACCOUNT, tid).address
    want = sealed_bid_commitment(tid, ACCOUNT.address, d["salt"], d["ct"], d["pt"], d["env"])
    assert got["commitment"] == want.hex()
    blob = bytes.fromhex(got["fileName"])
    assert blob[:12] == nonce
    assert open_name(d["key"], d["env"], blob) == "投标文件-商务标.pdf"


@pytest.mark.parametrize(("kdf", "iterations"), [("scrypt", 2**14), ("pbkdf2", 10_000)])
def test_an_eth_account_keystore_decrypts_in_the_browser(
    page: Page, kdf: str, iterations: int
) -> None:
    text = json.dumps(Account.encrypt(SECRET, "口令 password", kdf=kdf, iterations=iterations))
    assert call(page, "keystore", {"text": text, "password": "口令 password"}) == {
        "ok": True, "value": SECRET.hex()}  # fmt: skip
    wrong = call(page, "keystore", {"text": text, "password": "wrong"})
    assert (wrong["ok"], wrong["name"]) == (False, "VerificationFailed")
    assert wrong["message"].endswith("(wrong password)")


def test_a_legacy_transaction_signed_in_the_browser_is_eth_accounts(page: Page) -> None:
    digest, package, root = (hashlib.sha256(n).digest() for n in (b"cert", b"package", b"root"))
    data = own_key.register_calldata(digest, package, 1024, root)
    tx = {"chainId": 31337, "nonce": 7, "gasPrice": 10**9 + 1, "gas": 120_000, "to": REGISTRY,
          "value": 0, "data": "0x" + data.hex()}  # fmt: skip
    got = bytes.fromhex(
        call(page, "legacyTx", {"secret": SECRET.hex(), "tx": {**tx, "data": data.hex()}})
    )
    assert got == bytes(Account.sign_transaction(tx, SECRET).raw_transaction)
    decoded = own_key.decode_call(got)
    assert (decoded.sender, decoded.to, decoded.chain_id, decoded.data) == (
        ACCOUNT.address, REGISTRY, 31337, data)  # fmt: skip


def test_a_certificate_issued_in_the_browser_verifies_in_python(page: Page) -> None:
    fields = {
        "serial": "CWN-2026-000042", "chainId": 31337, "notary": ACCOUNT.address,
        "notaryName": "某市公证处 Notary office", "validFrom": "2026-12-04T08:00:00Z",
        "packageDigest": "ab" * 32, "subject": "tender:GC-2026-0417", "records": 3,
        "treeSize": 9, "treeRoot": "cd" * 32,
        "anchor": {"chainId": 31337, "contract": REGISTRY, "txHash": "0x" + "ef" * 32, "blockNumber": 5},
    }  # fmt: skip
    got = call(page, "issueCertificate", {"secret": SECRET.hex(), "fields": fields})
    cert = verify_signature(got["jws"])
    assert certificate_digest(got["jws"]) == got["digest"]
    assert (cert.serial, cert.notary, cert.tree_size, cert.records) == (
        "CWN-2026-000042", ACCOUNT.address, 9, 3)  # fmt: skip
    with pytest.raises(Exception, match="private key: expected the key of the issuer"):
        call(page, "issueCertificate", {"secret": "11" * 32, "fields": fields})
