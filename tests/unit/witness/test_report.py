"""Witness report: render (reportlab), sign (pyHanko PAdES), validate against our own root."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from pyhanko.pdf_utils.reader import PdfFileReader

from ledger_service.core.errors import ConfigurationError, Conflict, MalformedInput
from ledger_service.witness import ca
from ledger_service.witness.report import (
    NO_TX,
    ChainRef,
    EventRow,
    OpeningSummary,
    TimestampUnavailable,
    TreeHeadRef,
    WitnessReport,
    render_report,
    sign_report,
    verify_report,
)

PASSWORD = "correct horse battery"
NUMBER = "CW-2026-000123"
STEPS = [
    ("announced", "招标公告", "Tender announced"),
    ("bidder_registered", "投标人登记", "Bidder registered"),
    ("bid_submitted", "投标文件递交", "Bid submitted"),
    ("open", "开标", "Bids opened"),
]


def _report(rows: int = 60) -> WitnessReport:
    events = [
        EventRow(
            time=f"2026-11-{1 + i // 24:02d}T{i % 24:02d}:00:00Z",
            event=STEPS[i % 4][0],
            label_zh=STEPS[i % 4][1],
            label_en=STEPS[i % 4][2],
            actor=f"bidder:0x{i:040x}" if i % 4 else "service:chainwitness",
            digest=f"{i:02x}" * 32,
            record_index=2 * i,
            tx_hash=f"0x{i + 1:064x}" if i % 2 else NO_TX,
        )  # fmt: skip
        for i in range(rows)
    ]
    return WitnessReport(
        number=NUMBER, kind="tender", subject_code="GC-2026-0417",
        subject_title="某市第一中学教学楼改造工程施工招标 <School building renovation & works>",
        issued_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        chain=ChainRef(31337, "0x" + "11" * 20, "0x" + "22" * 20),
        head=TreeHeadRef(200, "ee" * 32, "0x" + "ff" * 32, 1234,
                         datetime(2026, 11, 30, 7, 0, tzinfo=UTC)),
        events=events, verify_url="https://witness.example.cn/tenders/GC-2026-0417",
        opening=OpeningSummary(opened=14, flagged=1),
    )  # fmt: skip


@pytest.fixture(scope="module")
def pdf() -> bytes:
    return render_report(_report())


@pytest.fixture(scope="module")
def witness_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data_dir = tmp_path_factory.mktemp("data")
    ca.init_witness_ca(data_dir, PASSWORD, "某市公共资源交易中心")
    return data_dir


@pytest.fixture(scope="module")
def root(witness_dir: Path) -> x509.Certificate:
    return ca.load_cert(ca.WitnessPaths.under(witness_dir).ca_cert)


@pytest.fixture(scope="module")
def signed(pdf: bytes, witness_dir: Path) -> bytes:
    signer = ca.load_witness_signer(witness_dir, PASSWORD)
    return sign_report(pdf, signer, reason="链见证 witness report", location="杭州 Hangzhou")


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


def _page_text(page: Any) -> str:
    """The page's text, one line per text line: Tj runs joined, T* and ET end a line."""
    fonts = page["/Resources"]["/Font"]
    cid = {str(name) for name in fonts if fonts[name]["/Subtype"] == "/Type0"}
    data = page["/Contents"].data
    lines, line, font = [], "", ""
    for m in re.finditer(rb"/(\w+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj|(T\*|ET)\b", data, re.S):
        if m.group(1):
            font = "/" + m.group(1).decode()
        elif m.group(3):
            lines.append(line)
            line = ""
        else:
            raw = _literal(m.group(2))
            line += raw.decode("utf-16-be") if font in cid else raw.decode("latin-1")
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


def test_pdftotext_reads_chinese_if_installed(pdf: bytes) -> None:
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext (poppler-utils) not installed")
    out = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True)
    text = out.stdout.decode()
    assert "链见证报告" in text and "开标" in text and NUMBER in text


def test_first_page_has_the_qr_image(pdf: bytes) -> None:
    xobjects = _pages(pdf)[0]["/Resources"]["/XObject"]
    assert any(xobjects[name]["/Subtype"] == "/Image" for name in xobjects)


def test_rendering_is_deterministic(pdf: bytes) -> None:
    assert render_report(_report()) == pdf


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"number": "2026-123"}, "number: expected like CW-2026-000123"),
        ({"kind": "auction"}, "kind: expected 'tender' or 'contract'"),
        ({"events": []}, "events: expected 1..5000 rows"),
        ({"verify_url": "javascript:alert(1)"}, "verify_url: expected an http"),
        ({"issued_at": datetime(2026, 11, 30)}, "issued_at: expected an aware datetime"),
    ],
)
def test_report_rejects_malformed_fields(change: dict[str, Any], match: str) -> None:
    with pytest.raises(MalformedInput, match=match):
        replace(_report(2), **change)


