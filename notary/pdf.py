"""The certificate PDF (数字公证书 Digital Notarization Certificate), signed PAdES.

Laid out in the witness report's style (``ledger_service.reports.pdf_style``): embedded
subsets of the shipped fonts (Droid Sans Fallback for Chinese, Liberation Sans/Mono for
Latin and hex), PDF/A-2b (``ledger_service.reports.pdfa``), a QR code to the public
verification page with the JSON check as a second line. The PDF is a human-readable rendering; the credential (the JWS) is what
binds. It is signed with the notary's X.509 certificate, issued by a notary CA made
with ``ledger_service.reports.ca`` under ``<data_dir>/notary/``::

    ca/ca.key.pem  ca/ca.cert.pem  signers/<address>/signer.key.pem  .../signer.cert.pem
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from ledger_service.reports import ca as witness_ca
from ledger_service.reports.pades import sign_report
from ledger_service.reports.pdf_style import (
    CJK_FONT,
    LATIN_FONT,
    MONO_FONT,
    escape,
    markup,
    qr_png,
    register_fonts,
    table_style,
)
from ledger_service.reports.pdfa import CREATOR, pdfa_canvas
from notary.certificate import Certificate

__all__ = ["notary_ca_cert", "notary_signer", "render_certificate", "sign_certificate"]

SIGN_REASON = "数字公证 Digital notarization"


def _ca_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "notary" / "ca"


def notary_signer(data_dir: Path, notary: str, notary_name: str, password: str) -> Any:
    """The pyHanko signer of ``notary`` (an address), making the CA and its cert on first use.

    Raises:
        MalformedInput: a short password or a name that does not fit a certificate.
        ConfigurationError: existing keys do not open with ``password``.
    """
    ca_dir = _ca_dir(data_dir)
    if (ca_dir / witness_ca.CA_KEY).exists():
        ca = witness_ca.load_ca(ca_dir, password)
    else:
        ca = witness_ca.create_ca(ca_dir, "Chain Witness Notary", password)
    signer_dir = Path(data_dir) / "notary" / "signers" / notary
    if (signer_dir / witness_ca.SIGNER_KEY).exists():
        signer = witness_ca.Authority(
            witness_ca.load_key(signer_dir / witness_ca.SIGNER_KEY, password),
            witness_ca.load_cert(signer_dir / witness_ca.SIGNER_CERT),
        )
    else:
        # the name a reader sees in the PDF viewer; the address ties it to the credential
        cn = f"{notary} {notary_name}".encode()[:64].decode("utf-8", "ignore").strip()
        signer = witness_ca.issue_witness_cert(
            ca, signer_dir, cn, password, org_name="Chain Witness Notary"
        )
    return witness_ca.to_pyhanko_signer(signer, ca.cert)


def notary_ca_cert(data_dir: Path) -> x509.Certificate:
    """The notary CA's root certificate (the trust anchor for certificate PDFs)."""
    return witness_ca.load_cert(_ca_dir(data_dir) / witness_ca.CA_CERT)


def render_certificate(
    cert: Certificate, cert_digest: str, verify_url: str, tx_hash: str, *,
    data_url: str | None = None,
) -> bytes:  # fmt: skip
    """The certificate as PDF/A-2b bytes (A4, one page, bilingual labels Chinese first),
    deterministic for given arguments (dated ``cert.valid_from``).

    ``verify_url`` is the QR target (the public page), ``data_url`` the JSON check printed
    under it; ``tx_hash`` is the registration transaction on NotaryRegistry.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, Paragraph, SimpleDocTemplate, Spacer, Table

    from notary.certificate import STATEMENT_EN, STATEMENT_ZH

    register_fonts()
    base = ParagraphStyle("cwn", fontName=CJK_FONT, fontSize=9.5, leading=13, wordWrap="CJK")
    small = ParagraphStyle("cwn-small", parent=base, fontSize=8, leading=10)
    mono = ParagraphStyle("cwn-mono", parent=small, fontName=MONO_FONT, fontSize=7.5, leading=9.5,
                          wordWrap=None, splitLongWords=1)  # fmt: skip
    title = ParagraphStyle("cwn-title", parent=base, fontSize=20, leading=26, alignment=1)

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        plain = style.fontName == MONO_FONT
        return Paragraph(escape(text) if plain else markup(text), style)

    c = cert
    facts = [
        ("证书编号 Serial No.", c.serial, False),
        ("签发时间 Valid from", c.valid_from, False),
        ("公证员 Notary", c.notary_name, False),
        ("公证员地址 Notary address", c.notary, True),
        ("签发者 Issuer (DID)", c.issuer, True),
        ("公证对象 Subject", c.subject, False),
        ("记录数 Records", str(c.records), False),
        ("证据包摘要 Package SHA-256", c.package_digest, True),
        ("树大小 Tree size", str(c.tree_size), False),
        ("树根 Tree root", c.tree_root, True),
        ("锚定交易 Anchor tx", f"{c.anchor.tx_hash} (block {c.anchor.block_number})", True),
        ("存证合约 EvidenceLog", c.anchor.contract, True),
        ("链 ID Chain ID", str(c.chain_id), False),
        ("登记交易 Registration tx", tx_hash, True),
        ("证书摘要 Certificate digest", cert_digest, True),
    ]
    rows = [[p(k, small), p(v, mono if is_hex else small)] for k, v, is_hex in facts]
    table = Table(rows, colWidths=[42 * mm, 98 * mm])
    table.setStyle(table_style([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
    ]))  # fmt: skip
    qr = Image(io.BytesIO(qr_png(verify_url)), width=34 * mm, height=34 * mm)
    qr_cell = [qr, p("扫码核验 Scan to verify", small), p(verify_url, mono)]
    if data_url is not None:
        qr_cell += [p("数据 JSON", small), p(data_url, mono)]
    top = Table([[table, qr_cell]], colWidths=[142 * mm, 38 * mm])
    top.setStyle(table_style([("VALIGN", (0, 0), (-1, -1), "TOP")]))
    story = [
        p("数字公证书", title), p("Digital Notarization Certificate", title), Spacer(1, 5 * mm),
        top, Spacer(1, 5 * mm),
        p(STATEMENT_ZH.format(size=c.tree_size)), Spacer(1, 2 * mm),
        p(STATEMENT_EN.format(size=c.tree_size)), Spacer(1, 4 * mm),
        p("本 PDF 为可读副本；具有约束力的是证书摘要所指的可验证凭证（JWS），其摘要已登记于链上公证登记合约。"
          " This PDF is a readable copy; what binds is the verifiable credential (JWS) whose "
          "digest is registered in the NotaryRegistry contract on chain.", small),
    ]  # fmt: skip
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=16 * mm,
        bottomMargin=16 * mm, title=f"数字公证书 Digital Notarization Certificate {c.serial}",
        author=c.notary_name, subject=c.subject, creator=CREATOR, invariant=True,
        initialFontName=LATIN_FONT,
    )  # fmt: skip
    when = datetime.strptime(c.valid_from, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    register_fonts()
    doc.build(story, canvasmaker=pdfa_canvas(when, LATIN_FONT))
    return buf.getvalue()


def sign_certificate(pdf: bytes, signer: Any, *, location: str = "Chain Witness") -> bytes:
    """PAdES-sign a rendered certificate with ``signer`` (see :func:`notary_signer`)."""
    return sign_report(pdf, signer, reason=SIGN_REASON, location=location)
