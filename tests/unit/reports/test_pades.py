"""PAdES: sign with pyHanko, validate against our own root, refuse what is not a PDF."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from cryptography import x509

from ledger_service.core.errors import MalformedInput
from ledger_service.reports import ca
from ledger_service.reports.pades import TimestampUnavailable, sign_report, verify_report
from tests.unit.reports.samples import PASSWORD


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


def test_unreachable_tsa_is_reported(pdf: bytes, witness_dir: Path) -> None:
    signer = ca.load_witness_signer(witness_dir, PASSWORD)
    # port 9 (discard) on loopback: refused at once, no network involved
    with pytest.raises(TimestampUnavailable, match="expected a timestamp from http://127.0.0.1:9/"):
        sign_report(pdf, signer, reason="r", location="l", tsa_url="http://127.0.0.1:9/")
