"""The bidder page (/bidder) in Debian's chromium against a real service and custodians.

Three custodian agents (own keys and chain accounts, relaying over HTTP with their own
tokens) generate the tender's opening key; the operator issues the documents and
registers the bidders. A bidder imports their own keystore into the page, which checks
the tender key on chain against the pinned trust policy, seals the dropped document
in the browser (progress bar), signs the SealedBid with its pseudonym and the Bid with
the bidder's key, and uploads only the envelope. Two more bidders bid with the Python
client. At the opening time the custodians release their shares and the service's
watcher opens every bid by itself: the page's bid opens to the very bytes of the file,
under its sealed file name. The bidder lists their bids and opens their own copy.

The module runs its own anvil and service: it moves chain time through the tender's
deadlines, which the session's chain (shared by the other page tests) must not see.

Attack: the operator serves a tender key that is not the one on chain; the page
refuses to seal, naming the key it was served and the hash on chain, and uploads
nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from playwright.sync_api import Browser, Page, Route

from ledger_service.chain.client import ChainClient
from ledger_service.chain.keys import create_keystore
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.core import ecies
from ledger_service.tenders.bidder import BidderClient, ChainTrust, bidder_public_key, pseudonym_of
from ledger_service.tenders.custodian import AgentRun, CustodianAgent, HttpRelay
from tests.integration.web.harness import reflows_at_200_percent
from tests.integration.web.live import LiveService, live_service

pytestmark = [pytest.mark.integration, pytest.mark.node]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
CODE = "GC-2026-0701"
PASSWORD = "投标人口令 bidder password"
DOCUMENT = "投标文件 商务标 price 1,234,567 元\n".encode() * 5000  # ~190 KB: several chunks


@pytest.fixture(scope="module")
def anvil(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ManagedAnvil]:
    """This module's own chain: it moves chain time through a whole tender (deadlines,
    opening), which the session's chain, shared by the other page tests, must not see."""
    node = ManagedAnvil(tmp_path_factory.mktemp("bidder-anvil"), chain_id=31337)
    node.start()
    try:
        yield node
    finally:
        node.stop()


@pytest.fixture(scope="module")
def live(
    tmp_path_factory: pytest.TempPathFactory, anvil: ManagedAnvil, static_server: str
) -> Iterator[LiveService]:
    """``chainwitness serve`` with its witnesses on this module's own chain."""
    account = Account.create()
    ChainClient(anvil.rpc_url, account, 31337).fund_from_dev_account(10**20)
    with live_service(tmp_path_factory.mktemp("bidder-live"), anvil.rpc_url,
                      "0x" + bytes(account.key).hex()) as service:  # fmt: skip
        yield service


def _token(live: LiveService, role: str, name: str) -> str:
    r = live.cli("token", "create", "--role", role, "--name", name)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1].split()[-1]


@dataclass
class Tender:
    registry: str
    client: ChainClient
    runs: list[AgentRun]
    schedule: dict[str, int]
    page_bidder: LocalAccount
    keystore: Path
    others: list[LocalAccount]

    def chain_time(self) -> int:
        return int(self.client.block("latest")["timestamp"])

    def warp_to(self, t: int) -> None:
        now = self.chain_time()
        if t > now:
            self.client.request("evm_increaseTime", [t - now])
        self.client.request("evm_mine", [])

    def step_agents(self) -> None:
        for run in self.runs:
            run.step()


def _register(live: LiveService, account: LocalAccount, name: str) -> None:
    r = httpx.post(f"{live.base}/v1/tenders/{CODE}/bidders", headers=live.auth, timeout=60, json={
        "name": name, "address": account.address, "public_key": bidder_public_key(account).hex(),
        "pseudonym": pseudonym_of(account, tender_id_bytes(CODE)).address})  # fmt: skip
    assert r.status_code == 201, r.text


