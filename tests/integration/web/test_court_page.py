"""The court page (/court) in Debian's chromium against a real service.

A court clerk enters the court's token, searches a tender's records, requests and
downloads its evidence package; the page verifies the package in the browser
against the trust policy pinned on /verify. The service records the search and the
retrieval as custody evidence, and the page shows their record numbers.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page

from tests.integration.web.live import LiveService

pytestmark = [pytest.mark.integration, pytest.mark.node]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"


@pytest.fixture(scope="module")
def receipts(live: LiveService) -> None:
    """Three records of tender GC-2026-0501, anchored and witnessed."""
    for i in range(3):
        body = live.deposit_file(f"投标回执-{i}.txt", f"投标回执 bid receipt {i}\n".encode(),
                                 "tender:GC-2026-0501")  # fmt: skip
    live.wait_witnessed(body["sha256"])


@pytest.fixture
def court_page(chromium: Browser, live: LiveService, receipts: None) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.base}/verify")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.set_input_files("#policy-file", str(live.policy_path))
    page.wait_for_selector("#policy-status[data-state=pinned]")
    page.goto(f"{live.base}/court")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"expected no uncaught errors in the page, found {errors}"


def custody(live: LiveService, index: int) -> dict[str, object]:
    r = httpx.get(f"{live.base}/v1/records/{index}", headers=live.auth, timeout=10)
    r.raise_for_status()
    record: dict[str, object] = json.loads(base64.b64decode(r.json()["proof"]["record"]))
    return record


def test_a_court_searches_downloads_and_verifies_a_package(
    court_page: Page, live: LiveService
) -> None:
    token = live.cli("token", "create", "--role", "court", "--name", "某市中级人民法院")
    assert token.returncode == 0, token.stderr
    page = court_page
    assert page.locator("#policy-status").get_attribute("data-state") == "pinned"
    page.fill("#token", token.stdout.strip().splitlines()[-1].split()[-1])
    page.fill("#q-tender", "GC-2026-0501")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("#found")
    assert page.locator("tr.found").count() == 3
    found = page.locator("#found").inner_text()
    search_record = int(found.rsplit("#", 1)[1].rstrip("。."))
    assert custody(live, search_record)["kind"] == "custody.search"
    assert page.input_value("#p-subject") == "tender:GC-2026-0501"
    page.click("#p-go")
    page.wait_for_selector("body[data-state=done]", state="attached", timeout=60_000)
    v = page.locator("#verdict")
    assert v.get_attribute("data-verdict") == "verified", v.inner_text()
    assert v.inner_text() == "取证包已验证：3 条记录，全部在链上锚定的日志中。"
    assert page.locator("tr.check[data-ok=false]").count() == 0
    assert page.locator("#p-save").get_attribute("download", timeout=1000).startswith("evidence-")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "court-page.png"), full_page=True)


def test_without_a_token_the_page_says_what_it_needs(court_page: Page) -> None:
    court_page.fill("#q-tender", "GC-2026-0501")
    court_page.click("#search-form button[type=submit]")
    assert court_page.locator("#search-error").inner_text() == "需要令牌：请先填写法院或监管令牌"