def test_report_requires_the_head_to_cover_every_row() -> None:
    r = _report(2)
    with pytest.raises(MalformedInput, match="record indices below the head size 2, found"):
        replace(r, head=replace(r.head, size=2))
    replace(r, head=replace(r.head, size=3))  # last index 2: size 3 covers it


def test_event_row_rejects_bad_digest_and_tx() -> None:
    row = _report(1).events[0]
    with pytest.raises(MalformedInput, match="event.digest: expected 64 lowercase hex"):
        replace(row, digest="AB" * 32)
    with pytest.raises(MalformedInput, match="event.tx_hash: expected 0x"):
        replace(row, tx_hash="0x1234")


# -- signing ----------------------------------------------------------------------------


def test_signature_is_intact_valid_trusted_and_covers_everything(
    signed: bytes, root: x509.Certificate
) -> None:
    check = verify_report(signed, root)
    assert check.intact and check.valid and check.trusted and check.covers_whole_file
    assert check.ok and not check.timestamped
    assert "Witness Report Signer" in check.signer


def test_signing_appends_an_incremental_update(pdf: bytes, signed: bytes) -> None:
    assert signed.startswith(pdf)
    assert b"/ETSI.CAdES.detached" in signed[len(pdf) :]


def test_one_flipped_byte_breaks_the_signature(signed: bytes, root: x509.Certificate) -> None:
    stream = re.search(rb"[^d]stream\r?\n", signed)
    assert stream is not None
    at = stream.end() + 20  # inside the first content stream: the signed range
    tampered = bytearray(signed)
    tampered[at] ^= 0x01
    check = verify_report(bytes(tampered), root)
    assert not check.intact and not check.ok


def test_a_certificate_from_another_ca_is_not_trusted(
    pdf: bytes, root: x509.Certificate, tmp_path: Path
) -> None:
    other = ca.create_ca(tmp_path, "Somebody Else", PASSWORD)
    rogue = ca.issue_witness_cert(other, tmp_path, "某市公共资源交易中心 Witness Report Signer",
                                  PASSWORD)  # fmt: skip
    signed = sign_report(pdf, ca.to_pyhanko_signer(rogue, other.cert), reason="r", location="l")
    check = verify_report(signed, root)
    assert check.intact and check.valid  # cryptographically fine...
    assert not check.trusted and not check.ok  # ...but not chained to our root
    assert verify_report(signed, other.cert).ok


def test_verify_rejects_unsigned_and_non_pdf(pdf: bytes, root: x509.Certificate) -> None:
    with pytest.raises(MalformedInput, match="expected a signed PDF, found no signature"):
        verify_report(pdf, root)
    with pytest.raises(MalformedInput, match="expected a PDF"):
        verify_report(b"not a pdf", root)


def test_sign_rejects_non_pdf(witness_dir: Path) -> None:
    signer = ca.load_witness_signer(witness_dir, PASSWORD)
    with pytest.raises(MalformedInput, match="expected a PDF to sign"):
        sign_report(b"%PDF-1.4 garbage", signer, reason="r", location="l")


# -- the CA -----------------------------------------------------------------------------


def test_ca_files_keys_encrypted_and_private(witness_dir: Path) -> None:
    paths = ca.WitnessPaths.under(witness_dir)
    for key in (paths.ca_key, paths.signer_key):
        assert b"BEGIN ENCRYPTED PRIVATE KEY" in key.read_bytes()
        assert key.stat().st_mode & 0o777 == 0o600
    ca_cert, leaf = ca.load_cert(paths.ca_cert), ca.load_cert(paths.signer_cert)
    assert ca_cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    usage = leaf.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and usage.content_commitment and not usage.key_cert_sign
    eku = leaf.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert list(eku) == [ca.DOCUMENT_SIGNING_EKU]
    leaf.verify_directly_issued_by(ca_cert)


def test_init_refuses_to_overwrite(witness_dir: Path) -> None:
    with pytest.raises(Conflict, match="expected no witness CA in"):
        ca.init_witness_ca(witness_dir, PASSWORD, "Again")


def test_wrong_password_and_missing_files(witness_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="expected the password to decrypt the key"):
        ca.load_witness_signer(witness_dir, "wrong password")
    with pytest.raises(ConfigurationError, match="expected a private key at .*, found no file"):
        ca.load_witness_signer(tmp_path, PASSWORD)


def test_short_password_rejected(tmp_path: Path) -> None:
    with pytest.raises(MalformedInput, match="password: expected at least 8 characters, found 7"):
        ca.init_witness_ca(tmp_path, "1234567", "Org")
    assert not (tmp_path / "witness" / "ca.key.pem").exists()


def test_unreachable_tsa_is_reported(pdf: bytes, witness_dir: Path) -> None:
    signer = ca.load_witness_signer(witness_dir, PASSWORD)
    # port 9 (discard) on loopback: refused at once, no network involved
    with pytest.raises(TimestampUnavailable, match="expected a timestamp from http://127.0.0.1:9/"):
        sign_report(pdf, signer, reason="r", location="l", tsa_url="http://127.0.0.1:9/")
