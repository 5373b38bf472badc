"""The public verification page (/verify) in Debian's chromium against a real service.

``chainwitness serve`` runs with three witness processes on the session anvil. The
page hashes a file in the browser, looks its digest up and verifies record,
inclusion proof, checkpoint, cosignatures, anchor and chain itself against the
trust policy the user loaded. The OPERATOR then lies: ``page.route`` rewrites the
service's answer (a proof hash, a cosignature, the anchored root) and the page must
name the check that fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from playwright.sync_api import Browser, Page, Route

from notary.certificate import AnchorRef, Certificate
from notary.certificate import issue as issue_certificate
from tests.integration.web.live import LiveService

pytestmark = [pytest.mark.integration, pytest.mark.node]

ROOT = Path(__file__).resolve().parents[3]
SHOTS = ROOT / "var" / "screenshots"
DOCUMENT = "招标文件 Tender document GC-2026-0417: 市政道路改造工程\n".encode() * 300


@pytest.fixture(scope="module")
def recorded(live: LiveService, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    path = tmp_path_factory.mktemp("doc") / "招标文件-GC-2026-0417.txt"
    path.write_bytes(DOCUMENT)
    for i in range(4):  # others first: the proof then has a path to tamper with
        live.deposit_file(
            f"澄清-{i:02d}.txt", f"澄清与修改 Clarification {i}\n".encode(), "tender:GC-2026-0417"
        )
    body = live.deposit_file(path.name, DOCUMENT, "tender:GC-2026-0417")
    live.wait_witnessed(body["sha256"])
    return path, body["sha256"]


@pytest.fixture
def verify_page(chromium: Browser, live: LiveService) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(f"{live.base}/verify")
    try:
        page.wait_for_selector("body[data-ready=true]", state="attached", timeout=20_000)
    except Exception:
        raise AssertionError(f"expected the page ready, found errors {errors}") from None
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"expected no uncaught errors in the page, found {errors}"


def load_policy(page: Page, live: LiveService) -> None:
    page.set_input_files("#policy-file", str(live.policy_path))
    page.wait_for_selector("#policy-status[data-state=pinned]")


def verdict(page: Page) -> tuple[str, str]:
    page.wait_for_selector("body[data-state=done]", state="attached", timeout=60_000)
    v = page.locator("#verdict")
    return str(v.get_attribute("data-verdict")), v.inner_text()


def checks(page: Page) -> dict[str, str]:
    rows = page.locator("tr.check")
    return {rows.nth(i).get_attribute("data-check") or "": rows.nth(i).get_attribute("data-ok") or ""
            for i in range(rows.count())}  # fmt: skip


def test_a_recorded_file_verifies_in_the_browser(
    verify_page: Page, live: LiveService, recorded: tuple[Path, str]
) -> None:
    path, digest = recorded
    page = verify_page
    load_policy(page, live)
    page.set_input_files("#file", str(path))
    got, text = verdict(page)
    assert got == "verified", text
    assert checks(page) == {c: "true" for c in (
        "record", "inclusion", "log-signature", "cosignatures", "pinned-anchor",
        "chain-id", "chain-root", "chain-transaction", "consistency")}  # fmt: skip
    assert page.input_value("#digest") == digest
    assert "2 / 3" in text or "2/3" in text
    assert "开发链" in page.locator(".proof").inner_text()  # the embedded anvil says so
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "verify-page.png"), full_page=True)
    page.click("#lang")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#verdict").inner_text().startswith("Verified: recorded by")
    page.screenshot(path=str(SHOTS / "verify-page-en.png"), full_page=True)
    assert "(computed here" in page.locator("#file-status").inner_text()
    # 200% zoom: the same page in half the CSS width reflows without horizontal scrolling
    page.set_viewport_size({"width": 600, "height": 900})
    wide = page.evaluate("""() => [...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
        .map(e => e.tagName + '#' + e.id + '.' + e.className).slice(0, 5)""")
    assert wide == [], f"expected nothing wider than the window at 200% zoom, found {wide}"
    page.screenshot(path=str(SHOTS / "verify-page-zoom200.png"))
    page.set_viewport_size({"width": 1200, "height": 900})
    page.emulate_media(media="print")
    page.screenshot(path=str(SHOTS / "verify-page-print.png"), full_page=True)
    # the print stylesheet keeps the result only
    assert not page.locator("#drop").is_visible()
    assert page.locator("#verdict").is_visible()


def test_without_a_policy_the_page_says_it_is_the_operators_word(
    verify_page: Page, recorded: tuple[Path, str]
) -> None:
    page = verify_page
    assert page.locator("#policy-status").get_attribute("data-state") == "none"
    page.fill("#digest", recorded[1])
    page.press("#digest", "Enter")
    got, text = verdict(page)
    assert got == "unpinned"
    assert text.startswith("仅为运营方的说法：未载入信任策略")
    c = checks(page)
    assert c["inclusion"] == "true" and c["log-signature"] == "null" and c["cosignatures"] == "null"


def tamper(page: Page, change: Callable[[dict[str, Any]], None]) -> None:
    """Play the operator: rewrite the service's /v1/verify answer before the page sees it."""

    def handle(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        change(body)
        route.fulfill(response=response, json=body)

    page.route("**/v1/verify/*", handle)


def flip_hex(value: str) -> str:
    return ("1" if value[0] == "0" else "0") + value[1:]


@pytest.mark.parametrize(("name", "change", "failed"), [
    ("proof hash", lambda b: b["proofs"][0]["path"].__setitem__(0, flip_hex(b["proofs"][0]["path"][0])),
     "inclusion"),
    ("cosignature", lambda b: b["checkpoints"][0].__setitem__("note", _bad_cosignature(b["checkpoints"][0]["note"])),
     "cosignatures"),
    ("root and anchor", lambda b: _other_root(b), "inclusion"),
])  # fmt: skip
def test_an_operator_who_lies_is_shown_failed_by_name(
    verify_page: Page, live: LiveService, recorded: tuple[Path, str],
    name: str, change: Callable[[dict[str, Any]], None], failed: str,
) -> None:  # fmt: skip
    page = verify_page
    load_policy(page, live)
    tamper(page, change)
    page.fill("#digest", recorded[1])
    page.click("#digest-form button[type=submit]")
    got, text = verdict(page)
    assert got == "failed", f"{name}: {text}"
    assert checks(page)[failed] == "false", f"{name}: {checks(page)}"
    assert (
        page.locator(f"tr.check[data-check={failed}] td.detail")
        .inner_text()
        .startswith(("VerificationFailed", "MalformedInput"))
    )
    assert "验证失败" in text
    if name == "proof hash":
        page.screenshot(path=str(SHOTS / "verify-page-tampered.png"), full_page=True)


def _bad_cosignature(note: str) -> str:
    # flip one bit of the last witness line's Ed25519 signature
    lines = note.split("\n")
    i = max(j for j, line in enumerate(lines) if line.startswith("\u2014 "))
    dash, name, b64 = lines[i].split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    lines[i] = f"{dash} {name} {base64.b64encode(bytes(raw)).decode()}"
    return "\n".join(lines)


def _other_root(body: dict[str, Any]) -> None:
    # the operator claims another head: proof root and anchor root rewritten together
    p = body["proofs"][0]
    p["root"] = flip_hex(p["root"])
    p["anchor"]["root"] = p["root"]


def test_a_digest_never_recorded_is_not_found(verify_page: Page) -> None:
    verify_page.fill("#digest", "ab" * 32)
    verify_page.press("#digest", "Enter")
    got, text = verdict(verify_page)
    assert got == "notfound"
    assert "ab" * 32 in text


def test_a_malformed_digest_is_refused_in_the_page(verify_page: Page) -> None:
    verify_page.fill("#digest", "xyz")
    verify_page.press("#digest", "Enter")
    assert (
        verify_page.locator("#digest-error").inner_text()
        == "需要 64 位十六进制的 SHA-256 摘要，收到的是 3 个字符"
    )
    assert verify_page.locator("#digest").get_attribute("aria-invalid") == "true"


def test_the_qr_target_verifies_by_query(chromium: Browser, live: LiveService,
                                         recorded: tuple[Path, str]) -> None:  # fmt: skip
    context = chromium.new_context()
    page = context.new_page()
    try:
        page.goto(f"{live.base}/verify")
        load_policy(page, live)  # remembered in localStorage for the QR visit
        page.goto(f"{live.base}/verify?sha256={recorded[1]}")
        got, text = verdict(page)
        assert got == "verified", text
    finally:
        context.close()


@pytest.fixture(scope="module")
def package(
    live: LiveService, recorded: tuple[Path, str], tmp_path_factory: pytest.TempPathFactory
) -> Path:
    out = tmp_path_factory.mktemp("package") / "evidence-GC-2026-0417.zip"
    built = live.cli("package", "tender:GC-2026-0417", "-o", str(out))
    assert built.returncode == 0, built.stdout + built.stderr
    # the Python verifier, in its own process, is the oracle: the same package verifies there
    oracle = live.cli("verify", str(out), "--policy", str(live.policy_path), "--rpc", live.rpc_url)
    assert oracle.returncode == 0, oracle.stdout + oracle.stderr
    return out


def test_an_evidence_package_verifies_offline_in_the_browser(
    verify_page: Page, live: LiveService, package: Path
) -> None:
    page = verify_page
    load_policy(page, live)
    page.set_input_files("#file", str(package))
    got, text = verdict(page)
    assert got == "verified", text
    assert text.startswith("取证包已验证：5 条记录")
    c = checks(page)
    assert c.pop("timestamps") == "null"  # no TSA configured: none carried, and said so
    assert c == {k: "true" for k in ("container", "manifest", "heads", "anchors", "records",
                                     "files", "signatures", "checkpoints", "chain")}  # fmt: skip
    page.screenshot(path=str(SHOTS / "verify-package.png"), full_page=True)


def test_a_package_with_an_altered_record_fails_in_the_browser(
    verify_page: Page, live: LiveService, package: Path, tmp_path: Path
) -> None:
    # the operator rewrites a record inside the package (the zip is otherwise rebuilt intact)
    altered = tmp_path / "altered.zip"
    with zipfile.ZipFile(package) as src, zipfile.ZipFile(altered, "w") as dst:
        # records are named by their log index, which depends on what ran before
        target = next(n for n in src.namelist() if re.fullmatch(r"records/\d+\.json", n))
        for info in src.infolist():
            data = src.read(info)
            if info.filename == target:
                changed = re.sub(rb'("actor": ?")([^"]*)"', rb'\1\2-altered"', data, count=1)
                assert changed != data, "the record to alter has no actor"
                data = changed
            dst.writestr(info, data)
    page = verify_page
    load_policy(page, live)
    page.set_input_files("#file", str(altered))
    got, text = verdict(page)
    assert got == "failed", text
    assert checks(page)["manifest"] == "false"
    detail = page.locator("tr.check[data-check=manifest] td.detail").inner_text()
    assert detail.startswith(f"VerificationFailed: {target}: expected")


def certificate_for(package: Path, key: bytes) -> str:
    """A notarization certificate of ``package`` signed with ``key`` (as the notary would)."""
    with zipfile.ZipFile(package) as z:
        manifest = json.loads(z.read("manifest.json"))
        newest = json.loads(z.read("heads.json"))["heads"][-1]
    account = Account.from_key(key)
    cert = Certificate(
        serial="CWN-2026-000001", chain_id=newest["chain_id"], notary=account.address,
        notary_name="某市公证处 Notary office", valid_from="2026-12-03T08:00:00Z",
        package_digest=hashlib.sha256(package.read_bytes()).hexdigest(),
        subject=manifest["subject"], records=5, tree_size=newest["tree_size"],
        tree_root=newest["root"],
        anchor=AnchorRef(newest["chain_id"], newest["contract"], newest["tx_hash"],
                         newest["block_number"]),
    )  # fmt: skip
    return issue_certificate(cert, key)


@pytest.mark.parametrize("signer", ["pinned notary", "someone else"])
def test_a_notarization_certificate_is_checked_in_the_browser(
    verify_page: Page, live: LiveService, package: Path, tmp_path: Path, signer: str
) -> None:
    key = live.notary_key if signer == "pinned notary" else bytes(Account.create().key)
    jws = tmp_path / "certificate.jws"
    jws.write_text(certificate_for(package, key))
    page = verify_page
    load_policy(page, live)
    page.set_input_files("#file", str(jws))
    got, text = verdict(page)
    c = checks(page)
    assert c["signature"] == "true"  # either way a valid ES256K signature by its own key
    assert c["registration"] == "null"  # not read in the browser, and the page says so
    if signer == "pinned notary":
        assert got == "verified", text
        assert c["trust-policy"] == "true" and c["tree-head"] == "true"
        assert "登记与撤销状态未在浏览器中核对" in text
        page.screenshot(path=str(SHOTS / "verify-certificate.png"), full_page=True)
    else:
        assert got == "failed"
        assert c["trust-policy"] == "false"
        detail = page.locator("tr.check[data-check=trust-policy] td.detail").inner_text()
        assert "expected the pinned notary" in detail
