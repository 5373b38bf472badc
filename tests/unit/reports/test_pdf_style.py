"""The shared PDF style: mixed-script markup, escaping, QR codes."""

from __future__ import annotations

from ledger_service.reports.pdf_style import CJK_FONT, LATIN_FONT, escape, markup, qr_png


def test_escape_keeps_our_line_breaks_and_escapes_the_rest() -> None:
    assert escape("a<b> & c<br/>d") == "a&lt;b&gt; &amp; c<br/>d"


def test_markup_sets_latin_runs_in_the_latin_font_and_leaves_chinese_to_the_cjk_font() -> None:
    assert markup("开标 Opening <1>") == f'开标<font face="{LATIN_FONT}"> Opening &lt;1&gt;</font>'
    assert markup("序号<br/>No.") == f'序号<br/><font face="{LATIN_FONT}">No.</font>'
    assert CJK_FONT not in markup("ASCII only")


def test_qr_png_is_a_png_and_depends_on_the_url() -> None:
    a, b = qr_png("https://w.example.cn/v1/reports/CW-2026-000001"), qr_png("https://x.example")
    assert a.startswith(b"\x89PNG\r\n\x1a\n") and b.startswith(b"\x89PNG\r\n\x1a\n")
    assert a != b
