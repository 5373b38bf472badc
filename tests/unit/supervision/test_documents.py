"""Reading an opened bid's provenance and declared price (supervision.documents)."""

from __future__ import annotations

import hashlib
import io

from ledger_service.supervision.documents import read_document

ID0 = "9f86d081884c7d659a2feaa0c55ad015"


def _pdf(info: bytes, trailer_id: bytes, update: bytes = b"") -> bytes:
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
            b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\n"
            b"3 0 obj\n<< " + info + b" >>\nendobj\n"
            b"xref\n0 4\n0000000000 65535 f \ntrailer\n<< /Size 4 /Root 1 0 R /Info 3 0 R "
            b"/ID [" + trailer_id + b"] >>\nstartxref\n9\n%%EOF\n" + update)  # fmt: skip


def test_pdf_trailer_id_and_info_dictionary() -> None:
    author = "\ufeff张三".encode("utf-16-be")
    data = _pdf(b"/Author <" + author.hex().encode() + b"> /Creator (WPS \\(12\\)) "
                b"/Producer (pdf\\0551) /CreationID (MC-7731) /DongleSerial (GLD-1; GLD-2,GLD-1) "
                b"/BidPrice (1,234,500)", b"<" + ID0.encode() + b"> <00ff>")  # fmt: skip
    facts = read_document(data)
    d = facts.document
    assert d.sha256 == hashlib.sha256(data).hexdigest()
    assert (d.author, d.creator_tool, facts.producer) == ("张三", "WPS (12)", "pdf-1")
    assert d.pdf_id == ID0
    assert d.creation_id == "MC-7731"
    assert d.dongle_serials == ("GLD-1", "GLD-2")
    assert facts.price == 1_234_500


def test_pdf_incremental_update_wins() -> None:
    """A re-saved copy keeps the first /ID element; its newest Info is the one read."""
    update = (b"4 0 obj\n<< /Author (Li Si) /MachineCode <4d432d39> /BidPrice (990000 yuan) >>\n"
              b"endobj\ntrailer\n<< /Size 5 /Root 1 0 R /Info 4 0 R /Prev 9 "
              b"/ID [<" + ID0.encode() + b"> <aa>] >>\n%%EOF\n")  # fmt: skip
    facts = read_document(_pdf(b"/Author (Zhang San) /BidPrice (1)", b"<00> <00>", update))
    assert facts.document.author == "Li Si"
    assert facts.document.creation_id == "MC-9"
    assert facts.document.pdf_id == ID0
    assert facts.price == 990_000


def test_pdf_without_facts_and_malformed_input_never_raise() -> None:
    facts = read_document(b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer << /Info 9 0 R >>")
    assert facts.document.pdf_id is None and facts.document.author is None
    assert facts.price is None
    assert read_document(b"%PDF-1.4\n/ID [(a\\)c) (x)]").document.pdf_id == b"a)c".hex()
    assert read_document(b"%PDF-1.4\n/ID [(abc").document.pdf_id is None
    for bad in (
        b"%PDF-",
        b"%PDF-1.7 /Info 3 0 R 3 0 obj << /Author (unterminated",
        b"%PDF-1.7 /ID [<zz>]",
        b"%PDF-1.7 3 0 obj << /BidPrice (-5) >> /Info 3 0 R",
    ):
        read_document(bad)  # no exception: a fact that cannot be read is absent


def test_text_document_lines() -> None:
    text = (
        "投标函\n投标报价：3,456,700元\n文件创建标识码: FC-0042\n加密锁号：GLD-88，GLD-89\n"
        "author: 王五\nbid price: 1\n" + "施工组织设计 " * 40
    )
    facts = read_document(text.encode())
    assert facts.price == 3_456_700  # the first declaration counts
    assert facts.document.creation_id == "FC-0042"
    assert facts.document.dongle_serials == ("GLD-88", "GLD-89")
    assert facts.document.author == "王五"
    assert len(facts.document.sketch) == 64


def test_prices_that_are_not_whole_positive_amounts_are_absent() -> None:
    for line in ("投标报价: 12.5", "投标报价: 0", "投标报价: abc", f"bid price: {2**53}"):
        assert read_document(line.encode()).price is None, line
    assert read_document(b"bid price: 9007199254740991").price == 2**53 - 1


def test_binary_document_has_only_its_digest() -> None:
    facts = read_document(b"\xff\xfe\x00binary", sha256="ab" * 32)
    assert facts.document.sha256 == "ab" * 32 and facts.price is None
    assert facts.document.sketch == ()


def test_reportlab_pdf() -> None:
    """A PDF written by a real library (compressed content, its own trailer /ID)."""
    from reportlab.pdfgen import canvas

    buf = io.BytesIO()
    c = canvas.Canvas(buf, invariant=1)
    c.setAuthor("Zhao Liu")
    c.setCreator("BidMaker 3")
    c.drawString(72, 720, "bid")
    c.save()
    facts = read_document(buf.getvalue())
    assert (facts.document.author, facts.document.creator_tool) == ("Zhao Liu", "BidMaker 3")
    assert facts.document.pdf_id is not None and len(facts.document.pdf_id) == 32
    assert "ReportLab" in (facts.producer or "")
