"""The notarization credential and its JWS: round trip, exact checks, named failures."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed
from notary import certificate as vc

# Hardhat/anvil dev account 0 (public test key): a fixed key gives a fixed address
KEY = bytes.fromhex("ac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80")
ADDRESS = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"
CERT = vc.Certificate(
    serial="CWN-2026-000001", chain_id=31337, notary=ADDRESS, notary_name="张公证 Notary Zhang",
    valid_from="2026-11-30T08:00:00Z", package_digest="ab" * 32, subject="tender:GC-2026-0417",
    records=3, tree_size=7, tree_root="cd" * 32,
    anchor=vc.AnchorRef(31337, "0x5FbDB2315678afecb367f032d93F642f64180aa3", "0x" + "11" * 32, 5),
)  # fmt: skip


def _parts(jws: str) -> list[str]:
    return jws.split(".")


def _b64(obj: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(obj).encode()).rstrip(b"=").decode()


def test_round_trip_and_known_fields() -> None:
    jws = vc.issue(CERT, KEY)
    assert vc.verify_signature(jws) == CERT == vc.parse(jws)
    body = CERT.to_json()
    assert body["issuer"]["id"] == f"did:pkh:eip155:31337:{ADDRESS}"
    assert body["id"] == "urn:chainwitness:notarization:CWN-2026-000001"
    assert body["credentialSubject"]["id"] == "urn:sha256:" + "ab" * 32
    assert vc.Certificate.from_json(body) == CERT
    assert len(vc.certificate_digest(jws)) == 64


def test_address_of_jwk_is_the_ethereum_address() -> None:
    header = json.loads(base64.urlsafe_b64decode(_parts(vc.issue(CERT, KEY))[0] + "=="))
    assert vc.address_of_jwk(header["jwk"]) == ADDRESS


def test_key_of_another_address_is_refused() -> None:
    with pytest.raises(MalformedInput, match=f"expected the key of {ADDRESS}"):
        vc.issue(CERT, bytes(31) + b"\x01")


def test_wrong_alg_is_refused() -> None:
    h, p, s = _parts(vc.issue(CERT, KEY))
    header = json.loads(base64.urlsafe_b64decode(h + "=="))
    with pytest.raises(VerificationFailed, match="expected alg ES256K, found 'ES256'"):
        vc.verify_signature(".".join([_b64({**header, "alg": "ES256"}), p, s]))


def test_extra_and_missing_fields_are_refused() -> None:
    body = CERT.to_json()
    with pytest.raises(MalformedInput, match=r"unknown \['extra'\]"):
        vc.Certificate.from_json({**body, "extra": 1})
    body["credentialSubject"]["statement"] = {"zh": "x", "en": "y"}
    with pytest.raises(MalformedInput, match="derived from the other fields"):
        vc.Certificate.from_json(body)
    with pytest.raises(MalformedInput, match="records: expected at most treeSize 7"):
        replace(CERT, records=8)


def test_limits_and_trailing_garbage() -> None:
    jws = vc.issue(CERT, KEY)
    with pytest.raises(MalformedInput, match="three dot-separated parts"):
        vc.parse(jws + ".x")
    with pytest.raises(LimitExceeded, match=f"at most {vc.MAX_JWS_BYTES} bytes"):
        vc.parse("a" * (vc.MAX_JWS_BYTES + 1))
    h, _p, s = _parts(jws)
    padded = base64.urlsafe_b64encode(
        json.dumps(CERT.to_json()).encode()).rstrip(b"=").decode()  # fmt: skip
    with pytest.raises(MalformedInput, match="canonical"):
        vc.parse(".".join([h, padded, s]))


N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def _twin(jws: str) -> str:
    """The malleated twin: the same (r, s) with s replaced by n - s."""
    h, p, sig = _parts(jws)
    raw = base64.urlsafe_b64decode(sig + "==")
    s = int.from_bytes(raw[32:], "big")
    other = raw[:32] + (N - s).to_bytes(32, "big")
    return ".".join([h, p, base64.urlsafe_b64encode(other).rstrip(b"=").decode()])


def test_issued_signatures_are_low_s_and_the_high_s_twin_is_refused() -> None:
    """ECDSA is malleable: (r, n - s) also verifies, as a second JWS with another digest.
    Issuance gives low s only; the twin (high s) is refused, so one certificate has one
    digest (the one registered on chain)."""
    for serial in range(12):  # ECDSA nonces are random: both halves show up unnormalized
        jws = vc.issue(replace(CERT, serial=f"CWN-2026-{serial:06d}"), KEY)
        s = int.from_bytes(base64.urlsafe_b64decode(_parts(jws)[2] + "==")[32:], "big")
        assert s <= N // 2
        vc.verify_signature(jws)
        twin = _twin(jws)
        assert vc.certificate_digest(twin) != vc.certificate_digest(jws)
        with pytest.raises(VerificationFailed, match="expected a low-s ES256K signature"):
            vc.verify_signature(twin)
