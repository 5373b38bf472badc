"""The witness report's QR target, ``/verify?report=<number>``, in Debian's chromium.

The operator issues a witness report (链见证报告) for a tender's records; its QR code
opens the public page with the report number. The page fetches the report's record
and proof and verifies them in the browser (proof, checkpoint, cosignatures, anchor,
chain) against the policy pinned earlier; a dropped copy of the PDF hashes to the
record's digest. The operator then lies about the report's proof and the page says
the check that fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, Route

from ledger_service.chain.client import ChainClient
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.reports.model import report_links
from ledger_service.tenders.custodian import CustodianAgent
from tests.integration.web.live import LiveService

pytestmark = [pytest.mark.integration, pytest.mark.node]

CODE = "GC-2026-0801"
SUBJECT = f"tender:{CODE}"


@pytest.fixture(scope="module")
def report(
    live: LiveService, anvil: ManagedAnvil, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """A witness report of two anchored, witnessed records; its own record witnessed too."""
    ca = live.cli("witness", "init-ca", "--org", "某市公共资源交易中心")
    assert ca.returncode == 0 or "exist" in ca.stdout + ca.stderr, ca.stdout + ca.stderr
    registry = json.loads(live.policy_path.read_text())["contracts"]["TenderRegistry"]
    custodians = []
    for name in ("公证处", "监管局", "审计局"):
        agent = CustodianAgent.create(name)
        own = ChainClient(anvil.rpc_url, agent.account, 31337)
        own.fund_from_dev_account(10**19)
        agent.register_key(TenderRegistryContract(own, registry))
        custodians.append({"name": name, "address": agent.address})
    now = int(own.block("latest")["timestamp"])
    r = httpx.post(f"{live.base}/v1/tenders", headers=live.auth, timeout=60, json={
        "code": CODE, "title": "污水处理厂 Sewage works", "threshold": 2,
        "dealing_deadline": now + 3600, "complaint_deadline": now + 7200,
        "bid_deadline": now + 10800, "opening_time": now + 14400, "custodians": custodians})  # fmt: skip
    assert r.status_code == 201, r.text
    index = max(e["record_index"] for e in r.json()["events"])
    answer = httpx.get(f"{live.base}/v1/records/{index}", headers=live.auth, timeout=10).json()
    live.wait_witnessed(
        json.loads(base64.b64decode(answer["proof"]["record"]))["digests"]["sha256"]
    )
    r = httpx.post(
        f"{live.base}/v1/reports", json={"subject": SUBJECT}, headers=live.auth, timeout=120
    )
    assert r.status_code == 201, r.text
    issued: dict[str, Any] = r.json()
    live.wait_witnessed(issued["sha256"])
    pdf = httpx.get(f"{live.base}{issued['download']}", headers=live.auth, timeout=60)
    assert pdf.status_code == 200
    assert hashlib.sha256(pdf.content).hexdigest() == issued["sha256"]
    path = tmp_path_factory.mktemp("report") / f"{issued['number']}.pdf"
    path.write_bytes(pdf.content)
    return {**issued, "pdf": path}


@pytest.fixture
def qr_page(chromium: Browser, live: LiveService) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.base}/verify")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.set_input_files("#policy-file", str(live.policy_path))  # pinned before the QR visit
    page.wait_for_selector("#policy-status[data-state=pinned]")
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"expected no uncaught errors in the page, found {errors}"


def _qr_path(report: dict[str, Any]) -> str:
    target = urlsplit(report_links("http://ggzy.example.gov.cn", report["number"])[0])
    assert target.path == "/verify"
    return f"{target.path}?{target.query}"


def _verdict(page: Page) -> tuple[str, str]:
    page.wait_for_function(
        "document.body.dataset.state === 'done' && "
        "!['working', ''].includes(document.getElementById('verdict').dataset.verdict ?? '')",
        timeout=60_000,
    )
    v = page.locator("#verdict")
    return str(v.get_attribute("data-verdict")), v.inner_text()


def test_the_report_qr_target_verifies_the_report_in_the_browser(
    qr_page: Page, live: LiveService, report: dict[str, Any]
) -> None:
    page = qr_page
    page.goto(f"{live.base}{_qr_path(report)}")
    got, text = _verdict(page)
    assert got == "verified", text
    assert page.input_value("#digest") == report["sha256"]
    rows = page.locator("tr.check")
    assert {rows.nth(i).get_attribute("data-ok") for i in range(rows.count())} == {"true"}
    assert report["number"] in page.locator("#main").inner_text()
    # the reader holds the printed report: its PDF hashes here to the recorded digest
    page.evaluate("document.getElementById('verdict').dataset.verdict = ''")  # a fresh verdict next
    page.set_input_files("#file", str(report["pdf"]))
    got, text = _verdict(page)
    assert got == "verified", text
    assert page.input_value("#digest") == report["sha256"]
    shots = Path(__file__).resolve().parents[3] / "var" / "screenshots"
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "verify-report-qr.png"), full_page=True)


def test_a_report_proof_the_operator_altered_fails_by_name(
    qr_page: Page, live: LiveService, report: dict[str, Any]
) -> None:
    def lie(route: Route) -> None:
        response = route.fetch()
        body: dict[str, Any] = response.json()
        for p in body.get("proofs") or [body.get("proof")]:
            if p and p.get("leaf_hash"):
                p["leaf_hash"] = ("1" if p["leaf_hash"][0] == "0" else "0") + p["leaf_hash"][1:]
        route.fulfill(response=response, json=body)

    qr_page.route("**/v1/verify/*", lie)
    qr_page.goto(f"{live.base}{_qr_path(report)}")
    got, text = _verdict(qr_page)
    assert got == "failed", text
    assert qr_page.locator("tr.check[data-check=record]").first.get_attribute("data-ok") == "false"


def test_an_unknown_report_number_is_said_so(qr_page: Page, live: LiveService) -> None:
    qr_page.goto(f"{live.base}/verify?report=CW-1999-999999")
    got, text = _verdict(qr_page)
    assert got == "failed"
    assert "/v1/reports/CW-1999-999999: expected" in text, text
