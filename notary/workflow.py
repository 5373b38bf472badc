"""The notarization workflow (公证流程): request, review, issue or reject, revoke.

A requester asks for a subject (e.g. ``tender:GC-2026-0417``) to be notarized; the
service builds its evidence package and keeps it. A notary reviews it (the independent
package verifier runs, online against the chain, and its verdict is recorded), then
issues a certificate or rejects the request. Issuing signs the credential with the
notary's own key, registers its digest on NotaryRegistry in a transaction the notary
signs (so the chain, not this service, decides whether the notary is authorized), and
renders the PAdES-signed PDF. A notary may later revoke a certificate with a reason code.

Every step is an evidence record: kind ``notary.<step>`` (``requested``, ``reviewed``,
``issued``, ``rejected``, ``revoked``), subject ``notary:<request id>``.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import secrets
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from eth_account.signers.local import LocalAccount
from sqlalchemy import Table, insert, select, update

from ledger_service.chain.client import ChainClient
from ledger_service.core.errors import (
    ChainUnavailable,
    Conflict,
    EvidenceError,
    MalformedInput,
    NotFound,
    VerificationFailed,
)
from ledger_service.core.proofs import Anchor
from ledger_service.evidence.deposit import NOTARY, record_step
from ledger_service.evidence.package_rpc import verify_package
from ledger_service.store.blobs import BlobStore
from ledger_service.store.db import reading
from ledger_service.store.log import LogStore
from ledger_service.store.models import NotaryRequestRow
from notary import certificate as vc
from notary import own_key, pdf
from notary.registry import NotaryRegistryContract

__all__ = [
    "IssuedCertificate", "NotaryRequest", "NotaryService", "PackageBuilder", "Review",
    "SERIAL_PREFIX",
]  # fmt: skip

_T = cast(Table, NotaryRequestRow.__table__)
SERIAL_PREFIX = "CWN"
MAX_NOTE_CHARS = 2000
MAX_REQUESTER_CHARS = 128
_RECORD = re.compile(r"records/(0|[1-9][0-9]*)\.json")

#: how long a relayed transaction of the notary's may take to be mined
_RELAY_WAIT_S = 60.0
REQUESTED, REVIEWED, REVIEW_FAILED = "requested", "reviewed", "review_failed"
ISSUED, REJECTED, REVOKED = "issued", "rejected", "revoked"


class PackageBuilder(Protocol):
    """Builds, self-checks and records the evidence package of ``subject``, as
    ``ledger_service.packaging.build_package`` does over the service's stores.

    Raises NotFound, Conflict (not anchored yet), ChainUnavailable as that function.
    """

    def __call__(self, subject: str, *, now: datetime) -> bytes: ...


@dataclass(frozen=True)
class NotaryRequest:
    """A notarization request as stored (``notary_requests``); the certificate fields
    are None until issued."""

    id: int
    subject: str
    requester: str
    note: str
    package_sha256: str
    status: str
    created_at: str
    reviewer: str | None
    review: str | None
    notary: str | None
    reject_reason: str | None
    serial: str | None
    cert_digest: str | None
    jws: str | None
    pdf_sha256: str | None
    tx_hash: str | None
    revoked_reason_code: int | None

    def credential(self) -> str:
        """The issued certificate (compact JWS). Raises NotFound before issuance."""
        if self.jws is None:
            raise NotFound(f"expected request {self.id} issued, found status {self.status}")
        return self.jws

    def certificate_pdf_sha256(self) -> str:
        """The SHA-256 of the signed certificate PDF. Raises NotFound before issuance."""
        if self.pdf_sha256 is None:
            raise NotFound(f"expected request {self.id} issued, found status {self.status}")
        return self.pdf_sha256


@dataclass(frozen=True)
class Review:
    """The recorded verdict of the independent verifier on a request's package."""

    request_id: int
    passed: bool
    lines: tuple[str, ...]


@dataclass(frozen=True)
class IssuedCertificate:
    request_id: int
    certificate: vc.Certificate
    jws: str
    digest: str  # SHA-256 hex of the JWS
    tx_hash: str  # registerCertificate
    pdf: bytes
    pdf_sha256: str


