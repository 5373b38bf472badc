"""The witness report (链见证报告): a bilingual A4 PDF, signed PAdES by the platform.

``render_report`` lays out a :class:`WitnessReport` with reportlab; Chinese is set
in the built-in CID font ``STSong-Light`` (no font file embedded), so every label
stays extractable text. ``sign_report`` adds a PAdES signature with pyHanko
(plus an RFC 3161 timestamp when a TSA URL is given); ``verify_report`` checks one
against a given root certificate.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from cryptography import x509

from ledger_service.core.errors import EvidenceError, MalformedInput, VerificationFailed

CJK_FONT = "STSong-Light"
MONO_FONT = "Courier"
#: Characters of a 7 pt Courier actor that fit the actor column (33 mm less padding).
ACTOR_CHARS = 20


def _wrap(text: str, width: int) -> str:
    """Hard-wrap a string without spaces (an address, a digest) into lines of ``width``."""
    return "\n".join(text[i : i + width] for i in range(0, len(text), width)) or text


NO_TX = "—"
#: Report serials look like CW-2026-000123.
_NUMBER = re.compile(r"[A-Z]{2,8}-\d{4}-\d{6}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TX = re.compile(r"0x[0-9a-f]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")
#: Most event rows one report may hold (beyond this, issue a package, not a PDF).
MAX_EVENTS = 5000


class TimestampUnavailable(EvidenceError):
    """The RFC 3161 timestamp authority could not be reached or refused the request."""

    code = "timestamp-unavailable"
    status = 503
    title = "Timestamp authority unavailable"


def _check(ok: bool, what: str, expected: str, found: object) -> None:
    if not ok:
        raise MalformedInput(f"{what}: expected {expected}, found {found!r}")


@dataclass(frozen=True)
class ChainRef:
    chain_id: int
    evidence_log: str
    tender_registry: str | None = None

    def __post_init__(self) -> None:
        _check(self.chain_id > 0, "chain_id", "a positive integer", self.chain_id)
        for name in ("evidence_log", "tender_registry"):
            value = getattr(self, name)
            if value is not None:
                _check(bool(_ADDRESS.fullmatch(value)), name, "a 0x address", value)


@dataclass(frozen=True)
class TreeHeadRef:
    """The anchored RFC 9162 tree head every listed record is under."""

    size: int
    root: str  # hex
    tx_hash: str
    block_number: int
    block_time: datetime

    def __post_init__(self) -> None:
        _check(self.size > 0, "head.size", "a positive size", self.size)
        _check(bool(_HEX64.fullmatch(self.root)), "head.root", "64 lowercase hex", self.root)
        _check(bool(_TX.fullmatch(self.tx_hash)), "head.tx_hash", "0x + 64 hex", self.tx_hash)


@dataclass(frozen=True)
class EventRow:
    time: str  # ISO 8601
    event: str
    label_zh: str
    label_en: str
    actor: str
    digest: str  # sha256 hex
    record_index: int
    tx_hash: str = NO_TX

    def __post_init__(self) -> None:
        _check(bool(_HEX64.fullmatch(self.digest)), "event.digest", "64 lowercase hex", self.digest)
        _check(self.record_index >= 0, "event.record_index", "an index >= 0", self.record_index)
        _check(self.tx_hash == NO_TX or bool(_TX.fullmatch(self.tx_hash)),
               "event.tx_hash", f"0x + 64 hex or {NO_TX}", self.tx_hash)  # fmt: skip


@dataclass(frozen=True)
class OpeningSummary:
    opened: int
    flagged: int


@dataclass(frozen=True)
class WitnessReport:
    """Everything one report states; validated on construction.

    Precondition checked: every row's record index is below ``head.size`` (the head
    covers every record listed), 1..MAX_EVENTS rows.
    """

    number: str
    kind: Literal["tender", "contract"]
    subject_code: str
    subject_title: str
    issued_at: datetime
    chain: ChainRef
    head: TreeHeadRef
    events: Sequence[EventRow]
    verify_url: str
    opening: OpeningSummary | None = None
    issuer: str = "链见证 Chain Witness"

    def __post_init__(self) -> None:
        _check(bool(_NUMBER.fullmatch(self.number)), "number", "like CW-2026-000123", self.number)
        _check(self.kind in ("tender", "contract"), "kind", "'tender' or 'contract'", self.kind)
        _check(0 < len(self.subject_code) <= 64, "subject_code", "1..64 characters",
               self.subject_code)  # fmt: skip
        _check(self.issued_at.tzinfo is not None, "issued_at", "an aware datetime",
               self.issued_at)  # fmt: skip
        _check(self.verify_url.startswith(("https://", "http://")), "verify_url",
               "an http(s) URL", self.verify_url)  # fmt: skip
        rows = tuple(self.events)
        _check(0 < len(rows) <= MAX_EVENTS, "events", f"1..{MAX_EVENTS} rows", len(rows))
        late = [r.record_index for r in rows if r.record_index >= self.head.size]
        _check(not late, "events", f"record indices below the head size {self.head.size}", late)
        object.__setattr__(self, "events", rows)


# -- rendering ---------------------------------------------------------------------------


def _short(h: str, keep: int = 10) -> str:
    if len(h) <= 2 * keep + 1:
        return h
    return f"{h[:keep]}…{h[-6:]}"


def _register_fonts() -> None:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont

    if CJK_FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(CJK_FONT))


def _qr_png(url: str) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=4, border=2)
    return buf.getvalue()


def _numbered_canvas(number: str) -> Any:
    """A canvas class that writes '第 n 页 / 共 N 页' once the page count is known."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    class NumberedCanvas(canvas.Canvas):  # type: ignore[misc]  # reportlab is untyped
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self._pages: list[dict[str, Any]] = []

        def showPage(self) -> None:  # noqa: N802 - reportlab's name
            self._pages.append(dict(self.__dict__))
            self._startPage()

        def save(self) -> None:
            total = len(self._pages)
            for state in self._pages:
                self.__dict__.update(state)
                n = self._pageNumber
                _draw_mixed(self, 15 * mm, 10 * mm, f"报告编号 Report No. {number}")
                _draw_mixed(self, A4[0] - 15 * mm, 10 * mm,
                            f"第 {n} 页 / 共 {total} 页  Page {n} of {total}", right=True)  # fmt: skip
                _draw_mixed(self, 15 * mm, A4[1] - 10 * mm, "链见证报告 Chain Witness Report")
                super().showPage()
            super().save()

    return NumberedCanvas


