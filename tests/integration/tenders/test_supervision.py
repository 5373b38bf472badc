"""Smart supervision on a real anvil: signals captured at upload and opening as evidence,
an alert that is itself a record with proofs, dispositions, the regulator API, the
disclosure rule before opening, and the tamper watch."""

from __future__ import annotations

import asyncio
import hashlib

import pytest
from fastapi.testclient import TestClient

from ledger_service.api.app import create_app
from ledger_service.core.proofs import InclusionProof
from ledger_service.store.tokens import create_token
from ledger_service.tenders.watcher import TenderWatcher

from .conftest import World
from .helpers import CODE, _stream, announce, generate_key, open_for_bids, seal, signed_bid

pytestmark = pytest.mark.integration

LINEAGE = "5f1e0c6a9b3d4e2f8a7c6b5d4e3f2a1b"


def bid_pdf(author: str, file_id: str, creation_id: str, price: int) -> bytes:
    """A small PDF whose trailer /ID and Info dictionary carry the given facts."""
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n3 0 obj\n<< /Author ("
            + author.encode() + b") /Creator (BidMaker 3) /CreationID (" + creation_id.encode()
            + b") /BidPrice (" + str(price).encode() + b") >>\nendobj\ntrailer\n<< /Size 4 "
            b"/Root 1 0 R /Info 3 0 R /ID [<" + file_id.encode() + b"> <"
            + hashlib.sha256(author.encode()).hexdigest()[:32].encode() + b">] >>\n%%EOF\n")  # fmt: skip


def _submit(world: World, i: int, document: bytes, ip: str, device: str | None) -> int:
    bidder = world.bidders[i]
    env, res = seal(world, bidder, document)
    receipt = asyncio.run(world.tenders.submit_bid(
        CODE, signed_bid(world, bidder, res, 1), _stream(env), ip=ip, device=device))  # fmt: skip
    return receipt.record_index