def _stamp(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class NotaryService:
    """Notarization on one NotaryRegistry deployment (``registry``).

    Steps go to ``log_store`` as evidence records (its database also holds the
    requests); packages, PDFs and credentials go to ``blobs``. ``rpc_url`` is the
    chain the independent verifier checks and the notary's own transactions go to
    (``registry``'s chain). The notary CA lives under ``<data_dir>/notary/``; a
    certificate's public check URL starts with ``base_url``. ``ca_password`` opens the
    notary CA keys (None: a generated password kept beside the CA, mode 0600, as for
    the embedded dev signer). ``now`` is the clock (injectable for tests).
    """

    def __init__(
        self, log_store: LogStore, blobs: BlobStore, registry: NotaryRegistryContract,
        build_package: PackageBuilder, *, rpc_url: str, data_dir: Path, base_url: str,
        ca_password: str | None = None, now: Callable[[], datetime] | None = None,
    ) -> None:  # fmt: skip
        self._log = log_store
        self._engine = log_store.engine
        self._blobs = blobs
        self.registry = registry
        self._build_package = build_package
        self._rpc_url = rpc_url
        self._data_dir = data_dir
        self._base_url = base_url
        self._ca_password = ca_password
        self._now = now or (lambda: datetime.now(UTC))

    @property
    def registry_address(self) -> str:
        return str(self.registry.address)

    # -- helpers -------------------------------------------------------------

    def row(self, request_id: int) -> NotaryRequest:
        """The stored request. Raises NotFound."""
        with reading(self._engine) as conn:
            row = conn.execute(select(_T).where(_T.c.id == request_id)).first()
        if row is None:
            raise NotFound(f"expected a notarization request {request_id}, found none")
        return NotaryRequest(**row._mapping)

    def by_digest(self, cert_digest: str) -> NotaryRequest:
        """The request whose certificate has ``cert_digest`` (hex). Raises NotFound."""
        with reading(self._engine) as conn:
            row = conn.execute(select(_T).where(_T.c.cert_digest == cert_digest.lower())).first()
        if row is None:
            raise NotFound(f"expected a certificate with digest {cert_digest}, found none")
        return NotaryRequest(**row._mapping)

    def package(self, request_id: int) -> bytes:
        """The evidence package of a request, as stored. Raises NotFound."""
        return self._blobs.open(self.row(request_id).package_sha256).read_bytes()

    def _set(self, request_id: int, **values: Any) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(_T).where(_T.c.id == request_id).values(**values))

    def _record(
        self, request_id: int, step: str, actor: str, payload: dict[str, Any],
        digest: str | None = None,
    ) -> int:  # fmt: skip
        return record_step(
            self._log, NOTARY, request_id, step, payload, actor=actor,
            digests=None if digest is None else {"sha256": digest}, now=self._now(),
        )  # fmt: skip

    def _expect(self, row: NotaryRequest, *statuses: str) -> None:
        if row.status not in statuses:
            raise Conflict(
                f"expected request {row.id} to be {' or '.join(statuses)}, found {row.status}"
            )

    def _notary_registry(self, account: LocalAccount) -> NotaryRegistryContract:
        """The registry with transactions signed by the notary's own account."""
        client = ChainClient(self._rpc_url, account, self.registry.client.chain_id, retries=2)
        return NotaryRegistryContract(client, self.registry_address)

    def _password(self) -> str:
        if self._ca_password:
            return self._ca_password
        path = self._data_dir / "notary" / "ca.password"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(24))
        return path.read_text().strip()

    def verify_url(self, cert_digest: str) -> str:
        """The certificate's machine-readable check (JSON)."""
        return f"{self._base_url}/v1/notary/certificates/{cert_digest}/verify"

    def public_url(self, cert_digest: str) -> str:
        """The public verification page of the certificate (its QR target): the page
        looks the digest up among the records (the ``notary.issued`` record carries it)."""
        return f"{self._base_url}/verify?sha256={cert_digest}"

    # -- steps ---------------------------------------------------------------

    def request(self, subject: str, requester: str, note: str = "") -> int:
        """Build the evidence package of ``subject`` and open a request; returns its id.

        Raises:
            MalformedInput: empty/long requester or a long note.
            NotFound, Conflict, ChainUnavailable: as ``build_package`` (e.g. not anchored yet).
        """
        if not 0 < len(requester) <= MAX_REQUESTER_CHARS:
            raise MalformedInput(
                f"requester: expected 1..{MAX_REQUESTER_CHARS} characters, found {len(requester)}"
            )
        if len(note) > MAX_NOTE_CHARS:
            raise MalformedInput(
                f"note: expected at most {MAX_NOTE_CHARS} characters, found {len(note)}"
            )
        data = self._build_package(subject, now=self._now())
        digest = self._blobs.put_bytes(data).sha256
        with self._engine.begin() as conn:
            result = conn.execute(insert(_T).values(
                subject=subject, requester=requester, note=note, package_sha256=digest,
                status=REQUESTED, created_at=_stamp(self._now()),
            ))  # fmt: skip
            request_id = int(result.inserted_primary_key[0])  # type: ignore[index]
        self._record(request_id, REQUESTED, requester,
                     {"subject": subject, "note": note}, digest)  # fmt: skip
        return request_id

    def review(self, request_id: int, notary_account: LocalAccount) -> Review:
        """Verify the request's package with the independent verifier (online) and record it.

        A failing package is a recorded verdict (status ``review_failed``), not an error.

        Raises:
            NotFound: no such request. Conflict: already issued or rejected.
            ChainUnavailable: the chain does not answer (nothing is recorded).
        """
        row = self.row(request_id)
        self._expect(row, REQUESTED, REVIEWED, REVIEW_FAILED)
        data = self.package(request_id)
        try:
            if hashlib.sha256(data).hexdigest() != row.package_sha256:
                raise MalformedInput(
                    f"package: expected SHA-256 {row.package_sha256}, found the stored file differs"
                )
            report = verify_package(data, rpc_url=self._rpc_url)
            passed, lines = True, tuple(report.lines())
        except ChainUnavailable:
            raise
        except EvidenceError as exc:
            passed, lines = False, (f"FAILED {exc}",)
        reviewer = notary_account.address
        self._set(request_id, status=REVIEWED if passed else REVIEW_FAILED, reviewer=reviewer,
                  review="\n".join(lines))  # fmt: skip
        self._record(request_id, "reviewed", f"notary:{reviewer}", {
            "verdict": "passed" if passed else "failed", "checks": len(lines),
            "package_sha256": row.package_sha256, **({} if passed else {"reason": lines[0]}),
        })  # fmt: skip
        return Review(request_id, passed, lines)

    def issue(
        self, request_id: int, notary_account: LocalAccount, notary_name: str
    ) -> IssuedCertificate:
        """Issue the certificate: sign the credential, register it on chain, render the PDF.

        A request not yet reviewed is reviewed first.

        Raises:
            NotFound: no such request. Conflict: not reviewed successfully, or already decided.
            ContractReverted: the chain refused the registration (e.g. the notary is not
                authorized); nothing is recorded.
        """
        row = self.row(request_id)
        if row.status == REQUESTED:
            self.review(request_id, notary_account)
            row = self.row(request_id)
        self._expect(row, REVIEWED)
        data = self.package(request_id)
        subject, records, head = _package_facts(data)
        now = self._now()
        cert = vc.Certificate(
            serial=f"{SERIAL_PREFIX}-{now.astimezone(UTC).year:04d}-{request_id:06d}",
            chain_id=self.registry.client.chain_id,
            notary=notary_account.address,
            notary_name=notary_name,
            valid_from=_stamp(now),
            package_digest=row.package_sha256,
            subject=subject,
            records=records,
            tree_size=head.tree_size,
            tree_root=head.root.hex(),
            anchor=vc.AnchorRef(head.chain_id, head.contract, head.tx_hash, head.block_number),
        )
        jws = vc.issue(cert, bytes(notary_account.key))
        digest = vc.certificate_digest(jws)
        tx = self._notary_registry(notary_account).register_certificate(
            bytes.fromhex(digest), bytes.fromhex(row.package_sha256), head.tree_size, head.root
        )
        return self._issued(row, cert, jws, digest, tx.tx_hash)

    def _issued(
        self, row: NotaryRequest, cert: vc.Certificate, jws: str, digest: str, tx_hash: str,
        extra: dict[str, Any] | None = None,
    ) -> IssuedCertificate:  # fmt: skip
        """Render and keep the PDF, store the certificate and record the issuance."""
        signer = pdf.notary_signer(self._data_dir, cert.notary, cert.notary_name, self._password())
        document = pdf.sign_certificate(
            pdf.render_certificate(
                cert, digest, self.public_url(digest), tx_hash, data_url=self.verify_url(digest)
            ),
            signer,
        )
        pdf_sha256 = self._blobs.put_bytes(document).sha256
        self._blobs.put_bytes(jws.encode("ascii"))
        self._set(row.id, status=ISSUED, notary=cert.notary, serial=cert.serial,
                  cert_digest=digest, jws=jws, pdf_sha256=pdf_sha256, tx_hash=tx_hash)  # fmt: skip
        self._record(row.id, ISSUED, f"notary:{cert.notary}", {
            "serial": cert.serial, "package_sha256": row.package_sha256, "tx_hash": tx_hash,
            "pdf_sha256": pdf_sha256, "registry": self.registry_address, **(extra or {}),
        }, digest)  # fmt: skip
        return IssuedCertificate(row.id, cert, jws, digest, tx_hash, document, pdf_sha256)

    def reject(self, request_id: int, notary_account: LocalAccount, reason: str) -> None:
        """Close a request without a certificate, stating why.

        Raises: NotFound; Conflict if already issued or rejected; MalformedInput for no reason.
        """
        if not 0 < len(reason) <= MAX_NOTE_CHARS:
            raise MalformedInput(
                f"reason: expected 1..{MAX_NOTE_CHARS} characters, found {len(reason)}"
            )
        row = self.row(request_id)
        self._expect(row, REQUESTED, REVIEWED, REVIEW_FAILED)
        self._set(request_id, status=REJECTED, notary=notary_account.address, reject_reason=reason)
        self._record(request_id, REJECTED, f"notary:{notary_account.address}", {"reason": reason})

    def revoke(self, cert_digest: str, notary_account: LocalAccount, reason_code: int) -> str:
        """Revoke a certificate on chain (signed by the notary) and record it; returns the tx hash.

        Raises:
            NotFound: no certificate with that digest here. Conflict: already revoked.
            ContractReverted: the chain refused (e.g. another notary's certificate).
        """
        row = self.by_digest(cert_digest)
        self._expect(row, ISSUED)
        digest = cert_digest.lower()  # the row's, as by_digest found it
        tx = self._notary_registry(notary_account).revoke_certificate(
            bytes.fromhex(digest), reason_code
        )
        self._set(row.id, status=REVOKED, revoked_reason_code=reason_code)
        self._record(row.id, REVOKED, f"notary:{notary_account.address}",
                     {"reason_code": reason_code, "tx_hash": tx.tx_hash}, digest)  # fmt: skip
        return str(tx.tx_hash)

    # -- the same steps, signed by the notary on its own machine (notary.own_key) ----

    def rows(self, status: str | None = None, limit: int = 100) -> list[NotaryRequest]:
        """The newest requests first, optionally only those in ``status``."""
        query = select(_T).order_by(_T.c.id.desc()).limit(limit)
        if status is not None:
            query = query.where(_T.c.status == status)
        with self._engine.connect() as conn:
            return [NotaryRequest(**r._mapping) for r in conn.execute(query)]

    def _relay(self, call: own_key.RawCall, what: str) -> str:
        """Broadcast the notary's own signed transaction; its hash once mined with status 1.

        Raises:
            VerificationFailed: the chain reverted it. ChainUnavailable: no receipt in time.
        """
        client = self.registry.client
        tx_hash = str(client.request("eth_sendRawTransaction", ["0x" + call.raw.hex()]))
        until = time.monotonic() + _RELAY_WAIT_S
        while (result := client.receipt(tx_hash)) is None:
            if time.monotonic() > until:
                raise ChainUnavailable(
                    f"{what}: expected a receipt of {tx_hash}, found none in time"
                )
            time.sleep(0.2)
        if result.status != 1:
            raise VerificationFailed(
                f"{what}: expected the chain to accept {tx_hash}, found it reverted"
            )
        return tx_hash

    def issue_signed(
        self, request_id: int, jws: str, transaction: bytes, pinned_notary: str | None
    ) -> IssuedCertificate:
        """Issue a certificate the notary signed itself, with its own ``registerCertificate``
        transaction (relayed as is).

        Checks before relaying: the JWS verifies (ES256K, ``notary.certificate``) and its
        issuer is the authorized notary (``pinned_notary`` when set, and in office on
        NotaryRegistry); the credential states this request's package (digest, subject,
        record count, newest anchored head), chain and serial; the transaction is that
        notary's call registering exactly this certificate on this registry.

        Raises:
            NotFound; Conflict (already decided); Forbidden (another key, not in office);
            VerificationFailed (a JWS or transaction that does not match); MalformedInput.
        """
        row = self.row(request_id)
        self._expect(row, REQUESTED, REVIEWED)
        cert = vc.verify_signature(jws)
        active = self.registry.notary_info(cert.notary).active
        own_key.authorized(cert.notary, pinned_notary, active, "certificate")
        subject, records, head = _package_facts(self.package(request_id))
        want = {
            "packageDigest": row.package_sha256, "subject": subject, "records": records,
            "treeSize": head.tree_size, "treeRoot": head.root.hex(),
            "chainId": self.registry.client.chain_id,
            "anchor": vc.AnchorRef(head.chain_id, head.contract, head.tx_hash, head.block_number),
        }  # fmt: skip
        found = {
            "packageDigest": cert.package_digest, "subject": cert.subject, "records": cert.records,
            "treeSize": cert.tree_size, "treeRoot": cert.tree_root, "chainId": cert.chain_id,
            "anchor": cert.anchor,
        }  # fmt: skip
        for key, value in want.items():
            if found[key] != value:
                raise VerificationFailed(
                    f"certificate: expected {key} {value!r} of request {request_id}'s package, "
                    f"found {found[key]!r}"
                )
        if not cert.serial.startswith(f"{SERIAL_PREFIX}-") or not cert.serial.endswith(
            f"-{request_id:06d}"
        ):
            raise VerificationFailed(
                f"certificate: expected the serial {SERIAL_PREFIX}-YYYY-{request_id:06d}, "
                f"found {cert.serial}"
            )
        digest = vc.certificate_digest(jws)
        call = own_key.decode_call(transaction)
        own_key.check_call(call, sender=cert.notary, to=self.registry_address,
                           chain_id=cert.chain_id, what="registration",
                           data=own_key.register_calldata(bytes.fromhex(digest),
                                                          bytes.fromhex(row.package_sha256),
                                                          head.tree_size, head.root))  # fmt: skip
        tx_hash = self._relay(call, "registration")
        return self._issued(row, cert, jws.strip(), digest, tx_hash, {"signed_by": "notary"})

    def reject_signed(
        self, request_id: int, reason: str, signature: bytes, pinned_notary: str | None
    ) -> str:
        """Reject with the notary's EIP-712 ``Rejection`` signature; returns the notary.

        Raises: NotFound; Conflict; MalformedInput; Forbidden (not the authorized notary).
        """
        row = self.row(request_id)
        self._expect(row, REQUESTED, REVIEWED, REVIEW_FAILED)
        typed = own_key.rejection_typed_data(self.registry.client.chain_id, self.registry_address,
                                             request_id, row.package_sha256, reason)  # fmt: skip
        signer = own_key.rejection_signer(typed, signature)
        own_key.authorized(signer, pinned_notary, self.registry.notary_info(signer).active,
                           "rejection")  # fmt: skip
        self._set(request_id, status=REJECTED, notary=signer, reject_reason=reason)
        self._record(request_id, REJECTED, f"notary:{signer}",
                     {"reason": reason, "signature": signature.hex()})  # fmt: skip
        return signer

    def revoke_signed(self, cert_digest: str, transaction: bytes) -> tuple[int, str]:
        """Revoke with the issuing notary's own ``revokeCertificate`` transaction (relayed);
        returns (reason code, tx hash).

        Raises: NotFound; Conflict; Forbidden (signed by another key than the issuer's);
        VerificationFailed (another call or registry); MalformedInput.
        """
        row = self.by_digest(cert_digest)
        self._expect(row, ISSUED)
        assert row.notary is not None  # an issued row names its notary
        digest = row.cert_digest or cert_digest.lower()
        call = own_key.decode_call(transaction)
        code = int.from_bytes(call.data[-32:], "big") if len(call.data) == 68 else 0
        if not 1 <= code <= 255:
            raise MalformedInput(f"revocation: expected a reason code 1..255, found {code}")
        own_key.check_call(call, sender=row.notary, to=self.registry_address,
                           chain_id=self.registry.client.chain_id, what="revocation",
                           data=own_key.revoke_calldata(bytes.fromhex(digest), code))  # fmt: skip
        tx_hash = self._relay(call, "revocation")
        self._set(row.id, status=REVOKED, revoked_reason_code=code)
        self._record(row.id, REVOKED, f"notary:{row.notary}",
                     {"reason_code": code, "tx_hash": tx_hash, "signed_by": "notary"}, digest)  # fmt: skip
        return code, tx_hash


def _package_facts(data: bytes) -> tuple[str, int, Anchor]:
    """Subject, record count and newest anchored head of a package that already verified."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        manifest = json.loads(z.read("manifest.json"))
        heads = json.loads(z.read("heads.json"))["heads"]
        records = sum(1 for n in z.namelist() if _RECORD.fullmatch(n))
    newest = max((Anchor.from_json(h) for h in heads), key=lambda a: a.tree_size)
    return str(manifest["subject"]), records, newest