def render_report(report: WitnessReport) -> bytes:
    """The report as PDF bytes (A4, deterministic for a given report).

    Every label is Chinese first, then English; text is CID font text, so it
    can be searched and extracted. Full digests and transaction hashes are in
    the appendix; the table shows them shortened.
    """
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import (
        Image,
        LongTable,
        Paragraph,
        SimpleDocTemplate,
        Spacer,
        Table,
        TableStyle,
    )

    _register_fonts()
    base = ParagraphStyle("cw", fontName=CJK_FONT, fontSize=9, leading=12, wordWrap="CJK")
    small = ParagraphStyle("cw-small", parent=base, fontSize=7.5, leading=9.5)
    # hex and addresses: plain wrapping that splits long words (CJK wrapping measures
    # every character and makes a 1,000-row report several times slower)
    mono = ParagraphStyle("cw-mono", parent=small, fontName=MONO_FONT, fontSize=7, leading=9,
                          wordWrap=None, splitLongWords=1)  # fmt: skip
    mono_fact = ParagraphStyle("cw-mono-fact", parent=mono, fontSize=6.5, leading=8.5)
    title = ParagraphStyle("cw-title", parent=base, fontSize=18, leading=24, alignment=1)
    h2 = ParagraphStyle("cw-h2", parent=base, fontSize=11.5, leading=16, spaceBefore=8,
                        spaceAfter=4)  # fmt: skip

    def p(text: str, style: ParagraphStyle = base) -> Paragraph:
        plain = style.fontName == MONO_FONT
        return Paragraph(_escape(text) if plain else _markup(text), style)

    r = report
    kind = {"tender": "招标项目 Tender", "contract": "合同 Contract"}[r.kind]
    head = r.head
    facts = [
        ("报告编号 Report No.", r.number),
        ("签发时间 Issued at", r.issued_at.isoformat()),
        ("对象类型 Subject type", kind),
        ("项目编号 Code", r.subject_code),
        ("项目名称 Title", r.subject_title),
        ("签发方 Issuer", r.issuer),
        ("链 ID Chain ID", str(r.chain.chain_id)),
        ("存证合约 EvidenceLog", r.chain.evidence_log),
        ("招标登记合约 TenderRegistry", r.chain.tender_registry or NO_TX),
        ("树大小 Tree size", str(head.size)),
        ("树根 Tree root (SHA-256)", head.root),
        ("锚定交易 Anchor tx", head.tx_hash),
        ("区块 Block", f"{head.block_number} ({head.block_time.isoformat()})"),
    ]
    if r.opening is not None:
        facts.append(("开标结果 Opening", f"开启 opened {r.opening.opened} / "
                                          f"异常 flagged {r.opening.flagged}"))  # fmt: skip
    fact_rows = [[p(k, small), p(v, mono_fact if v.startswith("0x") or len(v) == 64 else small)]
                 for k, v in facts]  # fmt: skip
    qr = Image(io.BytesIO(_qr_png(r.verify_url)), width=34 * mm, height=34 * mm)
    facts_table = Table(fact_rows, colWidths=[40 * mm, 100 * mm])
    facts_table.setStyle(TableStyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
    ]))  # fmt: skip
    qr_cell = [qr, p("扫码核验 Scan to verify", small), p(r.verify_url, mono)]
    top = Table([[facts_table, qr_cell]], colWidths=[142 * mm, 38 * mm])
    top.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP")]))

    header = ["序号<br/>No.", "时间 (UTC)<br/>Time", "事件<br/>Event", "操作方<br/>Actor",
              "摘要 SHA-256<br/>Digest", "记录号<br/>Record", "交易<br/>Tx"]  # fmt: skip
    rows: list[list[Any]] = [[Paragraph(_markup(h), small) for h in header]]
    # Body cells are plain strings in fixed fonts (a Paragraph per cell made a 1,000-row
    # report several times slower); only an actor with non-ASCII text gets a Paragraph.
    for n, e in enumerate(r.events, start=1):
        actor: Any = _wrap(e.actor, ACTOR_CHARS) if e.actor.isascii() else p(e.actor, small)
        rows.append([
            str(n), e.time, f"{e.label_zh}\n{e.label_en}", actor, _short(e.digest),
            str(e.record_index), _short(e.tx_hash) if e.tx_hash != NO_TX else NO_TX,
        ])  # fmt: skip
    events = LongTable(rows, repeatRows=1,
                       colWidths=[9 * mm, 32 * mm, 30 * mm, 33 * mm, 34 * mm, 13 * mm, 29 * mm])  # fmt: skip
    events.setStyle(TableStyle([
        ("FONTNAME", (0, 1), (-1, -1), MONO_FONT),
        ("FONTNAME", (2, 1), (2, -1), CJK_FONT),
        ("FONTSIZE", (0, 1), (-1, -1), 7),
        ("LEADING", (0, 1), (-1, -1), 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f4f6f8")]),
    ]))  # fmt: skip

    # one wide cell per record so neither a digest nor a tx hash ever wraps
    appendix: list[list[Any]] = [
        [
            Paragraph(_markup(h), small)
            for h in (
                "记录号<br/>Record",
                "完整摘要 Full SHA-256 digest<br/>完整交易哈希 Full tx hash",
            )
        ]
    ]
    appendix += [[str(e.record_index), f"{e.digest}\n{e.tx_hash}"] for e in r.events]
    appendix_table = LongTable(appendix, repeatRows=1, colWidths=[16 * mm, 164 * mm])
    appendix_table.setStyle(TableStyle([
        ("FONTNAME", (0, 1), (-1, -1), MONO_FONT),
        ("FONTSIZE", (0, 1), (-1, -1), 7),
        ("LEADING", (0, 1), (-1, -1), 9),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (-1, 0), colors.lightgrey),
    ]))  # fmt: skip

    story = [
        p("链见证报告", title), p("Chain Witness Report", title), Spacer(1, 4 * mm), top,
        p("一、全生命周期记录 Lifecycle records", h2), events,
        p("二、声明 Statement", h2),
        p(_STATEMENT_ZH.format(size=head.size, root=head.root, chain=r.chain.chain_id,
                               block=head.block_number, log=r.chain.evidence_log)),
        Spacer(1, 2 * mm),
        p(_STATEMENT_EN.format(size=head.size, root=head.root, chain=r.chain.chain_id,
                               block=head.block_number, log=r.chain.evidence_log)),
        p("三、附录：完整摘要 Appendix: full digests", h2), appendix_table,
    ]  # fmt: skip
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=16 * mm,
        bottomMargin=16 * mm, title=f"链见证报告 Chain Witness Report {r.number}",
        author=r.issuer, subject=r.subject_code, invariant=True,
    )  # fmt: skip
    doc.build(story, canvasmaker=_numbered_canvas(r.number))
    return buf.getvalue()