@pytest.fixture(scope="module")
def tender(
    live: LiveService, anvil: ManagedAnvil, tmp_path_factory: pytest.TempPathFactory
) -> Tender:
    """Tender GC-2026-0701 open for bids: its key made by three custodian agents over
    HTTP, documents issued, three bidders registered (one of them the page's)."""
    registry = json.loads(live.policy_path.read_text())["contracts"]["TenderRegistry"]
    client = ChainClient(anvil.rpc_url, Account.create(), 31337)
    runs = []
    chain_clock = lambda: float(int(client.block("latest")["timestamp"]))  # noqa: E731
    for name in ("公证处 notary", "监管局 regulator", "审计局 auditor"):
        agent = CustodianAgent.create(name)
        own = ChainClient(anvil.rpc_url, agent.account, 31337)
        own.fund_from_dev_account(10**19)
        agent.register_key(TenderRegistryContract(own, registry))
        relay = HttpRelay(live.base, _token(live, "custodian", agent.address))
        runs.append(
            AgentRun.connect(agent, anvil.rpc_url, registry, 31337, relay, clock=chain_clock)
        )
    now = int(client.block("latest")["timestamp"])
    schedule = {"dealing_deadline": now + 20, "complaint_deadline": now + 40,
                "bid_deadline": now + 400, "opening_time": now + 420}  # fmt: skip
    r = httpx.post(f"{live.base}/v1/tenders", headers=live.auth, timeout=60, json={
        "code": CODE, "title": "市政道路改造工程 Road works (bidder page)", "threshold": 2, **schedule,
        "custodians": [{"name": run.agent.name, "address": run.agent.address} for run in runs]})  # fmt: skip
    assert r.status_code == 201, r.text
    t = Tender(registry, client, runs, schedule, Account.create(), Path(), [])
    t.step_agents()  # deal
    t.warp_to(schedule["dealing_deadline"])
    t.step_agents()  # judge (no complaint)
    t.warp_to(schedule["complaint_deadline"])
    t.step_agents()  # approve: the t-th approval makes the service relay finalizeKey
    view = httpx.get(f"{live.base}/v1/tenders/{CODE}", timeout=10).json()
    assert view["opening_public_key"], view
    r = httpx.post(f"{live.base}/v1/tenders/{CODE}/documents", headers=live.auth, timeout=60,
                   json={"name": "招标文件.pdf", "sha256": hashlib.sha256(b"GC-2026-0701 docs").hexdigest()})  # fmt: skip
    assert r.status_code == 200, r.text
    keystore = tmp_path_factory.mktemp("bidder-keys") / "bidder-keystore.json"
    t.page_bidder, t.keystore = create_keystore(keystore, PASSWORD), keystore
    t.others = [Account.create(), Account.create()]
    _register(live, t.page_bidder, "甲建设集团有限公司")
    for i, other in enumerate(t.others):
        _register(live, other, f"投标人 {i}")
    return t


@pytest.fixture
def bidder_page(chromium: Browser, live: LiveService, tender: Tender) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.base}/verify")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.set_input_files("#policy-file", str(live.policy_path))
    page.wait_for_selector("#policy-status[data-state=pinned]")
    page.goto(f"{live.base}/bidder")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"expected no uncaught errors in the page, found {errors}"


def _load_key(page: Page, tender: Tender) -> None:
    page.set_input_files("#keystore", str(tender.keystore))
    page.fill("#keystore-password", PASSWORD)
    page.click("#key-go")
    page.wait_for_selector(
        f"#key-result[data-address='{tender.page_bidder.address}']", timeout=60_000
    )


def _check_tender(page: Page) -> tuple[str, str]:
    page.fill("#code", CODE)
    page.click("#tender-form button[type=submit]")
    status = page.locator("#tender-status")
    page.wait_for_function(
        "['checked', 'refused'].includes(document.getElementById('tender-status').dataset.state)",
        timeout=30_000,
    )
    return str(status.get_attribute("data-state")), status.inner_text()


def test_a_tender_key_not_on_chain_is_refused_by_name(
    bidder_page: Page, live: LiveService, tender: Tender, tmp_path: Path
) -> None:
    """Attack: the operator serves another key than the custodians approved on chain."""
    forged = ecies.public_key(bytes.fromhex("11" * 32)).hex()

    def lie(route: Route) -> None:
        response = route.fetch()
        body: dict[str, Any] = response.json()
        body["opening_public_key"] = forged
        route.fulfill(response=response, json=body)

    uploads: list[str] = []
    bidder_page.on(
        "request",
        lambda r: uploads.append(r.url) if "/bids" in r.url and r.method == "POST" else None,
    )
    bidder_page.route(f"**/v1/tenders/{CODE}", lie)
    _load_key(bidder_page, tender)
    state, text = _check_tender(bidder_page)
    assert state == "refused", text
    assert text.startswith(
        "拒绝封装：opening key: expected the key the custodians approved on chain"
    ), text
    assert f"found the service serving {forged}" in text
    # sealing re-checks the key and refuses too: nothing is uploaded
    doc = tmp_path / "bid.pdf"
    doc.write_bytes(DOCUMENT)
    bidder_page.fill("#token", _token(live, "bidder", tender.page_bidder.address))
    bidder_page.set_input_files("#bid-file", str(doc))
    bidder_page.click("#seal-go")
    bidder_page.wait_for_selector("body[data-state=done]", state="attached")
    assert bidder_page.locator("#bid-error").inner_text().startswith("opening key: expected")
    assert bidder_page.locator("#tender-status").get_attribute("data-state") == "refused"
    assert uploads == []
    assert float(bidder_page.locator("#seal-progress").get_attribute("value") or 0) == 0
    bidder_page.click("#lang")  # the refusal in English too
    assert (
        bidder_page.locator("#tender-status")
        .inner_text()
        .startswith(
            "Refusing to seal: opening key: expected the key the custodians approved on chain"
        )
    )
    assert bidder_page.locator("#seal-go").inner_text() == "Seal, sign and submit"
    reflows_at_200_percent(bidder_page)
    bidder_page.click("#lang")


