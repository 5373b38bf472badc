"""RFC 3161 tokens over checkpoints (core/timestamps.py) and their pin in the policy."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from asn1crypto import keys as asn1_keys
from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper

from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.timestamps import load_roots, timestamp_request, verify_timestamp
from ledger_service.core.trust_policy import TrustPolicy
from tests.tsa import make_tsa
from tests.unit.core.test_trust_policy import policy

#: inside the test TSA's validity (from a day ago): a fixed date became a time bomb
WHEN = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(hours=1)


def _token(directory: Path, message: bytes) -> bytes:
    make_tsa(directory)
    cert = asn1_x509.Certificate.load(x509.load_pem_x509_certificate(
        (directory / "tsa.pem").read_bytes()).public_bytes(serialization.Encoding.DER))  # fmt: skip
    key = asn1_keys.PrivateKeyInfo.load((directory / "tsa.key").read_bytes())
    req = tsp.TimeStampReq.load(timestamp_request(message))
    return bytes(DummyTimeStamper(cert, key, fixed_dt=WHEN).request_tsa_response(req).dump())


def test_a_token_verifies_against_its_pinned_root_only(tmp_path: Path) -> None:
    msg = b"origin\n5\nroot\n"
    token = _token(tmp_path / "a", msg)
    roots = load_roots([(tmp_path / "a" / "root.pem").read_text()])
    stamp = verify_timestamp(token, msg, roots)
    assert stamp.time == int(WHEN.timestamp()) and "CN=Test TSA" in stamp.tsa
    with pytest.raises(VerificationFailed, match="Mismatch between messages"):
        verify_timestamp(token, msg + b"x", roots)
    make_tsa(tmp_path / "b")
    other = load_roots([(tmp_path / "b" / "root.pem").read_text()])
    with pytest.raises(VerificationFailed, match="expected a token of a pinned TSA"):
        verify_timestamp(token, msg, other)
    with pytest.raises(VerificationFailed, match="expected a pinned TSA root, found none"):
        verify_timestamp(token, msg, [])
    with pytest.raises(MalformedInput, match="expected a DER TimeStampResp"):
        verify_timestamp(b"\x30\x03\x02\x01\x00garbage", msg, roots)


def test_policy_pins_tsa_roots_and_keeps_old_bytes_without_them(tmp_path: Path) -> None:
    make_tsa(tmp_path)
    pem = (tmp_path / "root.pem").read_text()
    pinned = policy(tsa_roots=(pem,))
    assert TrustPolicy.from_bytes(pinned.to_bytes()) == pinned
    assert b'"tsa":{"roots":' in pinned.to_bytes()
    assert b'"tsa"' not in policy().to_bytes()  # a policy without TSA: same bytes as before
    with pytest.raises(MalformedInput, match="TSA root 0: expected a PEM certificate"):
        policy(tsa_roots=("not a certificate",))
