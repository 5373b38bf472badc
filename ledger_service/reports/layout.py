"""The witness report (链见证报告) laid out: a bilingual A4 PDF, deterministic.

``render_report`` lays out a :class:`~ledger_service.reports.model.WitnessReport` with
reportlab in the shared style (:mod:`ledger_service.reports.pdf_style`): every label
Chinese first, then English, all of it extractable text. Signing is
:func:`ledger_service.reports.pades.sign_report`.
"""

from __future__ import annotations

import io
from typing import Any

from ledger_service.reports.model import NO_TX, WitnessReport
from ledger_service.reports.pdf_style import (
    CJK_FONT,
    LATIN_FONT,
    MONO_FONT,
    escape,
    markup,
    numbered_canvas,
    qr_png,
    register_fonts,
    table_style,
)
from ledger_service.reports.pdfa import CREATOR

#: Characters of a 7 pt Courier actor that fit the actor column (33 mm less padding).
ACTOR_CHARS = 20


def _wrap(text: str, width: int) -> str:
    """Hard-wrap a string without spaces (an address, a digest) into lines of ``width``."""
    return "\n".join(text[i : i + width] for i in range(0, len(text), width)) or text


def _short(h: str, keep: int = 10) -> str:
    if len(h) <= 2 * keep + 1:
        return h
    return f"{h[:keep]}…{h[-6:]}"


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
    )

    register_fonts()
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
        return Paragraph(escape(text) if plain else markup(text), style)

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
    qr = Image(io.BytesIO(qr_png(r.verify_url)), width=34 * mm, height=34 * mm)
    facts_table = Table(fact_rows, colWidths=[40 * mm, 100 * mm])
    facts_table.setStyle(table_style([
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
        ("BACKGROUND", (0, 0), (0, -1), colors.whitesmoke),
    ]))  # fmt: skip
    qr_cell = [qr, p("扫码核验 Scan to verify", small), p(r.verify_url, mono)]
    if r.data_url is not None:
        qr_cell += [p("数据 JSON", small), p(r.data_url, mono)]
    top = Table([[facts_table, qr_cell]], colWidths=[142 * mm, 38 * mm])
    top.setStyle(table_style([("VALIGN", (0, 0), (-1, -1), "TOP")]))

    header = ["序号<br/>No.", "时间 (UTC)<br/>Time", "事件<br/>Event", "操作方<br/>Actor",
              "摘要 SHA-256<br/>Digest", "记录号<br/>Record", "交易<br/>Tx"]  # fmt: skip
    rows: list[list[Any]] = [[Paragraph(markup(h), small) for h in header]]
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
    events.setStyle(table_style([
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
            Paragraph(markup(h), small)
            for h in (
                "记录号<br/>Record",
                "完整摘要 Full SHA-256 digest<br/>完整交易哈希 Full tx hash",
            )
        ]
    ]
    appendix += [[str(e.record_index), f"{e.digest}\n{e.tx_hash}"] for e in r.events]
    appendix_table = LongTable(appendix, repeatRows=1, colWidths=[16 * mm, 164 * mm])
    appendix_table.setStyle(table_style([
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
        author=r.issuer, subject=r.subject_code, creator=CREATOR, invariant=True,
        initialFontName=LATIN_FONT,
    )  # fmt: skip
    doc.build(story, canvasmaker=numbered_canvas(r.number, r.issued_at))
    return buf.getvalue()


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


__all__ = ["ACTOR_CHARS", "render_report"]
