"""Typed answers of the notary routes (see ``ledger_service.api.models.Answer``)."""

from __future__ import annotations

from pydantic import Field

from ledger_service.api.models import Answer

_HEX32 = r"^[0-9a-f]{64}$"


class NotaryStatus(Answer):
    """A notary's authorization as NotaryRegistry holds it (read from the chain)."""

    notary: str = Field(description="the notary's address")
    name: str | None = Field(description="null for an address never authorized")
    authorized_at: int | None = Field(description="chain time, Unix seconds; null: never")
    removed_at: int | None = Field(description="chain time, Unix seconds; null: not removed")
    active: bool


class NotaryAuthorized(NotaryStatus):
    tx_hash: str = Field(description="the authorizeNotary transaction")


class NotaryRequestOut(Answer):
    """A notarization request and how far it went (null: not reached yet)."""

    request_id: int
    subject: str
    requester: str = Field(description="role:name of the token that asked")
    status: str
    package_sha256: str = Field(pattern=_HEX32, description="the evidence package reviewed")
    review: str | None = Field(description="the review's check lines, one per line")
    notary: str | None
    serial: str | None
    certificate_digest: str | None = Field(description="SHA-256 hex of the certificate JWS")
    tx_hash: str | None = Field(description="the registerCertificate transaction")
    pdf_sha256: str | None
    reject_reason: str | None
    revoked_reason_code: int | None


class NotaryRequests(Answer):
    """Notarization requests, newest first."""

    requests: list[NotaryRequestOut]


class ReviewAnswer(Answer):
    request_id: int
    passed: bool
    lines: list[str] = Field(description="one line per check of the package")


class CertificateIssued(Answer):
    request_id: int
    serial: str
    certificate_digest: str = Field(pattern=_HEX32, description="SHA-256 hex of the JWS")
    jws: str = Field(description="the certificate, compact JWS (ES256K)")
    tx_hash: str = Field(description="the registerCertificate transaction")
    pdf_sha256: str = Field(pattern=_HEX32)
    verify_url: str = Field(description="the certificate's machine-readable check")
    public_url: str = Field(description="the public verification page (the QR target)")


class CertificateRevoked(Answer):
    certificate_digest: str = Field(pattern=_HEX32)
    reason_code: int
    tx_hash: str


class CertificateCheck(Answer):
    """Every independent check passed (a failing certificate answers 422 problem+json)."""

    certificate_digest: str | None
    serial: str | None
    valid: bool
    verdicts: list[str] = Field(description="one line per check")
