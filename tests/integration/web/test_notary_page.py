"""The notary page (/notary) in Debian's chromium against a real service and chain.

The notary authority authorizes the notary office on NotaryRegistry from its own
account; an operator asks for two subjects to be notarized. The notary opens the page
with its own key (held in the page), lists the requests, and the page verifies each
request's evidence package in the browser against the pinned policy. It issues a
certificate: the JWS signed ES256K and the registerCertificate transaction signed in
the page, which the service only relays; the certificate verifies on /verify and by
the independent Python check (registration included). The notary rejects the other
request with an EIP-712 signature, then revokes the certificate with its own
transaction.

Attack: a certificate signed by a key other than the authorized notary's (with that
key's own registration transaction) is refused by the service, naming both keys.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account
from playwright.sync_api import Browser, Page

from ledger_service.chain.client import ChainClient
from ledger_service.chain.node import ManagedAnvil
from notary import own_key
from notary.certificate import AnchorRef, Certificate, certificate_digest
from notary.certificate import issue as issue_certificate
from notary.registry import NotaryRegistryContract
from tests.integration.web.harness import reflows_at_200_percent
from tests.integration.web.live import LiveService

pytestmark = [pytest.mark.integration, pytest.mark.node]

SHOTS = Path(__file__).resolve().parents[3] / "var" / "screenshots"
SUBJECTS = ("tender:GC-2026-0901", "tender:GC-2026-0902", "tender:GC-2026-0903")
NAME = "某市长安公证处 Notary office"


def _token(live: LiveService, role: str, name: str) -> str:
    r = live.cli("token", "create", "--role", role, "--name", name)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip().splitlines()[-1].split()[-1]


@pytest.fixture(scope="module")
def requests_(live: LiveService, anvil: ManagedAnvil) -> dict[str, int]:
    """The notary authorized on chain by the authority; one request per subject."""
    policy = json.loads(live.policy_path.read_text())
    registry = policy["contracts"]["NotaryRegistry"]
    authority = ChainClient(anvil.rpc_url, Account.from_key(live.authority_key), 31337)
    authority.fund_from_dev_account(10**19)
    notary = Account.from_key(live.notary_key)
    NotaryRegistryContract(authority, registry).authorize_notary(notary.address, NAME)
    ChainClient(anvil.rpc_url, notary, 31337).fund_from_dev_account(10**19)
    for subject in SUBJECTS:
        body = live.deposit_file(
            f"{subject[7:]}-开标记录.txt", f"{subject} 开标记录\n".encode(), subject
        )
    live.wait_witnessed(body["sha256"])
    out = {}
    for subject in SUBJECTS:
        r = httpx.post(f"{live.base}/v1/notary/requests", headers=live.auth, timeout=120,
                       json={"subject": subject, "note": "请公证 please notarize"})  # fmt: skip
        assert r.status_code == 201, r.text
        out[subject] = r.json()["request_id"]
    return out


@pytest.fixture
def notary_page(chromium: Browser, live: LiveService, requests_: dict[str, int]) -> Iterator[Page]:
    context = chromium.new_context(viewport={"width": 1200, "height": 900}, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{live.base}/verify")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.set_input_files("#policy-file", str(live.policy_path))
    page.wait_for_selector("#policy-status[data-state=pinned]")
    page.goto(f"{live.base}/notary")
    page.wait_for_selector("body[data-ready=true]", state="attached")
    page.fill("#secret-hex", live.notary_key.hex())
    page.click("#key-go")
    page.wait_for_selector("#key-result[data-address]")
    page.fill("#token", _token(live, "notary", Account.from_key(live.notary_key).address))
    page.fill("#notary-name", NAME)
    try:
        yield page
    finally:
        context.close()
    assert not errors, f"expected no uncaught errors in the page, found {errors}"


def _review(page: Page, request_id: int) -> tuple[str, str]:
    page.click("#requests-go")
    page.click(f"button.review[data-request='{request_id}']")
    page.wait_for_selector(f"body[data-reviewed='{request_id}'][data-state=done]", state="attached",
                           timeout=60_000)  # fmt: skip
    v = page.locator("#verdict")
    return str(v.get_attribute("data-verdict")), v.inner_text()


def test_issue_from_the_page_verifies_on_verify_then_revoke(
    notary_page: Page, live: LiveService, requests_: dict[str, int]
) -> None:
    page = notary_page
    request_id = requests_[SUBJECTS[0]]
    assert "是本密钥" in page.locator("#key-result").inner_text()
    got, text = _review(page, request_id)
    assert got == "verified", text
    assert text.startswith(f"申请 {request_id} 的取证包已验证：")
    assert page.locator("tr.check[data-ok=false]").count() == 0
    page.click("#issue-go")
    page.wait_for_selector("body[data-issued][data-state=done]", state="attached", timeout=60_000)
    assert page.locator("#decide-error").inner_text() == ""
    digest = str(page.locator("body").get_attribute("data-issued"))
    assert page.locator("#decide-status").inner_text().startswith("公证书已签发：CWN-")
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "notary-page.png"), full_page=True)
    reflows_at_200_percent(page)
    with page.expect_download() as dl:
        page.click("#jws-save")
    jws = Path(dl.value.path()).read_text()
    assert certificate_digest(jws) == digest
    # the independent Python check reads NotaryRegistry too: registered by this notary
    check = httpx.get(f"{live.base}/v1/notary/certificates/{digest}/verify", timeout=60)
    assert check.status_code == 200 and check.json()["valid"], check.text
    row = httpx.get(
        f"{live.base}/v1/notary/requests/{request_id}", headers=live.auth, timeout=10
    ).json()
    assert row["status"] == "issued" and row["certificate_digest"] == digest

    # the certificate verifies on the public page, in another tab
    jws_file = Path(dl.value.path()).with_suffix(".jws")
    jws_file.write_text(jws)
    verify = page.context.new_page()
    verify.goto(f"{live.base}/verify")
    verify.wait_for_selector("body[data-ready=true]", state="attached")
    verify.set_input_files("#file", str(jws_file))
    verify.wait_for_selector("body[data-state=done]", state="attached", timeout=60_000)
    assert verify.locator("#verdict").get_attribute("data-verdict") == "verified", verify.locator(
        "#verdict"
    ).inner_text()
    verify.close()

    # revoked with the notary's own transaction: the independent check now refuses it
    page.select_option("#revoke-code", "17")
    page.click("#revoke-go")
    page.wait_for_selector("body[data-revoked][data-state=done]", state="attached", timeout=60_000)
    assert page.locator("#revoke-error").inner_text() == ""
    assert page.locator("#revoke-status").inner_text().startswith("已撤销，原因代码 17")
    check = httpx.get(f"{live.base}/v1/notary/certificates/{digest}/verify", timeout=60)
    assert check.status_code == 422 and "revocation" in check.json()["detail"], check.text


def test_reject_from_the_page_with_the_notarys_signature(
    notary_page: Page, live: LiveService, requests_: dict[str, int]
) -> None:
    request_id = requests_[SUBJECTS[1]]
    got, text = _review(notary_page, request_id)
    assert got == "verified", text
    notary_page.fill("#reject-reason", "材料不全 incomplete")
    notary_page.click("#reject-go")
    notary_page.wait_for_selector("body[data-rejected][data-state=done]", state="attached")
    assert notary_page.locator("#decide-error").inner_text() == ""
    row = httpx.get(
        f"{live.base}/v1/notary/requests/{request_id}", headers=live.auth, timeout=10
    ).json()
    assert row["status"] == "rejected" and row["reject_reason"] == "材料不全 incomplete"
    assert row["notary"] == Account.from_key(live.notary_key).address


def _forged(live: LiveService, request_id: int, key: bytes) -> dict[str, Any]:
    """A certificate of the request's package and its registration, both signed by ``key``."""
    import io
    import zipfile

    package = httpx.get(f"{live.base}/v1/notary/requests/{request_id}/package",
                        headers={"Authorization": f"Bearer {_token(live, 'notary', 'auditor')}"}, timeout=30)  # fmt: skip
    assert package.status_code == 200, package.text
    with zipfile.ZipFile(io.BytesIO(package.content)) as z:
        manifest = json.loads(z.read("manifest.json"))
        newest = max(json.loads(z.read("heads.json"))["heads"], key=lambda h: h["tree_size"])
        records = sum(1 for n in z.namelist() if n.startswith("records/") and n.endswith(".json"))
    row = httpx.get(
        f"{live.base}/v1/notary/requests/{request_id}", headers=live.auth, timeout=10
    ).json()
    account = Account.from_key(key)
    cert = Certificate(
        serial=f"CWN-2026-{request_id:06d}", chain_id=31337, notary=account.address,
        notary_name="冒名公证处 Impostor", valid_from=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        package_digest=row["package_sha256"], subject=manifest["subject"], records=records,
        tree_size=newest["tree_size"], tree_root=newest["root"],
        anchor=AnchorRef(31337, newest["contract"], newest["tx_hash"], newest["block_number"]),
    )  # fmt: skip
    jws = issue_certificate(cert, key)
    registry = json.loads(live.policy_path.read_text())["contracts"]["NotaryRegistry"]
    data = own_key.register_calldata(bytes.fromhex(certificate_digest(jws)),
                                     bytes.fromhex(row["package_sha256"]), newest["tree_size"],
                                     bytes.fromhex(newest["root"]))  # fmt: skip
    tx = Account.sign_transaction({"nonce": 0, "gasPrice": 10**9, "gas": 200_000, "to": registry,
                                   "value": 0, "data": data, "chainId": 31337}, key)  # fmt: skip
    return {"jws": jws, "transaction": "0x" + bytes(tx.raw_transaction).hex()}


