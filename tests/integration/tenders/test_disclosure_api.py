"""Before opening, over the API on a real anvil: no bidder learns of another, the public
learns neither bidders nor their number; court downloads serve evidence packages only."""

from __future__ import annotations

import hashlib

import pytest
from fastapi.testclient import TestClient

from ledger_service.api.app import create_app
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.store.tokens import create_token

from .conftest import World
from .helpers import CODE, announce, bid, generate_key, open_for_bids

pytestmark = pytest.mark.integration


def test_bids_are_withheld_before_opening_and_packages_only_are_served(world: World) -> None:
    s = world.services
    announce(world)
    generate_key(world)
    open_for_bids(world, 3)
    a, b, c = world.bidders[:3]
    receipts = [bid(world, x, b"confidential bid of " + x.address.encode()) for x in (a, b)]
    api = TestClient(create_app(s), raise_server_exceptions=False)
    engine = s.log_store.engine

    def auth(role: str, name: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {create_token(engine, name, role)[1]}"}

    as_a, as_b, as_c = (auth("bidder", x.address) for x in (a, b, c))
    mine, theirs = receipts[0].record_index, receipts[1].record_index

    # GET /v1/records/{i}: a bid record is its own bidder's and oversight's only
    assert api.get(f"/v1/records/{mine}", headers=as_a).status_code == 200
    refused = api.get(f"/v1/records/{theirs}", headers=as_a)
    assert refused.status_code == 403, refused.text
    assert "tender not opened yet" in refused.json()["detail"]
    assert b.address.lower() not in refused.text.lower()
    assert api.get(f"/v1/records/{theirs}", headers=as_c).status_code == 403
    for role in ("custodian", "notary"):
        assert api.get(f"/v1/records/{theirs}", headers=auth(role, role)).status_code == 403
    for role in ("operator", "regulator", "court", "admin"):
        assert api.get(f"/v1/records/{theirs}", headers=auth(role, role)).status_code == 200
    # registrations name bidders too
    registered = [r.index for r in s.log_store.records_for_subject(f"tender:{CODE}")
                  if r.record.kind == "tender.bidder_registered"]  # fmt: skip
    assert len(registered) == 3
    assert {api.get(f"/v1/records/{i}", headers=as_c).status_code for i in registered} == {
        200,
        403,
    }

    # the public verification page learns that a ciphertext is recorded, not whose it is
    digest = receipts[1].ciphertext_sha256
    public = api.get(f"/v1/verify/{digest}")
    assert public.status_code == 200, public.text
    body = public.json()
    assert body["found"] is True and body["withheld"] == 1 and body["proofs"] == []
    assert b.address.lower() not in public.text.lower()
    own = api.get(f"/v1/verify/{digest}", headers=as_b).json()
    assert own["withheld"] == 0 and len(own["proofs"]) == 1

    # the public event list is numbered without gaps: no count of hidden steps
    events = api.get(f"/v1/tenders/{CODE}").json()["events"]
    assert [e["seq"] for e in events] == list(range(len(events)))
    full = api.get(f"/v1/tenders/{CODE}", headers=auth("operator", "op")).json()["events"]
    assert len(full) > len(events)
    assert not {"bid_submitted", "bidder_registered"} & {e["event"] for e in events}

    # /v1/court/packages/{sha} serves evidence packages, not any stored file
    court, regulator = auth("court", "法院"), auth("regulator", "监管")
    blob = api.get(f"/v1/court/packages/{digest}", headers=court)
    assert blob.status_code == 404, blob.text
    assert "expected the SHA-256 of an evidence package" in blob.json()["detail"]
    doc = api.post("/v1/files", params={"name": "原件.pdf", "subject": f"tender:{CODE}"},
                   content=b"an original document", headers=auth("operator", "op"))  # fmt: skip
    assert doc.status_code == 201, doc.text
    assert api.get(f"/v1/court/packages/{doc.json()['sha256']}", headers=court).status_code == 404
    assert s.client is not None and s.evidence_log is not None
    Anchorer(s.log_store, s.anchors, s.client, s.evidence_log,
             start_block=s.deployed_at_block).step()  # fmt: skip
    made = api.post("/v1/court/packages", json={"subject": f"tender:{CODE}"}, headers=court)
    assert made.status_code == 201, made.text
    assert api.get(made.json()["download"], headers=court).status_code == 200
    # the court's package carries originals: a regulator may not have it
    denied = api.get(made.json()["download"], headers=regulator)
    assert denied.status_code == 403, denied.text
    Anchorer(s.log_store, s.anchors, s.client, s.evidence_log,
             start_block=s.deployed_at_block).step()  # fmt: skip
    own_pkg = api.post("/v1/court/packages", json={"subject": f"tender:{CODE}"}, headers=regulator)
    assert own_pkg.status_code == 201, own_pkg.text
    got = api.get(own_pkg.json()["download"], headers=regulator)
    assert got.status_code == 200
    assert hashlib.sha256(got.content).hexdigest() == own_pkg.json()["sha256"]
