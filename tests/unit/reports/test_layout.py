"""render_report: pages, numbering, extractable bilingual text, QR code, determinism."""

from __future__ import annotations

import io
import re
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader

from ledger_service.reports.layout import render_report
from tests.unit.reports.samples import NUMBER, sample_report

# -- text extraction without extra dependencies -------------------------------------------

_ESC = {b"n": b"\n", b"r": b"\r", b"t": b"\t", b"b": b"\b", b"f": b"\f"}


def _literal(s: bytes) -> bytes:
    out, i = bytearray(), 0
    while i < len(s):
        c = s[i : i + 1]
        if c != b"\\":
            out += c
            i += 1
            continue
        m = re.match(rb"[0-7]{1,3}", s[i + 1 : i + 4])
        if m:
            out.append(int(m.group(), 8) & 0xFF)
            i += 1 + len(m.group())
        else:
            out += _ESC.get(s[i + 1 : i + 2], s[i + 1 : i + 2])
            i += 2
    return bytes(out)


def _to_unicode(font: Any) -> dict[int, str]:
    """A simple font's code -> text map from its ToUnicode CMap (bfchar entries)."""
    if "/ToUnicode" not in font:
        return {}
    cmap = font["/ToUnicode"].data
    pairs = b"".join(re.findall(rb"beginbfchar(.*?)endbfchar", cmap, re.S))
    return {int(code, 16): bytes.fromhex(text.decode()).decode("utf-16-be")
            for code, text in re.findall(rb"<([0-9A-Fa-f]{2})> <([0-9A-Fa-f]+)>", pairs)}  # fmt: skip


def _page_text(page: Any) -> str:
    """The page's text, one line per text line: Tj runs joined, T* and ET end a line;
    each run decoded through its font's ToUnicode map (embedded subsets use their own
    one-byte codes)."""
    fonts = page["/Resources"]["/Font"]
    maps = {str(name): _to_unicode(fonts[name]) for name in fonts}
    data = page["/Contents"].data
    lines, line, font = [], "", ""
    for m in re.finditer(rb"/([\w+]+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj|(T\*|ET)\b", data, re.S):
        if m.group(1):
            font = "/" + m.group(1).decode()
        elif m.group(3):
            lines.append(line)
            line = ""
        else:
            raw = _literal(m.group(2))
            table = maps.get(font, {})
            line += "".join(table.get(b, chr(b)) for b in raw)
    return "\n".join(lines + [line])


def _pages(pdf: bytes) -> list[Any]:
    kids = PdfFileReader(io.BytesIO(pdf)).root["/Pages"]["/Kids"]
    return [kids[i] for i in range(len(kids))]  # indexing dereferences, iterating does not


# -- rendering --------------------------------------------------------------------------


def test_sixty_rows_span_several_numbered_pages(pdf: bytes) -> None:
    pages = _pages(pdf)
    assert len(pages) >= 3
    for n, page in enumerate(pages, start=1):
        text = _page_text(page)
        assert f"第 {n} 页 / 共 {len(pages)} 页" in text
        assert f"Page {n} of {len(pages)}" in text
        assert NUMBER in text


def test_text_is_extractable_chinese_first(pdf: bytes) -> None:
    text = "\n".join(_page_text(p) for p in _pages(pdf))
    for needle in ("链见证报告", "Chain Witness Report", "开标", "投标文件递交", "报告编号 Report No.",
                   "某市第一中学", "<School building renovation & works>", "ee" * 32):  # fmt: skip
        assert needle in text
    # full digests appear (appendix), not only shortened ones
    assert "3b" * 32 in text
    assert "RFC 9162" in text and "证据包" in text


def test_first_page_has_the_qr_image(pdf: bytes) -> None:
    xobjects = _pages(pdf)[0]["/Resources"]["/XObject"]
    assert any(xobjects[name]["/Subtype"] == "/Image" for name in xobjects)


def test_rendering_is_deterministic(pdf: bytes) -> None:
    assert render_report(sample_report()) == pdf
