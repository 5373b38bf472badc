"""Evaluation, candidates and award over the API with their structured data: checked at
input, recorded with the operator who acted, and exported as OCDS awards."""

from __future__ import annotations

import hashlib
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ledger_service.api.app import create_app
from ledger_service.cli.app import build_app
from ledger_service.store.tokens import create_token
from ledger_service.tenders.lifecycle import State
from ledger_service.tenders.watcher import TenderWatcher
from tests.integration.serving import serving

from .conftest import World
from .helpers import CODE, announce, bid, generate_key, open_for_bids

pytestmark = pytest.mark.integration
cli = build_app()


def _doc(name: str) -> dict[str, str]:
    return {"name": name, "sha256": hashlib.sha256(name.encode()).hexdigest()}


def test_steps_with_data_and_the_ocds_awards(world: World, tmp_path: Path) -> None:
    schedule = announce(world)
    generate_key(world)
    open_for_bids(world, 4)
    b = world.bidders[:4]
    for i in range(3):
        bid(world, b[i], f"bid {i}".encode() * 100)
    watcher = TenderWatcher(world.tenders)
    world.advance_to(schedule.bid_deadline)
    watcher.step()
    world.advance_to(schedule.opening_time)
    world.step_agents()
    assert watcher.step() == [CODE]
    token = create_token(world.services.log_store.engine, "评标委员会", "operator")[1]
    op = {"Authorization": f"Bearer {token}"}
    with serving(create_app(world.services)) as (url, _):
        http = httpx.Client(base_url=url, headers=op, timeout=60)
        path = f"/v1/tenders/{CODE}/transitions"
        records = len(world.tenders.records(CODE))
        # a step with only a note is refused at input: the export would have no valid bids
        r = http.post(path, json={"event": "report_evaluation", "note": "done",
                                  "document": _doc("评标报告.pdf")})  # fmt: skip
        assert r.status_code == 422 and "report_evaluation: expected valid, found none" in r.text
        # a bidder with no active bid cannot be valid: the OCDS release would not build
        r = http.post(path, json={"event": "report_evaluation", "document": _doc("评标报告.pdf"),
                                  "valid": [b[3].address]})  # fmt: skip
        assert r.status_code == 422, r.text
        assert f"expected an active bid of {b[3].address}, found none" in r.json()["detail"]
        assert len(world.tenders.records(CODE)) == records  # nothing recorded
        r = http.post(path, json={"event": "report_evaluation", "document": _doc("评标报告.pdf"),
                                  "valid": [b[1].address, b[0].address],
                                  "disqualified": [b[2].address]})  # fmt: skip
        assert r.status_code == 200, r.text
        r = http.post(path, json={"event": "publish_candidates", "document": _doc("公示.pdf"),
                                  "candidates": [b[1].address, b[0].address],
                                  "publicity_end": schedule.opening_time + 3 * 86400})  # fmt: skip
        assert r.status_code == 200, r.text
        notice = tmp_path / "中标通知书.pdf"
        notice.write_bytes(b"notice of award")
        common = ["--tender", CODE, "--server", url, "--token", token]
        r = CliRunner().invoke(cli, ["tender", "step", *common, "--event", "award", "--document",
                                     str(notice), "--winner", b[3].address])  # fmt: skip
        assert r.exit_code == 1 and f"expected an active bid of {b[3].address}" in r.stderr
        r = CliRunner().invoke(cli, ["tender", "step", *common, "--event", "award", "--document",
                                     str(notice), "--winner", b[1].address,
                                     "--price", "12345678"])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert r.stdout.strip() == f"award recorded: tender {CODE} is now awarded"
        assert world.tenders.state(CODE) == State.AWARDED
        ocds = http.get(f"/v1/tenders/{CODE}/ocds").json()
    record = ocds["record_package"]["records"][0]["compiledRelease"]
    (award,) = [a for a in record["awards"] if a["status"] == "active"]
    assert award["suppliers"][0]["id"] == b[1].address
    assert award["value"] == {"amount": 12_345_678, "currency": "CNY"}
    ranks = {d["id"]: (d["status"], d.get("rank")) for d in record["bids"]["details"]}
    assert ranks[f"{b[1].address}-1"] == ("valid", 1)
    assert ranks[f"{b[2].address}-1"][0] == "disqualified"
    # the actor of each later step is the operator's token, not the service
    actors = {r.kind: r.actor for _, r in world.tenders.records(CODE)}
    assert actors["tender.award"] == "operator:评标委员会"
    assert actors["tender.report_evaluation"] == "operator:评标委员会"
