"""Digital notarization against a real anvil: issue, verify, and every way it must fail.

One service per module deploys its own contracts (NotaryRegistry included) on the
session anvil, deposits records for one tender and anchors them. Each test makes its
own notaries (fresh, funded accounts) so authorizations never leak between tests.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from eth_account.signers.local import LocalAccount
from typer.testing import CliRunner

from ledger_service.chain.client import ChainClient
from ledger_service.chain.deployment import Deployment
from ledger_service.chain.node import ManagedAnvil
from ledger_service.chain.tx import ContractReverted
from ledger_service.core.errors import ConfigurationError, Conflict, VerificationFailed
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.reports.pades import verify_report
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from notary import certificate as vc
from notary.api import notary_service_for
from notary.cli import app as cli_app
from notary.pdf import notary_ca_cert
from notary.registry import NotaryRegistryContract
from notary.verify import verify_certificate
from notary.workflow import IssuedCertificate, NotaryService

pytestmark = pytest.mark.integration
SUBJECT = "tender:GC-2026-NOTARY"
FUNDING_WEI = 10**19


#: the notary authority (司法行政机关): NotaryRegistry's admin, never the service
AUTHORITY: LocalAccount = Account.create()


@pytest.fixture(scope="module")
def running(
    tmp_path_factory: pytest.TempPathFactory, anvil: ManagedAnvil, chain_client: ChainClient
) -> Iterator[tuple[Services, NotaryService]]:
    data_dir = tmp_path_factory.mktemp("notary-svc")
    ChainClient(anvil.rpc_url, AUTHORITY, None, retries=2).fund_from_dev_account(FUNDING_WEI)
    settings = Settings(
        data_dir=data_dir, rpc_url=anvil.rpc_url,
        signer_key="0x" + bytes(chain_client.signer.key).hex(),
        notary_authority=AUTHORITY.address,
    )  # fmt: skip
    services = open_services(settings)
    assert services.client and services.evidence_log
    anchorer = Anchorer(
        services.log_store, services.anchors, services.client, services.evidence_log
    )
    for i in range(3):
        services.log_store.append([EvidenceRecord.create(
            kind="document", subject=SUBJECT, actor="bidder:test",
            digests={"sha256": hashlib.sha256(b"bid %d" % i).hexdigest()},
        )])  # fmt: skip
    assert anchorer.step().anchored is not None
    deployment = Deployment.load(data_dir)
    assert deployment is not None
    registry = NotaryRegistryContract(services.client, deployment.contracts["NotaryRegistry"])
    try:
        yield services, notary_service_for(services, registry, ca_password="notary-ca-pass")
    finally:
        services.close()


def new_notary(notary: NotaryService, *, authorize: bool = True) -> LocalAccount:
    """A fresh funded account, authorized on the registry by its admin unless told not to."""
    account: LocalAccount = Account.create()
    rpc_url = notary.registry.client.rpc_url
    if authorize:  # by the notary authority's own account, not the service
        as_authority = ChainClient(rpc_url, AUTHORITY, None, retries=2)
        NotaryRegistryContract(as_authority, notary.registry_address).authorize_notary(
            account.address, f"张公证 Notary Zhang {account.address[:8]}"
        )
    ChainClient(rpc_url, account, None, retries=2).fund_from_dev_account(FUNDING_WEI)
    return account


def check(notary: NotaryService, jws: str, package: bytes | None = None) -> list[str]:
    verdicts = verify_certificate(jws, rpc_url=notary.registry.client.rpc_url,
                                  registry_address=notary.registry_address, package=package)  # fmt: skip
    return [v.item for v in verdicts]


def issue_one(notary: NotaryService, account: LocalAccount) -> tuple[int, IssuedCertificate]:
    request_id = notary.request(SUBJECT, "bidder:alice", "please notarize")
    return request_id, notary.issue(request_id, account, "张公证 Notary Zhang")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def test_issue_and_verify(running: tuple[Services, NotaryService], tmp_path: Path) -> None:
    services, notary = running
    account = new_notary(notary)
    request_id = notary.request(SUBJECT, "bidder:alice", "please notarize")
    review = notary.review(request_id, account)
    assert review.passed and any("records/" in line for line in review.lines)
    issued = notary.issue(request_id, account, "张公证 Notary Zhang")
    package = notary.package(request_id)

    cert = vc.verify_signature(issued.jws)
    assert cert.notary == account.address and cert.subject == SUBJECT
    assert cert.records == 3 and cert.package_digest == hashlib.sha256(package).hexdigest()
    assert issued.digest == hashlib.sha256(issued.jws.encode()).hexdigest()
    header = json.loads(base64.urlsafe_b64decode(issued.jws.split(".")[0] + "=="))
    assert header["alg"] == "ES256K" and header["kid"] == cert.kid and "d" not in header["jwk"]
    assert check(notary, issued.jws, package) == [
        "signature", "registration", "notary", "revocation", "tree head", "package",
    ]  # fmt: skip
    # the PDF is signed by the notary's X.509 certificate under the notary CA
    signature = verify_report(issued.pdf, notary_ca_cert(services.settings.data_dir))
    assert signature.ok and account.address in signature.signer
    # every step is an evidence record
    kinds = [r.record.kind for r in services.log_store.records_for_subject(
        f"notary:{request_id}", limit=10)]  # fmt: skip
    assert kinds == ["notary.requested", "notary.reviewed", "notary.issued"]

    # the CLI says the same, and one line on failure
    cert_file, pkg_file = tmp_path / "cert.jws", tmp_path / "package.zip"
    cert_file.write_text(issued.jws)
    pkg_file.write_bytes(package)
    chain = services.chain
    assert chain is not None
    args = ["verify", str(cert_file), "--rpc", chain.rpc_url, "--registry",
            notary.registry_address]  # fmt: skip
    ok = CliRunner().invoke(cli_app, [*args, "--package", str(pkg_file)])
    assert ok.exit_code == 0, ok.output
    pkg_file.write_bytes(package + b"\0")
    bad = CliRunner().invoke(cli_app, [*args, "--package", str(pkg_file)])
    assert bad.exit_code == 1
    assert bad.output.count("\n") == 1 and "package: expected SHA-256" in bad.output


def test_forged_signature_fails(running: tuple[Services, NotaryService]) -> None:
    _services, notary = running
    _, issued = issue_one(notary, new_notary(notary))
    header, payload, _sig = issued.jws.split(".")
    other = Account.create()
    # the same credential re-signed by another key, with that key in the header
    forged_cert = vc.Certificate(**{**vc.parse(issued.jws).__dict__, "notary": other.address})
    resigned = vc.issue(forged_cert, bytes(other.key))
    swapped = ".".join([resigned.split(".")[0], payload, resigned.split(".")[2]])
    with pytest.raises(
        VerificationFailed, match=r"jwk to be the key of the issuer 0x.*found the key of"
    ):
        check(notary, swapped)
    # the notary's header kept, the signature made by another key
    forged = ".".join([header, payload, resigned.split(".")[2]])
    with pytest.raises(VerificationFailed, match="ES256K signature by .* does not verify"):
        check(notary, forged)
    # a payload edited under the original signature
    edited = json.loads(base64.urlsafe_b64decode(payload + "=="))
    edited["credentialSubject"]["records"] = 2
    from ledger_service.core.canonical import canonicalize

    tampered = ".".join([header, b64(canonicalize(edited)), issued.jws.split(".")[2]])
    with pytest.raises(VerificationFailed, match="does not verify"):
        check(notary, tampered)


def test_unauthorized_notary_is_refused(running: tuple[Services, NotaryService]) -> None:
    _services, notary = running
    stranger = new_notary(notary, authorize=False)
    request_id = notary.request(SUBJECT, "bidder:bob", "")
    with pytest.raises(ContractReverted, match="NotaryRegistryNotAuthorized"):
        notary.issue(request_id, stranger, "Stranger")
    assert notary.row(request_id).status == "reviewed"  # nothing issued
    # a certificate it signs anyway is not registered, so it does not verify
    legit = issue_one(notary, new_notary(notary))[1]
    own = vc.Certificate(**{**legit.certificate.__dict__, "notary": stranger.address,
                            "notary_name": "Stranger"})  # fmt: skip
    jws = vc.issue(own, bytes(stranger.key))
    vc.verify_signature(jws)  # the signature itself is fine
    with pytest.raises(
        VerificationFailed, match=r"registration: expected certificate .* found it is not"
    ):
        check(notary, jws)


def test_revoked_certificate_fails_with_reason(running: tuple[Services, NotaryService]) -> None:
    services, notary = running
    account = new_notary(notary)
    request_id, issued = issue_one(notary, account)
    notary.revoke(issued.digest, account, 4)
    with pytest.raises(VerificationFailed, match=r"revoked at .* reason code 4 \(superseded\)"):
        check(notary, issued.jws)
    assert notary.row(request_id).status == "revoked"
    kinds = [r.record.kind for r in services.log_store.records_for_subject(
        f"notary:{request_id}", limit=10)]  # fmt: skip
    assert kinds[-1] == "notary.revoked"
    with pytest.raises(Conflict, match="expected request .* to be issued, found revoked"):
        notary.revoke(issued.digest, account, 4)


def test_tampered_package_fails(running: tuple[Services, NotaryService]) -> None:
    services, notary = running
    account = new_notary(notary)
    request_id, issued = issue_one(notary, account)
    package = bytearray(notary.package(request_id))
    package[len(package) // 2] ^= 1
    with pytest.raises(VerificationFailed, match="package: expected SHA-256 .* found"):
        check(notary, issued.jws, bytes(package))
    # a package altered in the store before review is caught by the review, then refused
    later = notary.request(SUBJECT, "bidder:carol", "")
    path = services.blobs.open(notary.row(later).package_sha256)
    path.write_bytes(bytes(package))
    review = notary.review(later, account)
    assert not review.passed and review.lines[0].startswith("FAILED")
    with pytest.raises(Conflict, match="to be reviewed, found review_failed"):
        notary.issue(later, account, "张公证 Notary Zhang")


def test_notary_removed_after_issuance(running: tuple[Services, NotaryService]) -> None:
    _services, notary = running
    account = new_notary(notary)
    _, before = issue_one(notary, account)
    client = notary.registry.client
    client.request("evm_increaseTime", [5])  # removal strictly after issuance
    client.request("evm_mine", [])
    as_authority = ChainClient(client.rpc_url, AUTHORITY, None, retries=2)
    NotaryRegistryContract(as_authority, notary.registry_address).remove_notary(account.address)
    assert check(notary, before.jws)[-1] == "tree head"  # still valid
    request_id = notary.request(SUBJECT, "bidder:dave", "")
    with pytest.raises(ContractReverted, match="NotaryRegistryNotAuthorized"):
        notary.issue(request_id, account, "张公证 Notary Zhang")


def test_the_notary_needs_the_chain(
    running: tuple[Services, NotaryService], tmp_path: Path
) -> None:
    _, notary = running
    offline = open_services(Settings(data_dir=tmp_path / "offline"), chain=False)
    try:
        with pytest.raises(ConfigurationError, match="expected services opened with the chain"):
            notary_service_for(offline, notary.registry)
    finally:
        offline.close()


def test_http_issue_verify_revoke(running: tuple[Services, NotaryService]) -> None:
    from fastapi.testclient import TestClient

    from ledger_service.api.app import create_app
    from ledger_service.store.tokens import create_token
    from notary.api import NotarySettings
    from notary.api import router as notary_router

    services, notary = running
    account = new_notary(notary)
    app = create_app(services)
    if not any(getattr(r, "path", "").startswith("/v1/notary") for r in app.routes):
        app.include_router(notary_router)  # the entry point is not installed in this tree yet
    app.state.notary_settings = NotarySettings(
        key="0x" + bytes(account.key).hex(), name="李公证 Notary Li",
        registry_address=notary.registry_address, ca_password="notary-ca-pass",
    )  # fmt: skip
    engine = services.log_store.engine
    notary_token = create_token(engine, "notary-li", "notary")[1]
    bidder_token = create_token(engine, "bidder-x", "bidder")[1]
    as_notary = {"Authorization": f"Bearer {notary_token}"}
    as_bidder = {"Authorization": f"Bearer {bidder_token}"}
    as_centre = {"Authorization": f"Bearer {create_token(engine, 'centre', 'operator')[1]}"}
    with TestClient(app) as http:
        # a bidder may not have the service build and record a package under any name
        denied = http.post("/v1/notary/requests", headers=as_bidder, json={"subject": SUBJECT})
        assert denied.status_code == 403, denied.text
        # the requester is the token, never a field of the body
        named = http.post("/v1/notary/requests", headers=as_centre,
                          json={"subject": SUBJECT, "requester": "court:supreme"})  # fmt: skip
        assert named.status_code == 422 and "requester" in named.text, named.text
        made = http.post("/v1/notary/requests", headers=as_centre, json={"subject": SUBJECT})
        assert made.status_code == 201, made.text
        assert made.json()["requester"] == "operator:centre"
        request_id = made.json()["request_id"]
        refused = http.post(f"/v1/notary/requests/{request_id}/issue", headers=as_bidder)
        assert refused.status_code == 403
        issued = http.post(f"/v1/notary/requests/{request_id}/issue", headers=as_notary)
        assert issued.status_code == 201, issued.text
        digest = issued.json()["certificate_digest"]
        ok = http.get(f"/v1/notary/certificates/{digest}/verify")  # public
        assert ok.status_code == 200 and ok.json()["valid"], ok.text
        pdf = http.get(f"/v1/notary/certificates/{digest}/pdf")
        assert pdf.content.startswith(b"%PDF")
        revoked = http.post(f"/v1/notary/certificates/{digest}/revoke", headers=as_notary,
                            json={"reason_code": 1})  # fmt: skip
        assert revoked.status_code == 200, revoked.text
        failed = http.get(f"/v1/notary/certificates/{digest}/verify")
        assert failed.status_code == 422
        assert "reason code 1 (keyCompromise)" in failed.json()["detail"]
        # on a production (consortium) chain the service may not hold a notary's key
        again = http.post("/v1/notary/requests", headers=as_centre,
                          json={"subject": SUBJECT}).json()["request_id"]  # fmt: skip
        services.settings.chain_kind = "consortium"
        try:
            hosted = http.post(f"/v1/notary/requests/{again}/issue", headers=as_notary)
        finally:
            services.settings.chain_kind = None
        assert hosted.status_code == 403
        assert "CHAINWITNESS_NOTARY_KEY is development-only" in hosted.json()["detail"]
