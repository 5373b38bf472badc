"""PAdES signatures of the platform's PDFs: sign with pyHanko, verify against one root.

``sign_report`` adds a certification signature (plus an RFC 3161 timestamp when a
TSA URL is given); ``verify_report`` checks the last signature offline with a given
root certificate as the only trust anchor.

Signing keeps a PDF/A-2b document PDF/A-2b (see :mod:`ledger_service.reports.pdfa`):
the signature is an incremental update that stays on PDF 1.7 (PDF/A-2's base; pyHanko
would otherwise declare ISO/TS 32002 for the P-256 key and raise the file to PDF 2.0),
and the Info dictionary's ``/Producer`` is set to what pyHanko writes into the XMP
packet, so the two agree as PDF/A requires.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from cryptography import x509

from ledger_service.core.errors import EvidenceError, MalformedInput, VerificationFailed


class TimestampUnavailable(EvidenceError):
    """The RFC 3161 timestamp authority could not be reached or refused the request."""

    code = "timestamp-unavailable"
    status = 503
    title = "Timestamp authority unavailable"


def sign_report(
    pdf: bytes, signer: Any, *, reason: str, location: str, tsa_url: str | None = None
) -> bytes:
    """Sign ``pdf`` (PAdES, SHA-256) with ``signer`` (see ``ca.load_witness_signer``).

    A certification signature: the whole document as rendered. With ``tsa_url``
    the signature carries an RFC 3161 timestamp (PAdES B-T), else none (B-B).
    ``signer`` is a pyHanko ``Signer`` (pyHanko ships no type information).

    Raises:
        MalformedInput: ``pdf`` is not a PDF pyHanko can update.
        TimestampUnavailable: the TSA could not be reached or refused.
    """
    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.sign import fields, signers
    from pyhanko.sign.general import SigningError

    timestamper = None
    if tsa_url is not None:
        from pyhanko.sign.timestamps import HTTPTimeStamper

        timestamper = HTTPTimeStamper(tsa_url)
    signer_cls = _pdfa_signer_class()
    meta = signers.PdfSignatureMetadata(
        field_name="ChainWitness", reason=reason, location=location, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )  # fmt: skip
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        _align_producer(writer)
        out = signer_cls(meta, signer=signer, timestamper=timestamper).sign_pdf(writer)
    except PdfError as e:
        raise MalformedInput(f"expected a PDF to sign, found one pyHanko rejects: {e}") from None
    except SigningError as e:
        raise VerificationFailed(f"expected the signer to sign, found: {e}") from None
    except Exception as e:  # the TSA client raises aiohttp / TimestampRequestError
        if timestamper is None:
            raise
        raise TimestampUnavailable(f"expected a timestamp from {tsa_url}, found: {e}") from None
    return bytes(out.getvalue())


def _pdfa_signer_class() -> Any:
    """pyHanko's ``PdfSigner`` declaring only the PAdES (ESIC) extension, on PDF 1.7."""
    from pyhanko.sign import fields, signers
    from pyhanko.sign.signers import constants

    class PdfA2Signer(signers.PdfSigner):
        def register_extensions(self, pdf_out: Any, *, md_algorithm: str) -> None:
            pdf_out.ensure_output_version(version=(1, 7))
            if self.signature_meta.subfilter == fields.SigSeedSubFilter.PADES:
                pdf_out.register_extension(constants.ESIC_EXTENSION_1)

    return PdfA2Signer


def _align_producer(writer: Any) -> None:
    """Give a document with XMP metadata the ``/Producer`` pyHanko writes into its XMP."""
    from pyhanko.pdf_utils import generic
    from pyhanko.pdf_utils.metadata.model import VENDOR

    info = writer.prev.trailer_view.get("/Info")
    if "/Metadata" not in writer.root or info is None:
        return
    fresh = generic.DictionaryObject(info.get_object())  # type: ignore[no-untyped-call]
    fresh["/Producer"] = generic.TextStringObject(VENDOR)
    writer.set_info(fresh)


@dataclass(frozen=True)
class SignatureCheck:
    """What ``verify_report`` found about the report's (last) signature."""

    intact: bool  # the signed bytes hash to the signed digest
    valid: bool  # the signature over that digest verifies
    trusted: bool  # the signer's chain ends at the given root
    covers_whole_file: bool
    signer: str  # subject of the signing certificate
    timestamped: bool

    @property
    def ok(self) -> bool:
        return self.intact and self.valid and self.trusted and self.covers_whole_file


def verify_report(pdf: bytes, root: x509.Certificate) -> SignatureCheck:
    """Validate the report's signature with ``root`` as the only trust anchor, offline.

    Raises:
        MalformedInput: not a PDF, or a PDF without a signature.
    """
    from pyhanko.keys.internal import translate_pyca_cryptography_cert_to_asn1
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        reader = PdfFileReader(io.BytesIO(pdf))
        sigs = reader.embedded_signatures
    except PdfError as e:
        raise MalformedInput(f"expected a PDF, found one pyHanko cannot read: {e}") from None
    if not sigs:
        raise MalformedInput("expected a signed PDF, found no signature")
    vc = ValidationContext(
        trust_roots=[translate_pyca_cryptography_cert_to_asn1(root)],
        allow_fetching=False, revocation_mode="soft-fail",
    )  # fmt: skip
    status = validate_pdf_signature(sigs[-1], vc)
    return SignatureCheck(
        intact=bool(status.intact), valid=bool(status.valid), trusted=bool(status.trusted),
        covers_whole_file=status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        signer=str(status.signing_cert.subject.human_friendly),
        timestamped=status.timestamp_validity is not None,
    )  # fmt: skip


def root_from_pem(pem: bytes) -> x509.Certificate:
    """A root certificate from PEM bytes (e.g. the published ``ca.cert.pem``)."""
    try:
        return x509.load_pem_x509_certificate(pem)
    except ValueError as e:
        raise MalformedInput(f"expected a PEM certificate, found: {e}") from None


__all__ = [
    "SignatureCheck",
    "TimestampUnavailable",
    "root_from_pem",
    "sign_report",
    "verify_report",
]