def test_a_certificate_signed_by_another_key_is_refused_by_name(
    live: LiveService, requests_: dict[str, int]
) -> None:
    request_id = requests_[SUBJECTS[2]]
    other = Account.create()
    body = _forged(live, request_id, bytes(other.key))
    # a notary token not bound to an address: the service's own check must refuse
    auth = {"Authorization": f"Bearer {_token(live, 'notary', 'records office')}"}
    r = httpx.post(f"{live.base}/v1/notary/requests/{request_id}/certificate", json=body,
                   headers=auth, timeout=60)  # fmt: skip
    assert r.status_code == 403, r.text
    pinned = Account.from_key(live.notary_key).address
    assert r.json()["detail"] == (
        f"certificate: expected the signature of the authorized notary {pinned}, "
        f"found one by {other.address}"
    )
    # a token issued in the notary's address acts only as that notary
    mine = {"Authorization": f"Bearer {_token(live, 'notary', pinned)}"}
    r = httpx.post(f"{live.base}/v1/notary/requests/{request_id}/certificate", json=body,
                   headers=mine, timeout=60)  # fmt: skip
    assert r.status_code == 403 and "a notary acts only as itself" in r.json()["detail"], r.text
    row = httpx.get(
        f"{live.base}/v1/notary/requests/{request_id}", headers=live.auth, timeout=10
    ).json()
    assert row["status"] == "requested" and row["certificate_digest"] is None
