"""HTTP endpoints of digital notarization (数字公证), mounted by ``ledger_service.api``.

Offered through the ``chainwitness.routers`` entry point group, so the evidence service
never imports this package. The service-hosted notary is DEVELOPMENT ONLY: a notary's
key belongs on the notary's own machine, so it is refused unless the service runs a
development chain (refused once ``CHAINWITNESS_CHAIN_KIND`` is ``consortium``). There
the notary's signing key comes
from ``CHAINWITNESS_NOTARY_KEY`` or the key file ``CHAINWITNESS_NOTARY_KEYSTORE`` with
``CHAINWITNESS_NOTARY_KEYSTORE_PASSWORD`` (and its display name from ``CHAINWITNESS_NOTARY_NAME``);
the registry address from ``CHAINWITNESS_NOTARY_REGISTRY_ADDRESS`` or the service's
``deployment.json``. The :class:`NotaryService` is built on first use and kept on the app.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from eth_account.signers.local import LocalAccount
from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field, FilePath, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

from ledger_service.api.deps import ServicesDep, require
from ledger_service.chain.keys import load_signer
from ledger_service.core.canonical import MAX_SAFE_INTEGER
from ledger_service.core.errors import Forbidden, NotConfigured
from ledger_service.evidence.packaging import build_package
from ledger_service.runtime import Services
from ledger_service.store.tokens import TokenInfo
from notary import certificate as vc
from notary import models, own_key
from notary.registry import NotaryRegistryContract
from notary.verify import verify_certificate
from notary.workflow import NotaryRequest, NotaryService

__all__ = ["NotarySettings", "notary_service_for", "notary_view", "router"]

router = APIRouter(prefix="/v1/notary", tags=["notary"])
NotaryRole = Annotated[TokenInfo, Depends(require("notary"))]
AnyRole = Annotated[TokenInfo, Depends(require())]
Requester = Annotated[TokenInfo, Depends(require("operator", "court", "notary"))]
Admin = Annotated[TokenInfo, Depends(require("admin"))]
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_HEX64 = r"^[0-9a-f]{64}$"
RequestId = Annotated[int, Path(ge=1, le=MAX_SAFE_INTEGER)]


def _not_json(media_type: str, what: str, binary: bool = True) -> dict[int | str, dict[str, Any]]:
    """The documented 200 answer of a route that answers bytes or text, not JSON."""
    schema = {"type": "string", "format": "binary"} if binary else {"type": "string"}
    return {200: {"description": what, "content": {media_type: {"schema": schema}}}}


class NotarySettings(BaseSettings):
    """``CHAINWITNESS_NOTARY_*`` settings of the service-hosted notary."""

    model_config = SettingsConfigDict(env_prefix="CHAINWITNESS_NOTARY_", extra="ignore")

    key: SecretStr | None = Field(default=None, description="the notary's hex private key")
    keystore: FilePath | None = Field(default=None, description="or the notary's key file "
                                      "(key create --role notary)")  # fmt: skip
    keystore_password: SecretStr | None = None
    name: str = Field(default="Chain Witness Notary", min_length=1, max_length=128)
    registry_address: str | None = None
    ca_password: SecretStr | None = None


def _settings(request: Request) -> NotarySettings:
    settings: NotarySettings | None = getattr(request.app.state, "notary_settings", None)
    if settings is None:
        settings = request.app.state.notary_settings = NotarySettings()
    return settings


def notary_service_for(
    services: Services, registry: NotaryRegistryContract, *, ca_password: str | None = None
) -> NotaryService:
    """The notary service over the evidence service's stores and chain.

    ``ca_password`` opens the notary CA (default: the service's witness password, else
    a generated one kept beside the CA).

    Raises:
        NotConfigured: ``services`` was opened without the chain.
    """
    if services.chain is None:
        raise NotConfigured("expected services opened with the chain, found none")
    settings = services.settings
    if not ca_password and settings.witness_password is not None:
        ca_password = settings.witness_password.get_secret_value()

    def build(subject: str, *, now: datetime) -> bytes:
        return build_package(services.package_sources(), subject, now=now)

    return NotaryService(
        services.log_store, services.blobs, registry, build, rpc_url=services.chain.rpc_url,
        data_dir=settings.data_dir, base_url=settings.base_url, ca_password=ca_password,
    )  # fmt: skip


def notary_service(request: Request, services: ServicesDep) -> NotaryService:
    svc: NotaryService | None = getattr(request.app.state, "notary_service", None)
    if svc is not None:
        return svc
    from ledger_service.chain.deployment import Deployment

    settings = _settings(request)
    address = settings.registry_address
    if address is None:
        deployment = Deployment.load(services.settings.data_dir)
        address = deployment.contracts.get("NotaryRegistry") if deployment else None
    if address is None or services.client is None:
        raise NotConfigured(
            "expected a NotaryRegistry (CHAINWITNESS_NOTARY_REGISTRY_ADDRESS or deployment.json) "
            "and a chain, found none"
        )
    password = settings.ca_password.get_secret_value() if settings.ca_password else None
    svc = notary_service_for(services, NotaryRegistryContract(services.client, address),
                             ca_password=password)  # fmt: skip
    request.app.state.notary_service = svc
    return svc


def notary_account(request: Request, services: ServicesDep) -> LocalAccount:
    """The hosted notary's account: development chains only.

    Raises Forbidden on a chain declared a consortium (``CHAINWITNESS_CHAIN_KIND``): in
    production the operator must never hold a notary's private key.
    """
    settings = _settings(request)
    key = settings.key
    if services.settings.chain_kind == "consortium":
        raise Forbidden(
            "expected the notary to sign on its own machine, found the service-hosted notary "
            "asked for on a consortium chain (CHAINWITNESS_NOTARY_KEY is development-only)"
        )
    if key is None and settings.keystore is not None:
        pw = settings.keystore_password
        return load_signer(None, settings.keystore, None if pw is None else pw.get_secret_value())
    if key is None:
        raise NotConfigured(
            "expected CHAINWITNESS_NOTARY_KEY or CHAINWITNESS_NOTARY_KEYSTORE for "
            "the hosted notary, found neither"
        )
    return load_signer(key.get_secret_value(), None, None)


NotaryDep = Annotated[NotaryService, Depends(notary_service)]
AccountDep = Annotated[LocalAccount, Depends(notary_account)]


class RequestIn(BaseModel):
    """The requester is the caller's token (``role:name``), never a field of the body."""

    model_config = ConfigDict(extra="forbid")

    subject: str = Field(min_length=1, max_length=256, examples=["tender:GC-2026-0417"])
    note: str = Field(default="", max_length=2000)


