"""PDF/A-2b: XMP, sRGB output intent, embedded fonts; kept by the PAdES signature.

Checked with our own structure check (``pdfa_check``): veraPDF is a Java tool on no
registry this project uses.
"""

from __future__ import annotations

import hashlib
import io
import re
from importlib.resources import files

from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from ledger_service.reports.pades import verify_report
from ledger_service.reports.pdf_style import FONT_FILES
from ledger_service.reports.pdfa import CREATOR, OUTPUT_CONDITION, srgb_profile
from tests.unit.reports.pdfa_check import pdfa_problems, xmp_fields
from tests.unit.reports.samples import NUMBER


def test_rendered_report_passes_the_pdfa_2b_check(pdf: bytes) -> None:
    assert pdfa_problems(pdf) == []


def test_signed_report_still_passes_and_its_signature_is_valid(
    signed: bytes, root: x509.Certificate
) -> None:
    assert pdfa_problems(signed) == []
    assert verify_report(signed, root).ok


def test_signing_stays_on_pdf_1_7_with_the_pades_extension_only(signed: bytes) -> None:
    catalog = PdfFileReader(io.BytesIO(signed)).root
    assert catalog["/Version"] == "/1.7"  # pyHanko alone declares ISO/TS 32002 and PDF 2.0
    assert list(catalog["/Extensions"].keys()) == ["/ESIC"]


def test_xmp_claims_pdfa_2b_and_names_the_report(pdf: bytes, signed: bytes) -> None:
    for doc in (pdf, signed):
        xmp = xmp_fields(PdfFileReader(io.BytesIO(doc)).root["/Metadata"].data)
        assert (xmp["pdfaid:part"], xmp["pdfaid:conformance"]) == ("2", "B")
        assert xmp["dc:title"] == f"链见证报告 Chain Witness Report {NUMBER}"
        assert xmp["xmp:CreatorTool"] == CREATOR
        assert xmp["xmp:CreateDate"] == "2026-11-30T08:00:00+00:00"  # the issue time


def test_output_intent_carries_the_shipped_srgb_profile(pdf: bytes) -> None:
    intent = PdfFileReader(io.BytesIO(pdf)).root["/OutputIntents"][0]
    assert intent["/S"] == "/GTS_PDFA1"
    assert intent["/OutputConditionIdentifier"] == OUTPUT_CONDITION
    assert intent["/DestOutputProfile"].data == srgb_profile()


def test_the_check_finds_what_a_plain_reportlab_pdf_lacks() -> None:
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=True)
    c.drawString(72, 72, "Helvetica, not embedded")
    c.save()
    problems = pdfa_problems(buf.getvalue())
    assert "catalog has no XMP /Metadata" in problems
    assert "catalog has no GTS_PDFA1 output intent" in problems
    assert "font /Helvetica is not embedded" in problems


def test_the_check_sees_info_and_xmp_disagree(pdf: bytes) -> None:
    tampered = pdf.replace(b"(ReportLab PDF Library", b"(ReportLab PDF Librarx", 1)
    assert tampered != pdf
    assert any("/Producer" in p for p in pdfa_problems(tampered))


def test_shipped_font_and_profile_files_are_those_the_notice_names() -> None:
    package = files("ledger_service.reports")
    notices = (package.joinpath("fonts/NOTICE").read_text()
               + package.joinpath("icc/NOTICE").read_text())  # fmt: skip
    named = set(re.findall(r"\b([0-9a-f]{64})\b", notices))
    for file in [*(f"fonts/{f}" for f in FONT_FILES.values()), "icc/sRGB.icc"]:
        digest = hashlib.sha256(package.joinpath(file).read_bytes()).hexdigest()
        assert digest in named, file
    for licence in ("fonts/LICENSE.Apache-2.0.txt", "fonts/LICENSE.Liberation-OFL-1.1.txt",
                    "fonts/COPYRIGHT.DroidSansFallback.txt",
                    "icc/COPYRIGHT.icc-profiles-free.txt"):  # fmt: skip
        assert package.joinpath(licence).is_file(), licence