def test_ring_signals_become_an_alert_with_proofs_and_a_disposition(world: World) -> None:
    s = world.services
    schedule = announce(world)
    generate_key(world)
    open_for_bids(world, 5)
    a, b, c, d, e = (x.address for x in world.bidders[:5])
    # a ring of three: one machine, one file lineage, one creation id, prices 2% apart
    _submit(world, 0, bid_pdf("Ring Office", LINEAGE, "MC-7731", 1_000_000), "10.1.1.7", "dev-ring")
    _submit(world, 1, bid_pdf("Ring Office", LINEAGE, "MC-7731", 1_020_000), "10.1.1.7", "dev-ring")
    _submit(world, 2, bid_pdf("Ring Office", LINEAGE, "MC-7731", 1_040_000), "10.1.1.9", "dev-ring")
    _submit(world, 3, "投标函\n投标报价：987,600元\n".encode() + b"x" * 100, "172.16.0.3", None)
    _submit(world, 4, b"\x00binary bid, no declared price", "192.0.2.55", "dev-e")
    api = TestClient(create_app(s), raise_server_exceptions=False)

    def auth(role: str, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(s.log_store.engine, name, role)[1]}"}

    regulator, bidder_a, bidder_b = (
        auth("regulator", "监管局"),
        auth("bidder", a),
        auth("bidder", b),
    )
    uploads = [r for r in s.log_store.records_for_subject(f"supervision:{CODE}")]
    assert [r.record.kind for r in uploads] == ["supervision.upload"] * 5
    assert uploads[0].record.metadata["signal"] == {
        "bidder": a, "at": uploads[0].record.metadata["signal"]["at"], "ip": "10.1.1.7",
        "device": "dev-ring", "documents": ()}  # fmt: skip
    # before opening: a bidder reads its own signal only; the public none
    assert api.get(f"/v1/records/{uploads[0].index}", headers=bidder_a).status_code == 200
    refused = api.get(f"/v1/records/{uploads[0].index}", headers=bidder_b)
    assert refused.status_code == 403 and "10.1.1.7" not in refused.text
    assert api.get(f"/v1/records/{uploads[0].index}", headers=regulator).status_code == 200

    watcher = TenderWatcher(world.tenders)
    world.advance_to(schedule.bid_deadline)
    watcher.step()
    world.advance_to(schedule.opening_time)
    world.step_agents(slice(0, 3))
    assert watcher.step() == [CODE]

    signals = {r.record.kind: [] for r in s.log_store.records_for_subject(f"supervision:{CODE}")}
    for r in s.log_store.records_for_subject(f"supervision:{CODE}"):
        signals[r.record.kind].append(r.record.metadata)
    opened = {m["bidder"]: m["signal"]["documents"][0] for m in signals["supervision.submission"]}
    assert len(opened) == 5
    assert opened[a]["pdf_id"] == LINEAGE and opened[a]["creation_id"] == "MC-7731"
    assert opened[a]["author"] == "Ring Office" and opened[a]["creator_tool"] == "BidMaker 3"
    assert opened[d].get("pdf_id") is None and len(opened[d]["sketch"]) > 0
    prices = {m["bidder"]: m["signal"]["amount"] for m in signals["supervision.opening_price"]}
    assert prices == {a: 1_000_000, b: 1_020_000, c: 1_040_000, d: 987_600}  # e declares none
    # after opening the other bidders' signals are public like the bids
    assert api.get(f"/v1/records/{uploads[0].index}", headers=bidder_b).status_code == 200

    scanned = api.post(f"/v1/supervision/tenders/{CODE}/scan", headers=regulator)
    assert scanned.status_code == 200, scanned.text
    alert = scanned.json()["alert"]
    assert scanned.json()["recorded"] and alert["severity"] == "high"
    rules = set(alert["points"])
    assert {"shared_device", "shared_pdf_id", "shared_creation_id", "shared_author",
            "price_progression"} <= rules, rules  # fmt: skip
    assert "identical_documents" not in rules  # the three files differ in their bytes
    hit = next(h for h in alert["hits"] if h["rule"] == "shared_pdf_id")
    assert hit["detail"]["identifier"] == LINEAGE and hit["parties"] == sorted([a, b, c])
    assert "PDF文件标识" in alert["zh"] and alert["zh"].startswith(f"项目{CODE}综合评分")
    assert {int(ref) for h in alert["hits"] for ref in h["refs"]} <= set(alert["evidence"])
    assert {u.index for u in uploads[:3]} <= set(alert["evidence"])  # cited upload records
    again = api.post(f"/v1/supervision/tenders/{CODE}/scan", headers=regulator).json()
    assert not again["recorded"] and again["alert"]["record_index"] == alert["record_index"]

    # the alert is a record of the log, with inclusion proofs for it and its evidence
    shown = api.get(f"/v1/supervision/alerts/{alert['record_index']}", headers=regulator).json()
    InclusionProof.from_json(shown["proof"]).verify()
    for ev in shown["evidence_records"]:
        proof = InclusionProof.from_json(ev["proof"])
        proof.verify()
        assert proof.leaf_index == ev["record_index"]
    assert s.log_store.record(alert["record_index"]).record.kind == "supervision.alert"
    # an alert is oversight's only: a bidder or the public never reads it
    assert api.get(f"/v1/records/{alert['record_index']}", headers=bidder_a).status_code == 403
    assert api.get("/v1/supervision/alerts", headers=bidder_a).status_code == 403
    assert api.get("/v1/supervision/alerts").status_code == 401

    listed = api.get("/v1/supervision/alerts", params={"party": b.lower(), "severity": "high"},
                     headers=regulator).json()["alerts"]  # fmt: skip
    assert [x["record_index"] for x in listed] == [alert["record_index"]]
    assert api.get("/v1/supervision/alerts", params={"party": e}, headers=regulator).json() == {
        "alerts": []}  # fmt: skip
    bad = api.get("/v1/supervision/alerts", params={"severity": "dire"}, headers=regulator)
    assert bad.status_code == 422

    url = f"/v1/supervision/alerts/{alert['record_index']}/dispositions"
    done = api.post(url, json={"decision": "confirmed", "reason": "同一机器制作，报价等差"},
                    headers=regulator)  # fmt: skip
    assert done.status_code == 201, done.text
    disposition = s.log_store.record(done.json()["record_index"]).record
    assert disposition.kind == "supervision.disposition"
    assert disposition.metadata["alert_record"] == alert["record_index"]
    assert disposition.actor == "regulator:监管局"
    twice = api.post(url, json={"decision": "dismissed", "reason": "x"}, headers=regulator)
    assert twice.status_code == 409 and "not yet disposed" in twice.text
    assert (
        api.post(url, json={"decision": "maybe", "reason": "x"}, headers=regulator).status_code
        == 422
    )
    history = api.get(f"/v1/supervision/parties/{a}", headers=regulator).json()
    assert history["tenders"] == [CODE]
    assert history["alerts"][0]["dispositions"][0]["decision"] == "confirmed"