class RejectIn(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class RevokeIn(BaseModel):
    reason_code: int = Field(ge=1, le=255, description="RFC 5280 CRLReason numbering")


class NotaryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    address: str = Field(pattern=_ADDRESS, description="the notary's own chain account")
    name: str = Field(min_length=1, max_length=128, examples=["某市公证处"])


def _dev_authority(services: Services) -> LocalAccount:
    """The notary authority's key, which the service holds on the embedded chain only.

    Raises Forbidden when the registry's authority is configured (a real authority signs
    on its own machine) or the chain is not the embedded one.
    """
    from ledger_service.runtime import dev_notary_authority

    settings = services.settings
    if services.node is None or settings.notary_authority is not None:
        raise Forbidden(
            "expected the notary authority to sign on its own machine (`chainwitness notary "
            "authorize --keystore AUTHORITY.json --rpc RPC`), found "
            + (f"the authority {settings.notary_authority} configured"
               if settings.notary_authority else "a chain the service does not run")
            + ": the service authorizes notaries only on its embedded development chain"
        )  # fmt: skip
    return dev_notary_authority(settings.data_dir)


def notary_view(address: str, registry: NotaryRegistryContract) -> dict[str, Any]:
    info = registry.notary_info(address)
    return {"notary": address, "name": info.name or None, "authorized_at": info.authorized_at,
            "removed_at": info.removed_at, "active": info.active}  # fmt: skip


def _view(row: NotaryRequest) -> dict[str, Any]:
    return {
        "request_id": row.id, "subject": row.subject, "requester": row.requester,
        "status": row.status, "package_sha256": row.package_sha256, "review": row.review,
        "notary": row.notary, "serial": row.serial, "certificate_digest": row.cert_digest,
        "tx_hash": row.tx_hash, "pdf_sha256": row.pdf_sha256,
        "reject_reason": row.reject_reason, "revoked_reason_code": row.revoked_reason_code,
    }  # fmt: skip


@router.post("/notaries", status_code=201, summary="Authorize a notary (admin; embedded chain)",
             response_model=models.NotaryAuthorized)  # fmt: skip
def authorize(
    body: NotaryIn, notary: NotaryDep, services: ServicesDep, _t: Admin
) -> dict[str, Any]:
    """On the embedded development chain the service plays the notary authority
    (司法行政机关, NotaryRegistry's admin) with its own dev key; elsewhere 403: the
    authority runs `chainwitness notary authorize --keystore` itself."""
    from ledger_service.chain.client import ChainClient

    authority = _dev_authority(services)
    assert services.chain is not None
    client = ChainClient(services.chain.rpc_url, authority, services.chain.chain_id, retries=2)
    registry = NotaryRegistryContract(client, notary.registry_address)
    tx = registry.authorize_notary(body.address, body.name)
    return {**notary_view(body.address, registry), "tx_hash": tx.tx_hash}


@router.get("/notaries/{address}", summary="A notary's authorization, read from the chain",
            response_model=models.NotaryStatus)  # fmt: skip
def notary_status(
    address: Annotated[str, Path(pattern=_ADDRESS)], notary: NotaryDep
) -> dict[str, Any]:
    return notary_view(address, notary.registry)


@router.post("/requests", status_code=201, summary="Request notarization of a subject",
             response_model=models.NotaryRequestOut)  # fmt: skip
def create_request(body: RequestIn, notary: NotaryDep, token: Requester) -> dict[str, Any]:
    # each request builds a whole evidence package (every record of the subject, files
    # included): only parties entitled to that evidence may ask, under their own name
    request_id = notary.request(body.subject, f"{token.role}:{token.name}", body.note)
    return _view(notary.row(request_id))


@router.get("/requests/{request_id}", summary="A notarization request and its status",
            response_model=models.NotaryRequestOut)  # fmt: skip
def get_request(request_id: RequestId, notary: NotaryDep, _t: AnyRole) -> dict[str, Any]:
    return _view(notary.row(request_id))


@router.post("/requests/{request_id}/review", summary="Verify the package and record the verdict",
             response_model=models.ReviewAnswer)  # fmt: skip
def review(
    request_id: RequestId, notary: NotaryDep, account: AccountDep, _t: NotaryRole
) -> dict[str, Any]:
    result = notary.review(request_id, account)
    return {"request_id": request_id, "passed": result.passed, "lines": list(result.lines)}


@router.post("/requests/{request_id}/issue", status_code=201, summary="Issue the certificate",
             response_model=models.CertificateIssued)  # fmt: skip
def issue(
    request_id: RequestId, request: Request, notary: NotaryDep, account: AccountDep, _t: NotaryRole
) -> dict[str, Any]:
    issued = notary.issue(request_id, account, _settings(request).name)
    return {
        "request_id": request_id, "serial": issued.certificate.serial,
        "certificate_digest": issued.digest, "jws": issued.jws, "tx_hash": issued.tx_hash,
        "pdf_sha256": issued.pdf_sha256, "verify_url": notary.verify_url(issued.digest),
        "public_url": notary.public_url(issued.digest),
    }  # fmt: skip


@router.post("/requests/{request_id}/reject", summary="Reject a request, stating why",
             response_model=models.NotaryRequestOut)  # fmt: skip
def reject(
    request_id: RequestId, body: RejectIn, notary: NotaryDep, account: AccountDep, _t: NotaryRole
) -> dict[str, Any]:
    notary.reject(request_id, account, body.reason)
    return _view(notary.row(request_id))


@router.post("/certificates/{digest}/revoke", summary="Revoke a certificate on chain",
             response_model=models.CertificateRevoked)  # fmt: skip
def revoke(
    digest: Annotated[str, Path(pattern=_HEX64)], body: RevokeIn, notary: NotaryDep,
    account: AccountDep, _t: NotaryRole,
) -> dict[str, Any]:  # fmt: skip
    tx_hash = notary.revoke(digest, account, body.reason_code)
    return {"certificate_digest": digest, "reason_code": body.reason_code, "tx_hash": tx_hash}


# -- signed by the notary on its own machine (the notary page; notary.own_key) --------------

_HEX_TX = r"^0x([0-9a-f]{2}){1,4096}$"


class SignedCertificateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    jws: str = Field(min_length=1, max_length=65_536, description="the certificate, signed "
                     "ES256K by the notary's own key (docs/notarization.md section 2)")  # fmt: skip
    transaction: str = Field(pattern=_HEX_TX, description="the notary's own signed legacy "
                             "EIP-155 registerCertificate transaction, relayed as is")  # fmt: skip


class SignedRejectionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)
    signature: str = Field(pattern=r"^0x[0-9a-f]{130}$", description="EIP-712 Rejection "
                           "(requestId, packageDigest, reason) signed by the notary")  # fmt: skip


class SignedRevocationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    transaction: str = Field(pattern=_HEX_TX, description="the issuing notary's own signed "
                             "revokeCertificate transaction, relayed as is")  # fmt: skip


def _pinned_notary(services: Services) -> str | None:
    return services.settings.notary


def _as_itself(token: TokenInfo, signer: str) -> None:
    """A notary token issued in an address (``token create --role notary --name 0x...``)
    acts only for that notary."""
    name = token.name
    if token.role == "notary" and name.startswith("0x") and name.lower() != signer.lower():
        raise Forbidden(
            f"expected a notary token issued for {signer}, found one issued for {name!r}: a "
            "notary acts only as itself"
        )


@router.get("/requests", summary="Notarization requests, newest first (for the notary)",
            response_model=models.NotaryRequests)  # fmt: skip
def list_requests(
    notary: NotaryDep, _t: NotaryRole,
    status: str | None = Query(None, pattern=r"^[a-z_]{1,16}$", examples=["requested"]),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:  # fmt: skip
    return {"requests": [_view(r) for r in notary.rows(status, limit)]}


@router.get("/requests/{request_id}/package", summary="A request's evidence package (zip)",
            response_class=Response,
            responses=_not_json("application/zip", "the evidence package, as stored"))  # fmt: skip
def notary_request_package(request_id: RequestId, notary: NotaryDep, _t: NotaryRole) -> Response:
    """The package as stored, for the notary to verify on its own machine."""
    return Response(notary.package(request_id), media_type="application/zip")


@router.post("/requests/{request_id}/certificate", status_code=201,
             summary="Issue a certificate the notary signed itself, with its own registration",
             response_model=models.CertificateIssued)  # fmt: skip
def issue_signed(
    request_id: RequestId, body: SignedCertificateIn, notary: NotaryDep, services: ServicesDep,
    token: NotaryRole,
) -> dict[str, Any]:  # fmt: skip
    """The JWS must be the authorized notary's (the pinned notary, in office on
    NotaryRegistry; 403 naming both keys otherwise) and state this request's package;
    the transaction must be that notary's ``registerCertificate`` of exactly this
    certificate. The service only broadcasts it."""
    _as_itself(token, vc.parse(body.jws).notary)
    issued = notary.issue_signed(request_id, body.jws, bytes.fromhex(body.transaction[2:]),
                                 _pinned_notary(services))  # fmt: skip
    return {
        "request_id": request_id, "serial": issued.certificate.serial,
        "certificate_digest": issued.digest, "jws": issued.jws, "tx_hash": issued.tx_hash,
        "pdf_sha256": issued.pdf_sha256, "verify_url": notary.verify_url(issued.digest),
        "public_url": notary.public_url(issued.digest),
    }  # fmt: skip


@router.post("/requests/{request_id}/rejection", summary="Reject with the notary's own signature",
             response_model=models.NotaryRequestOut)  # fmt: skip
def reject_signed(
    request_id: RequestId, body: SignedRejectionIn, notary: NotaryDep, services: ServicesDep,
    token: NotaryRole,
) -> dict[str, Any]:  # fmt: skip
    signature = bytes.fromhex(body.signature[2:])
    typed = own_key.rejection_typed_data(notary.registry.client.chain_id, notary.registry_address,
                                         request_id, notary.row(request_id).package_sha256,
                                         body.reason)  # fmt: skip
    _as_itself(token, own_key.rejection_signer(typed, signature))
    notary.reject_signed(request_id, body.reason, signature, _pinned_notary(services))
    return _view(notary.row(request_id))


@router.post("/certificates/{digest}/revocation",
             summary="Revoke with the issuing notary's own signed transaction",
             response_model=models.CertificateRevoked)  # fmt: skip
def revoke_signed(
    digest: Annotated[str, Path(pattern=_HEX64)], body: SignedRevocationIn, notary: NotaryDep,
    token: NotaryRole,
) -> dict[str, Any]:  # fmt: skip
    row = notary.by_digest(digest)
    if row.notary is not None:
        _as_itself(token, row.notary)
    code, tx_hash = notary.revoke_signed(digest, bytes.fromhex(body.transaction[2:]))
    return {"certificate_digest": digest, "reason_code": code, "tx_hash": tx_hash}


@router.get("/certificates/{digest}/verify", summary="Public check of a certificate",
            response_model=models.CertificateCheck)  # fmt: skip
def verify(digest: str, notary: NotaryDep, services: ServicesDep) -> dict[str, Any]:
    """Runs the independent checks (``notary.verify``) with the stored JWS and package.

    A certificate that fails answers 422 problem+json naming the failed check.
    """
    row = notary.by_digest(digest)
    assert services.chain is not None
    verdicts = verify_certificate(
        row.credential(), rpc_url=services.chain.rpc_url, registry_address=notary.registry_address,
        package=notary.package(row.id),
    )  # fmt: skip
    return {"certificate_digest": row.cert_digest, "serial": row.serial, "valid": True,
            "verdicts": [v.line() for v in verdicts]}  # fmt: skip


@router.get("/certificates/{digest}", summary="The certificate (compact JWS)",
            response_class=Response,
            responses=_not_json("application/vc+jwt", "the certificate, compact JWS", binary=False))  # fmt: skip
def certificate(digest: str, notary: NotaryDep) -> Response:
    return Response(notary.by_digest(digest).credential(), media_type="application/vc+jwt")


@router.get("/certificates/{digest}/pdf", summary="The signed certificate PDF",
            response_class=Response,
            responses=_not_json("application/pdf", "the signed certificate PDF"))  # fmt: skip
def certificate_pdf(digest: str, notary: NotaryDep, services: ServicesDep) -> Response:
    row = notary.by_digest(digest)
    return Response(services.blobs.open(row.certificate_pdf_sha256()).read_bytes(),
                    media_type="application/pdf")  # fmt: skip
