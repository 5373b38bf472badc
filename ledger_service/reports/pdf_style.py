"""The look shared by the platform's bilingual PDFs: fonts, QR codes, page footers.

Every font is a TrueType font shipped in ``fonts/`` and embedded as a subset, so a
PDF reads the same on any machine (no viewer-side CJK font pack needed, as PDF/A
requires): Chinese in Droid Sans Fallback (Apache-2.0), Latin runs in Liberation
Sans and hex in Liberation Mono (SIL OFL 1.1; metric-compatible with Helvetica and
Courier, so the layout is that of the standard fonts). ``fonts/NOTICE`` names their
versions and sources. Text stays extractable (each subset carries a ToUnicode map).
Used by the witness report (:mod:`ledger_service.reports.layout`) and by the notary's
certificate PDF (``notary.pdf``).
"""

from __future__ import annotations

import io
import re
from datetime import datetime
from importlib.resources import files
from typing import Any

CJK_FONT = "DroidSansFallback"
MONO_FONT = "LiberationMono"
LATIN_FONT = "LiberationSans"

#: reportlab font name -> file in ``fonts/`` (TrueType outlines, embeddable subsets).
FONT_FILES = {
    CJK_FONT: "DroidSansFallbackFull.ttf",
    LATIN_FONT: "LiberationSans-Regular.ttf",
    MONO_FONT: "LiberationMono-Regular.ttf",
}

#: Runs set in the CJK font; everything else is set in LATIN_FONT.
_CJK_RUN = re.compile(r"([\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]+)")


def register_fonts() -> None:
    """Register the shipped fonts with reportlab (once per process; idempotent)."""
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    registered = pdfmetrics.getRegisteredFontNames()
    for name, file in FONT_FILES.items():
        if name not in registered:
            path = files("ledger_service.reports").joinpath("fonts", file)
            pdfmetrics.registerFont(TTFont(name, str(path)))


def table_style(commands: list[tuple[Any, ...]]) -> Any:
    """A reportlab ``TableStyle`` of ``commands`` whose cells default to LATIN_FONT
    (reportlab's default, Helvetica, is a standard font no PDF embeds)."""
    from reportlab.platypus import TableStyle

    return TableStyle([("FONTNAME", (0, 0), (-1, -1), LATIN_FONT), *commands])


def qr_png(url: str) -> bytes:
    """A PNG QR code of ``url`` (error correction M, 4 px modules, 2-module border)."""
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m").save(buf, kind="png", scale=4, border=2)
    return buf.getvalue()


def _runs(text: str) -> list[tuple[str, str]]:
    """``text`` cut into (font, run) pairs, CJK runs in CJK_FONT."""
    return [(CJK_FONT if i % 2 else LATIN_FONT, run)
            for i, run in enumerate(_CJK_RUN.split(text)) if run]  # fmt: skip


def escape(text: str) -> str:
    """Paragraph markup escaping, keeping our own ``<br/>``."""
    parts = text.split("<br/>")
    return "<br/>".join(
        s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;") for s in parts
    )


def markup(text: str) -> str:
    """Paragraph markup for ``text`` (``<br/>`` kept): each run in its font, escaped."""
    lines = []
    for line in text.split("<br/>"):
        lines.append("".join(
            run if font == CJK_FONT else f'<font face="{LATIN_FONT}">{escape(run)}</font>'
            for font, run in _runs(line)
        ))  # fmt: skip
    return "<br/>".join(lines)


def draw_mixed(c: Any, x: float, y: float, text: str, size: float = 8, right: bool = False) -> None:
    """Draw ``text`` on reportlab canvas ``c`` at (x, y), each run in its font, as one
    text object (so readers keep the line together); ``right`` aligns its end at x."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    runs = _runs(text)
    if right:
        x -= sum(stringWidth(run, font, size) for font, run in runs)
    line = c.beginText(x, y)
    for font, run in runs:
        line.setFont(font, size)
        line.textOut(run)
    c.drawText(line)


def numbered_canvas(number: str, when: datetime) -> Any:
    """A PDF/A canvas class dated ``when`` (:func:`~ledger_service.reports.pdfa.pdfa_canvas`)
    that writes the report number, a header and '第 n 页 / 共 N 页' on every page once the
    page count is known."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm

    from ledger_service.reports.pdfa import pdfa_canvas

    register_fonts()

    class NumberedCanvas(pdfa_canvas(when, LATIN_FONT)):  # type: ignore[misc]  # reportlab is untyped
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
                draw_mixed(self, 15 * mm, 10 * mm, f"报告编号 Report No. {number}")
                draw_mixed(self, A4[0] - 15 * mm, 10 * mm,
                           f"第 {n} 页 / 共 {total} 页  Page {n} of {total}", right=True)  # fmt: skip
                draw_mixed(self, 15 * mm, A4[1] - 10 * mm, "链见证报告 Chain Witness Report")
                super().showPage()
            super().save()

    return NumberedCanvas


__all__ = [
    "CJK_FONT", "FONT_FILES", "LATIN_FONT", "MONO_FONT", "draw_mixed", "escape", "markup",
    "numbered_canvas", "qr_png", "register_fonts", "table_style",
]  # fmt: skip
