"""The regulator dashboard (/regulator) in Debian's chromium against a real service.

Three custodians register their own keys on chain and the operator announces a
tender through the API; the
regulator opens the dashboard with its own token and the page verifies every
step's evidence record in the browser (proof, checkpoint, cosignatures, anchor,
chain) against the policy pinned on /verify; alerts and the custody audit are read
from the service. The operator then lies about one step's proof and the page marks
that step failed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from ledger_service.chain.client import ChainClient
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.tenders.custodian import CustodianAgent
from tests.integration.web.live import LiveService

pytestmark = [pytest.mark.integration, pytest.mark.node]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
CODE = "GC-2026-0601"


@pytest.fixture(scope="module")
def tender(live: LiveService, anvil: ManagedAnvil) -> None:
    """Tender GC-2026-0601 announced, its first record anchored and witnessed."""
    # each custodian registers its own key on chain from its own account
    registry = json.loads(live.policy_path.read_text())["contracts"]["TenderRegistry"]
    custodians = []
    for name in ("公证处", "监管局", "审计局"):
        agent = CustodianAgent.create(name)
        ChainClient(anvil.rpc_url, agent.account, 31337).fund_from_dev_account(10**19)
        own = ChainClient(anvil.rpc_url, agent.account, 31337)
        agent.register_key(TenderRegistryContract(own, registry))
        custodians.append({"name": name, "address": agent.address})
    now = int(time.time())
    announce = {"code": CODE, "title": "市政道路改造工程 Road works", "threshold": 2,
                "dealing_deadline": now + 3600, "complaint_deadline": now + 7200,
                "bid_deadline": now + 10800, "opening_time": now + 14400,
                "custodians": custodians}  # fmt: skip
    r = httpx.post(f"{live.base}/v1/tenders", json=announce, headers=live.auth, timeout=60)
    assert r.status_code == 201, r.text
    events = r.json()["events"]
    assert len(events) >= 1
    wait_anchored(live, max(e["record_index"] for e in events))


def wait_anchored(live: LiveService, index: int, timeout: float = 60) -> None:
    until = time.monotonic() + timeout
    while True:
        body = httpx.get(f"{live.base}/v1/records/{index}", headers=live.auth, timeout=10).json()
        cp = body["checkpoint"]
        if body["proof"]["anchor"] and cp and cp["note"].count("\n\u2014 ") >= 3:
            return
        if time.monotonic() > until:
            raise AssertionError(f"expected record {index} anchored and cosigned, found {body}")
        time.sleep(0.3)


@pytest.fixture
def dashboard(chromium: Browser, live: LiveService, tender: None) -> Iterator[Page]:
    token = live.cli("token", "create", "--role", "regulator", "--name", "住建局")
    assert token.returncode == 0, token.stderr
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.base}/verify")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.set_input_files("#policy-file", str(live.policy_path))
    page.wait_for_selector("#policy-status[data-state=pinned]")
    page.goto(f"{live.base}/regulator")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.fill("#token", token.stdout.strip().splitlines()[-1].split()[-1])
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"expected no uncaught errors in the page, found {errors}"


def show(page: Page) -> tuple[str, str]:
    page.fill("#code", CODE)
    page.click("#tender-form button[type=submit]")
    page.wait_for_selector("body[data-state=done]", state="attached", timeout=60_000)
    v = page.locator("#verdict")
    return str(v.get_attribute("data-verdict")), v.inner_text()


def test_every_step_of_a_tender_is_verified_in_the_browser(
    dashboard: Page, live: LiveService
) -> None:
    # a retrieval by the regulator itself, so the custody audit has a row to show
    bearer = {"Authorization": f"Bearer {dashboard.input_value('#token')}"}
    r = httpx.get(f"{live.base}/v1/court/records", params={"tender": CODE}, headers=bearer)
    assert r.status_code == 200, r.text
    got, text = show(dashboard)
    steps = dashboard.locator("tr.step")
    assert got == "verified", text
    assert steps.count() >= 1
    assert {steps.nth(i).get_attribute("data-verdict") for i in range(steps.count())} == {
        "verified"
    }
    assert (
        text == f"全部 {steps.count()} 个步骤的存证记录已验证（固定见证方联署，链上锚定已核对）。"
    )
    assert dashboard.locator("#alerts-none").inner_text() == "没有预警。"
    assert dashboard.locator("#alerts-h").inner_text() == "3. 预警"
    dashboard.click("#custody-go")
    dashboard.wait_for_selector("#custody-count")
    rows = dashboard.locator("tr.custody")
    assert rows.count() >= 1
    assert any("regulator:住建局" in row for row in rows.all_inner_texts())
    SHOTS.mkdir(parents=True, exist_ok=True)
    dashboard.screenshot(path=str(SHOTS / "regulator-page.png"), full_page=True)


def test_a_step_whose_proof_the_operator_altered_is_shown_failed(dashboard: Page) -> None:
    def lie(route: Route) -> None:
        response = route.fetch()
        body: dict[str, Any] = response.json()
        body["proof"]["leaf_hash"] = ("1" if body["proof"]["leaf_hash"][0] == "0" else "0") + body[
            "proof"
        ]["leaf_hash"][1:]
        route.fulfill(response=response, json=body)

    dashboard.route("**/v1/records/*", lie)
    got, text = show(dashboard)
    steps = dashboard.locator("tr.step").count()
    assert got == "failed"
    assert text == f"有 {steps} 个步骤的证明未通过核验：不要相信这些记录。"
    assert dashboard.locator("tr.step[data-verdict=failed]").count() == steps
    record = dashboard.locator("tr.check[data-check=record]").first
    assert record.get_attribute("data-ok") == "false"
