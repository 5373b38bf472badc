"""A report reads the same on a machine without CJK fonts (poppler without poppler-data).

STSong-Light, the non-embedded CID font reports used before, rendered as nothing there
and pdftotext lost every Chinese character; the embedded subsets must render as glyphs
and extract as the right characters.
"""

from __future__ import annotations

import io

from PIL import Image
from pyhanko.pdf_utils.reader import PdfFileReader

from ledger_service.reports.pdf_style import qr_png
from tests.unit.reports import poppler
from tests.unit.reports.samples import NUMBER, sample_report


def test_pdffonts_lists_only_embedded_subsets_with_unicode_maps(signed: bytes) -> None:
    poppler.require_poppler()
    rows = poppler.fonts(signed)
    assert {r.name.split("+")[1] for r in rows} == {
        "DroidSansFallback", "LiberationSans", "LiberationMono",
    }  # fmt: skip
    assert all(r.embedded and r.subset and r.unicode for r in rows), rows


def test_pdftotext_extracts_the_chinese_without_errors(signed: bytes) -> None:
    poppler.require_poppler()
    text, err = poppler.text(signed)
    for needle in ("链见证报告", "一、全生命周期记录 Lifecycle records", "投标文件递交", "某市第一中学",
                   "第 1 页 / 共", "本报告证明", NUMBER):  # fmt: skip
        assert needle in text, needle
    assert err == ""  # no "Missing language pack for 'Adobe-GB1'"


def test_the_title_renders_as_five_distinct_glyphs(signed: bytes) -> None:
    poppler.require_poppler()
    cells = poppler.glyph_cells(signed, 1, "链见证报告")
    # each character cell is inked like a glyph (not empty, not a filled box) ...
    assert all(0.08 < poppler.ink(c) < 0.6 for c in cells), [poppler.ink(c) for c in cells]
    # ... and no two alike: .notdef boxes would all be the same picture
    assert len(set(cells)) == 5


def test_the_qr_code_opens_the_public_page_and_the_json_is_printed(signed: bytes) -> None:
    report = sample_report()
    assert "/verify?report=" in report.verify_url
    page = PdfFileReader(io.BytesIO(signed)).root["/Pages"]["/Kids"][0]
    xobjects = page["/Resources"]["/XObject"]
    images = [xobjects[n] for n in xobjects if xobjects[n]["/Subtype"] == "/Image"]
    expected = Image.open(io.BytesIO(qr_png(report.verify_url))).convert("RGB").tobytes()
    assert [im.data for im in images] == [expected]
    poppler.require_poppler()
    x, y, _, _ = poppler.word_box(signed, 1, "扫码核验")
    text, _ = poppler.text(signed, page=1, crop=(x - 2, y - 2, 120, 150))  # the QR column
    # the URLs wrap in the narrow column, and pdftotext drops a hyphen ending a line
    flat = "".join(text.split()).replace("-", "")
    assert report.data_url is not None
    for url in (report.verify_url, report.data_url):
        assert url.replace("-", "") in flat
