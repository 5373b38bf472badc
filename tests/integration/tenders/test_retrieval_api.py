"""Issue 4 over the API on a real anvil: a court searches and retrieves a tender's
evidence package (every retrieval on record), a regulator gets it without original
files, the operator issues a signed witness report, and a contract's parties sign."""

from __future__ import annotations

import hashlib
import io
import zipfile
from pathlib import Path

import pytest
from eth_account import Account
from fastapi.testclient import TestClient
from pydantic import SecretStr

from ledger_service.api.app import create_app
from ledger_service.chain.eip712 import sign_typed
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.package_rpc import verify_package
from ledger_service.reports.ca import WitnessPaths, init_witness_ca, load_cert
from ledger_service.reports.pades import verify_report
from ledger_service.store.tokens import create_token

from .conftest import World
from .helpers import CODE, announce, bid, generate_key, open_for_bids

pytestmark = pytest.mark.integration
PASSWORD = "witness test password"


def _anchor_all(world: World) -> None:
    s = world.services
    assert s.client is not None and s.evidence_log is not None
    Anchorer(s.log_store, s.anchors, s.client, s.evidence_log,
             start_block=s.deployed_at_block).step()  # fmt: skip


def test_court_retrieval_reports_and_contracts(world: World, tmp_path: Path) -> None:
    s = world.services
    s.settings.witness_password = SecretStr(PASSWORD)
    init_witness_ca(s.settings.data_dir, PASSWORD, "测试交易中心 test centre")
    announce(world)
    generate_key(world)
    open_for_bids(world, 3)
    doc = b"bid document confidential"
    for b in world.bidders[:3]:
        bid(world, b, doc + b.address.encode())
    # an original document deposited as a file, to see who gets originals
    api = TestClient(create_app(s), raise_server_exceptions=False)
    engine = s.log_store.engine

    def auth(role: str, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(engine, name, role)[1]}"}

    op, court, regulator = (
        auth("operator", "centre"),
        auth("court", "法院"),
        auth("regulator", "监管"),
    )
    r = api.post("/v1/files", params={"name": "标书.pdf", "subject": f"tender:{CODE}"},
                 content=b"original tender document", headers={**op, "Content-Type": "application/octet-stream"})  # fmt: skip
    assert r.status_code == 201, r.text
    _anchor_all(world)

    # search: by tender, by party, by digest, by time range; each search is on record
    hits = api.get("/v1/court/records", params={"tender": CODE}, headers=court).json()
    assert len(hits["records"]) >= 10
    custody = s.log_store.record(hits["custody_record"]).record
    assert custody.kind == "custody.search" and custody.actor == "court:法院"
    by_party = api.get("/v1/court/records", params={"party": world.bidders[0].address},
                       headers=court).json()["records"]  # fmt: skip
    assert by_party and all(world.bidders[0].address in x["record"]["actor"] for x in by_party)
    digest = hashlib.sha256(b"original tender document").hexdigest()
    assert (
        len(
            api.get("/v1/court/records", params={"sha256": digest}, headers=court).json()["records"]
        )
        == 1
    )
    assert (
        api.get("/v1/court/records", params={"until": "2000-01-01"}, headers=court).json()[
            "records"
        ]
        == []
    )
    assert api.get("/v1/court/records", params={"tender": CODE}, headers=op).status_code == 403

    # a package for the court (with originals) and for the regulator (without)
    _anchor_all(world)
    r = api.post("/v1/court/packages", json={"subject": f"tender:{CODE}"}, headers=court)
    assert r.status_code == 201, r.text
    data = api.get(r.json()["download"], headers=court).content
    assert hashlib.sha256(data).hexdigest() == r.json()["sha256"]
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert f"files/{digest}" in names
    assert verify_package(data).subject == f"tender:{CODE}"  # raises on any mismatch
    online = verify_package(data, rpc_url=s.client.rpc_url)  # type: ignore[union-attr]
    assert any("canonical" in v.text for v in online.verdicts)
    kinds = [x["record"]["kind"] for x in api.get("/v1/court/records", params={
        "subject": "custody:court:法院"}, headers=court).json()["records"]]  # fmt: skip
    assert {"custody.search", "custody.package", "custody.download"} <= set(kinds)
    _anchor_all(world)
    r = api.post("/v1/court/packages", json={"subject": f"tender:{CODE}"}, headers=regulator)
    assert r.status_code == 201, r.text
    reg = api.get(r.json()["download"], headers=regulator).content
    assert not any(n.startswith("files/") for n in zipfile.ZipFile(io.BytesIO(reg)).namelist())

    # a signed witness report; its QR target is public and proves the PDF's digest
    _anchor_all(world)
    r = api.post("/v1/reports", json={"subject": f"tender:{CODE}"}, headers=op)
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    pdf = api.get(f"/v1/reports/{number}/pdf", headers=court).content
    assert hashlib.sha256(pdf).hexdigest() == r.json()["sha256"]
    assert verify_report(pdf, load_cert(WitnessPaths.under(s.settings.data_dir).ca_cert)).ok
    public = api.get(f"/v1/reports/{number}").json()
    assert public["record"]["digests"]["sha256"] == r.json()["sha256"]
    assert api.post("/v1/reports", json={"subject": "nothing:x"}, headers=op).status_code == 422

    # an electronic contract signed by its parties with their own keys, and its report
    a, b = (Account.from_key(hashlib.sha256(x).digest()) for x in (b"party a", b"party b"))
    r = api.post("/v1/contracts", headers=op, json={
        "code": "HT-1", "document_sha256": "ab" * 32, "document_name": "合同.pdf",
        "parties": [{"name": "甲方", "address": a.address}, {"name": "乙方", "address": b.address}],
        "amount_fen": 100, "date": "2026-12-01", "terms_sha256": "cd" * 32})  # fmt: skip
    assert r.status_code == 201, r.text
    typed = api.get("/v1/contracts/HT-1/typed-data", headers=op).json()
    forged = api.post("/v1/contracts/HT-1/signatures", headers=op,
                      json={"party": a.address, "signature": sign_typed(b, typed).hex()})  # fmt: skip
    assert forged.status_code == 409 and "BadSignature" in forged.json()["detail"]
    for party in (a, b):
        r = api.post("/v1/contracts/HT-1/signatures", headers=op,
                     json={"party": party.address, "signature": sign_typed(party, typed).hex()})  # fmt: skip
        assert r.status_code == 200, r.text
    assert api.get("/v1/contracts/HT-1", headers=court).json()["complete"] is True
    _anchor_all(world)
    r = api.post("/v1/reports", json={"subject": "contract:HT-1"}, headers=op)
    assert r.status_code == 201, r.text
    r = api.post("/v1/court/packages", json={"subject": "contract:HT-1"}, headers=court)
    assert r.status_code == 201
    contract_pkg = verify_package(api.get(r.json()["download"], headers=court).content)
    assert contract_pkg.subject == "contract:HT-1"