def _python_bid(
    live: LiveService, tender: Tender, account: LocalAccount, tmp: Path, i: int
) -> bytes:
    trust = ChainTrust(live.rpc_url, 31337, tender.registry)
    client = BidderClient(live.base, _token(live, "bidder", account.address), account, trust)
    try:
        src = tmp / f"python-bid-{i}.pdf"
        src.write_bytes(f"报价 price {i} ".encode() * 1000)
        sealed = tmp / f"python-bid-{i}.pdf.cwseal"
        client.seal(CODE, src, sealed)
        client.submit(CODE, sealed)
        return src.read_bytes()
    finally:
        client.close()


def _wait_opened(live: LiveService, tender: Tender, timeout: float = 120) -> dict[str, Any]:
    until = time.monotonic() + timeout
    while True:
        view: dict[str, Any] = httpx.get(f"{live.base}/v1/tenders/{CODE}", timeout=10).json()
        if view["state"] == "opened":
            return view
        if time.monotonic() > until:
            raise AssertionError(
                f"expected tender {CODE} opened by the watcher, found {view['state']}"
            )
        tender.step_agents()  # release shares once the opening time has come
        time.sleep(1)


def test_a_bid_sealed_in_the_page_opens_with_the_others(
    bidder_page: Page, live: LiveService, tender: Tender, tmp_path: Path
) -> None:
    page = bidder_page
    _load_key(page, tender)
    address = tender.page_bidder.address
    assert page.locator("#key-result").inner_text().count(address) == 1
    state, text = _check_tender(page)
    assert (state, text) == (
        "checked",
        "招标密钥已在链上核对：与托管方在 TenderRegistry 上批准的开标公钥一致。",
    )
    pseudonym = pseudonym_of(tender.page_bidder, tender_id_bytes(CODE)).address
    assert pseudonym in page.locator("#key-result").inner_text()

    doc = tmp_path / "投标文件-商务标.pdf"
    doc.write_bytes(DOCUMENT)
    page.fill("#token", _token(live, "bidder", address))
    page.set_input_files("#bid-file", str(doc))
    page.click("#seal-go")
    page.wait_for_selector("body[data-submitted]", state="attached", timeout=60_000)
    assert page.locator("#bid-error").inner_text() == ""
    assert page.locator("#seal-progress").get_attribute("value") == "1"
    assert page.locator("#seal-percent").inner_text() == "100%"
    status = page.locator("#bid-status").inner_text()
    assert status.startswith("投标已提交：第 1 次提交，存证记录 #"), status
    with page.expect_download() as receipt_dl:
        page.click("#receipt-save")
    receipt = json.loads(Path(receipt_dl.value.path()).read_text())
    assert receipt["bidder"] == address and receipt["nonce"] == 1
    with page.expect_download() as sealed_dl:
        page.click("#sealed-save")
    assert sealed_dl.value.suggested_filename == "投标文件-商务标.pdf.cwseal"
    sealed_copy = tmp_path / "own.cwseal"
    sealed_dl.value.save_as(sealed_copy)
    assert sealed_copy.stat().st_size == receipt["size"]

    page.click("#mine-go")
    page.wait_for_selector("tr.mine")
    assert page.locator("tr.mine").count() == 1
    assert receipt["ciphertext_sha256"] in page.locator("tr.mine").inner_text()
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "bidder-page.png"), full_page=True)
    reflows_at_200_percent(page)

    plaintexts = {address: DOCUMENT}
    for i, other in enumerate(tender.others):
        plaintexts[other.address] = _python_bid(live, tender, other, tmp_path, i)

    # nobody presses a button: the watcher closes bidding, the custodians release at
    # the opening time by their own reading of the chain, the watcher opens every bid
    tender.warp_to(tender.schedule["bid_deadline"])
    time.sleep(3)
    tender.warp_to(tender.schedule["opening_time"])
    view = _wait_opened(live, tender)
    assert len(view["bids"]) == 3
    opened = httpx.get(
        f"{live.base}/v1/tenders/{CODE}/opened", headers=live.auth, timeout=30
    ).json()
    assert {o["bidder"] for o in opened} == set(plaintexts)
    mine = next(o for o in opened if o["bidder"] == address)
    assert mine["file_name"] == "投标文件-商务标.pdf"  # sealed in the browser, opened in Python
    for o in opened:
        r = httpx.get(f"{live.base}/v1/tenders/{CODE}/opened/{o['bidder']}/{o['nonce']}",
                      headers=live.auth, timeout=30)  # fmt: skip
        assert r.status_code == 200 and r.content == plaintexts[o["bidder"]], o

    # after opening the bidder opens their own copy with their own key
    page.click("#mine-go")
    page.wait_for_selector("tr.mine")
    page.set_input_files("#own-file", str(sealed_copy))
    page.wait_for_selector("#own-opened")
    assert page.locator("#own-error").inner_text() == ""
    assert str(len(DOCUMENT)) in page.locator("#own-opened").inner_text()
    assert page.locator("#own-match").inner_text() == "明文承诺与您第 1 次提交一致。"
    with page.expect_download() as own_dl:
        page.click("#own-save")
    assert Path(own_dl.value.path()).read_bytes() == DOCUMENT