def test_upload_through_the_api_records_the_peer_address_and_reported_device(
    world: World,
) -> None:
    s = world.services
    announce(world)
    generate_key(world)
    open_for_bids(world, 1)
    bidder = world.bidders[0]
    env, res = seal(world, bidder, b"bid")
    sb = signed_bid(world, bidder, res, 1)
    api = TestClient(create_app(s), raise_server_exceptions=False)
    token = {
        "Authorization": f"Bearer {create_token(s.log_store.engine, bidder.address, 'bidder')[1]}"
    }
    params = {"bidder": sb.bidder, "pseudonym": sb.pseudonym, "nonce": sb.nonce, "salt": sb.salt,
              "plaintext_commitment": sb.plaintext_commitment, "envelope_digest": sb.envelope_digest,
              "sealed_signature": sb.sealed_signature.hex(), "bid_signature": sb.bid_signature.hex()}  # fmt: skip
    bad = api.post(f"/v1/tenders/{CODE}/bids", params={**params, "device": "x" * 129},
                   content=env, headers=token)  # fmt: skip
    assert bad.status_code == 422 and "device" in bad.text
    assert s.log_store.records_for_subject(f"supervision:{CODE}") == []
    ok = api.post(f"/v1/tenders/{CODE}/bids", params={**params, "device": "fp-0042"}, content=env,
                  headers={**token, "Content-Type": "application/octet-stream"})  # fmt: skip
    assert ok.status_code == 201, ok.text
    (upload,) = s.log_store.records_for_subject(f"supervision:{CODE}")
    meta = upload.record.metadata
    assert meta["signal"]["ip"] == "testclient" and meta["signal"]["device"] == "fp-0042"
    assert meta["bid_record"] == ok.json()["record_index"]
    assert meta["ciphertext_sha256"] == ok.json()["ciphertext_sha256"]


def test_bond_payments_are_signals_and_a_shared_account_is_named(world: World) -> None:
    s = world.services
    announce(world)
    open_for_bids_after_key(world)
    api = TestClient(create_app(s), raise_server_exceptions=False)
    op = {"Authorization": f"Bearer {create_token(s.log_store.engine, 'centre', 'operator')[1]}"}
    reg = {"Authorization": f"Bearer {create_token(s.log_store.engine, 'reg', 'regulator')[1]}"}
    for x in world.bidders[:2]:
        r = api.post(f"/v1/supervision/tenders/{CODE}/bonds", headers=op,
                     json={"bidder": x.address, "payer_account": "6222 0000 1111"})  # fmt: skip
        assert r.status_code == 201, r.text
    stranger = api.post(f"/v1/supervision/tenders/{CODE}/bonds", headers=op,
                        json={"bidder": "0x" + "11" * 20, "payer_account": "1"})  # fmt: skip
    assert stranger.status_code == 404
    assert api.post(f"/v1/supervision/tenders/{CODE}/bonds", headers=reg,
                    json={"bidder": world.bidders[0].address, "payer_account": "1"}).status_code == 403  # fmt: skip
    alert = api.post(f"/v1/supervision/tenders/{CODE}/scan", headers=reg).json()["alert"]
    assert alert["severity"] == "watch" and set(alert["points"]) == {"shared_bond_account"}


def open_for_bids_after_key(world: World) -> None:
    generate_key(world)
    open_for_bids(world, 3)