#: Runs set in the CJK font; everything else is set in LATIN_FONT, whose Latin
#: glyphs every viewer has (STSong-Light's Latin is substituted unevenly).
_CJK_RUN = re.compile(r"([\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+)")
LATIN_FONT = "Helvetica"


def _runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut into (font, run) pairs, CJK runs in CJK_FONT."""
    return [(CJK_FONT if i % 2 else LATIN_FONT, run)
            for i, run in enumerate(_CJK_RUN.split(text)) if run]  # fmt: skip


def _markup(text: str) -> str:
    """Paragraph markup for ``text`` (``<br/>`` kept): each run in its font, escaped."""
    lines = []
    for line in text.split("<br/>"):
        lines.append("".join(
            run if font == CJK_FONT else f'<font face="{LATIN_FONT}">{_escape(run)}</font>'
            for font, run in _runs(line)
        ))  # fmt: skip
    return "<br/>".join(lines)


def _draw_mixed(
    c: Any, x: float, y: float, text: str, size: float = 8, right: bool = False
) -> None:
    from reportlab.pdfbase.pdfmetrics import stringWidth

    runs = _runs(text)
    if right:
        x -= sum(stringWidth(run, font, size) for font, run in runs)
    line = c.beginText(x, y)  # one text object, so readers keep the line together
    for font, run in runs:
        line.setFont(font, size)
        line.textOut(run)
    c.drawText(line)


def _escape(text: str) -> str:
    """Paragraph markup escaping, keeping our own ``<br/>``."""
    parts = text.split("<br/>")
    return "<br/>".join(
        s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for s in parts
    )


_STATEMENT_ZH = (
    "本报告证明：上表所列各项记录均已写入本平台基于 RFC 9162 的透明日志（Merkle 树），"
    "且该日志大小为 {size}、树根为 {root} 的树头已锚定于链 ID {chain} 的存证合约 {log} "
    "（区块 {block}）。本报告不证明所记录文件内容的真实性或合法性，仅证明其摘要在锚定时已存在且未被篡改。"
    "任何人可使用证据包（包含记录、包含证明与一致性证明）或扫描二维码访问公开核验页面独立核验，无需信任本平台。"
    "本报告经平台数字证书以 PAdES 签名，任何改动都会使签名失效。"
)
_STATEMENT_EN = (
    "This report attests that each record listed above is contained in the platform's "
    "RFC 9162 transparency log (a Merkle tree), and that the tree head of size {size} with root "
    "{root} is anchored in the EvidenceLog contract {log} on chain {chain} (block {block}). It "
    "does not attest to the truth or lawfulness of the recorded documents, only that their "
    "digests existed, unaltered, when anchored. Anyone can verify this independently, without "
    "trusting the platform, using the evidence package (records, inclusion and consistency "
    "proofs) or the public page linked by the QR code. The report is signed (PAdES) with the "
    "platform's certificate; any change invalidates the signature."
)


# -- signing and verifying ---------------------------------------------------------------


def sign_report(
    pdf: bytes, signer: Any, *, reason: str, location: str, tsa_url: str | None = None
) -> bytes:
    """Sign ``pdf`` (PAdES, SHA-256) with ``signer`` (see ``ca.load_witness_signer``).

    A certification signature: the whole document as rendered. With ``tsa_url``
    the signature carries an RFC 3161 timestamp (PAdES B-T), else none (B-B).

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
    meta = signers.PdfSignatureMetadata(
        field_name="ChainWitness", reason=reason, location=location, md_algorithm="sha256",
        subfilter=fields.SigSeedSubFilter.PADES, certify=True,
        docmdp_permissions=fields.MDPPerm.FILL_FORMS,
    )  # fmt: skip
    try:
        writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
        out = signers.sign_pdf(writer, meta, signer=signer, timestamper=timestamper)
    except PdfError as e:
        raise MalformedInput(f"expected a PDF to sign, found one pyHanko rejects: {e}") from None
    except SigningError as e:
        raise VerificationFailed(f"expected the signer to sign, found: {e}") from None
    except Exception as e:  # the TSA client raises aiohttp / TimestampRequestError
        if timestamper is None:
            raise
        raise TimestampUnavailable(f"expected a timestamp from {tsa_url}, found: {e}") from None
    return bytes(out.getvalue())


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
    "ChainRef", "EventRow", "OpeningSummary", "SignatureCheck", "TimestampUnavailable",
    "TreeHeadRef", "WitnessReport", "render_report", "root_from_pem", "sign_report",
    "verify_report",
]  # fmt: skip
