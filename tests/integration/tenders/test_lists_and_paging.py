"""The tender list and the court/regulator search: totals and cursor paging (API, CLI)."""

from __future__ import annotations

import hashlib

import httpx
import pytest
from typer.testing import CliRunner

from ledger_service.api.app import create_app
from ledger_service.cli.app import build_app
from ledger_service.core.records import EvidenceRecord
from ledger_service.store.tokens import create_token
from tests.integration.serving import serving

from .conftest import World
from .helpers import CODE, announce

pytestmark = pytest.mark.integration
cli = build_app()


def test_tender_list_and_search_pages(world: World) -> None:
    announce(world)
    log = world.services.log_store
    centre = create_token(log.engine, "某市交易中心", "operator")[1]
    now = world.chain_time()
    with serving(create_app(world.services)) as (url, _):  # announced by the operator, by API
        r = httpx.post(f"{url}/v1/tenders", headers={"Authorization": f"Bearer {centre}"}, json={
            "code": "GC-2026-0418", "title": "second", "dealing_deadline": now + 100,
            "complaint_deadline": now + 200, "bid_deadline": now + 600, "opening_time": now + 900,
            "threshold": 3, "custodians": [{"name": a.name, "address": a.address}
                                           for a in world.agents]}, timeout=60)  # fmt: skip
        assert r.status_code == 201, r.text
    (announced,) = [rec for _, rec in world.tenders.records("GC-2026-0418")
                    if rec.kind == "tender.announced"]  # fmt: skip
    assert announced.actor == "operator:某市交易中心"  # the caller, not service:chainwitness
    for i in range(5):
        log.append([EvidenceRecord.create(kind="document", subject="contract:PAGE-1",
                                          actor="operator:centre",
                                          digests={"sha256": hashlib.sha256(b"%d" % i).hexdigest()})])  # fmt: skip
    court = create_token(log.engine, "中级人民法院", "court")[1]
    runner = CliRunner()
    with serving(create_app(world.services)) as (url, _):
        first = httpx.get(f"{url}/v1/tenders", params={"limit": 1}).json()
        assert first["total"] == 2 and [t["code"] for t in first["tenders"]] == [CODE]
        assert first["next_cursor"] == CODE and first["tenders"][0]["state"] == "announced"
        assert first["tenders"][0]["bid_deadline_utc"].endswith("Z")
        second = httpx.get(f"{url}/v1/tenders", params={"limit": 1, "cursor": CODE}).json()
        assert [t["code"] for t in second["tenders"]] == ["GC-2026-0418"]
        assert second["next_cursor"] is None
        assert httpx.get(f"{url}/v1/tenders", params={"state": "opened"}).json()["total"] == 0
        r = runner.invoke(cli, ["tender", "list", "--server", url, "--limit", "1"])
        assert r.exit_code == 0, r.output
        assert r.stdout.strip().splitlines()[-1] == f"1 of 2 tenders; next page: --cursor {CODE}"

        auth = {"Authorization": f"Bearer {court}"}
        seen, cursor, pages = [], None, 0
        while True:
            params: dict[str, object] = {"subject": "contract:PAGE-1", "limit": 2}
            if cursor is not None:
                params["cursor"] = cursor
            page = httpx.get(f"{url}/v1/court/records", params=params, headers=auth).json()
            assert page["total"] == 5
            seen += [rec["index"] for rec in page["records"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert pages == 3 and len(seen) == 5 == len(set(seen)) and seen == sorted(seen)
        r = runner.invoke(cli, ["court", "search", "--server", url, "--token", court, "--party",
                                "operator:centre", "--limit", "2", "--all"])  # fmt: skip
        assert r.exit_code == 0, r.output
        assert r.stdout.strip().splitlines()[-1] == "5 of 5 records"
        r = runner.invoke(cli, ["court", "search", "--server", url, "--token", court, "--party",
                                "operator:centre", "--limit", "2"])  # fmt: skip
        assert r.stdout.strip().splitlines()[-1].startswith("2 of 5 records; next page: --cursor ")
    # the server is gone: one line, no traceback
    r = runner.invoke(cli, ["court", "search", "--server", url, "--token", court])
    assert (
        r.exit_code == 3 and r.stderr.startswith("error: expected ") and "Traceback" not in r.output
    )
