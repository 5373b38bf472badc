"""Tests for ledger_service.core.ecies: layout, known answers, proofs, every error path.

An independent reading of docs/threshold-keys.md section 6 (pure-Python secp256k1
below, HKDF and AES-GCM from ``cryptography``) decrypts the pinned blob and checks
the pinned proofs, so the spec, not only the code, is what the vectors hold.
"""

from __future__ import annotations

import hashlib
import random
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_service.core import ecies
from ledger_service.core.errors import MalformedInput, VerificationFailed

SPEC = Path(__file__).parents[3] / "docs" / "threshold-keys.md"
INFO = b"chainwitness/test/v1"
SECRET = bytes.fromhex("11" * 32)
PUB = "034f355bdcb7cc0af728ef3cceb9615d90684bb5b2ca5f859ab0f0b704075871aa"
# encrypt(PUB, b"chain witness", b"tender T-1", INFO, random.Random(2026).randbytes)
KAT_BLOB = (
    "03df9181e432fb8ae15fd5f29ce208febf5b37f9efc5de73eda8c1ee79efb15149"
    "8468461acbac55e2222d2939"
    "5340cf64bf0ce9ef7d0595059e2e14a41f3b6bbe4826d193c493073651"
)
# encrypt_proven(PUB, b"share", b"aad", INFO, rng) then disclose(SECRET, ..., rng),
# rng = random.Random(7).randbytes
KAT_PROVEN_BLOB = (
    "03413eca0953ecef15e9b9c98a506b200916cf3e1b0f8c074076038bd830fd3540"
    "2b902f8911e81818f8c99d5d4bba18b96aee23b301d3a3f4642a166cd2e2e3e0df"
)
KAT_SENDER_PROOF = (
    "17a3cbe6eb07673bdf2961474592ab0d088735f10460bac8d93dc18d14599dd5"
    "f11e2629ef6f0267afaa32ae921475cd827466c6f23ab9a004346628d4edafdc"
)
KAT_DISCLOSURE = (
    "0313789ac36e12a79e177b4cd0ccf8693cfc44d891b64f1920e792f7075f946904"
    "fee15ad7c0e2a3bea9be8c12959807df796049da1fdc01ba6acb5ef9eac1556f"
    "6a3321e87b7dc861a381fa7374e8d6f565f666783b62e3486d78a350e9c60ecd"
)

# ---------------------------------------------------------------- independent reference

_P = 2**256 - 2**32 - 977
_N = ecies.CURVE_ORDER
_G = (
    0x79BE667EF9DCBBAC55A06295CE870B07029BFCDB2DCE28D959F2815B16F81798,
    0x483ADA7726A3C4655DA4FBFC0E1108A8FD17B448A68554199C47D08FFB10D4B8,
)
Pt = tuple[int, int] | None


def _ref_add(a: Pt, b: Pt) -> Pt:
    if a is None or b is None:
        return a or b
    if a[0] == b[0] and (a[1] + b[1]) % _P == 0:
        return None
    if a == b:
        lam = 3 * a[0] * a[0] * pow(2 * a[1], -1, _P)
    else:
        lam = (b[1] - a[1]) * pow(b[0] - a[0], -1, _P)
    x = (lam * lam - a[0] - b[0]) % _P
    return x, (lam * (a[0] - x) - a[1]) % _P


def _ref_mul(k: int, pt: Pt) -> Pt:
    out: Pt = None
    for bit in bin(k % _N)[2:]:
        out = _ref_add(out, out)
        if bit == "1":
            out = _ref_add(out, pt)
    return out


def _ref_enc(pt: Pt) -> bytes:
    assert pt is not None
    return bytes([2 + (pt[1] & 1)]) + pt[0].to_bytes(32, "big")


def _ref_dec(data: bytes) -> Pt:
    x = int.from_bytes(data[1:], "big")
    y = pow((x**3 + 7) % _P, (_P + 1) // 4, _P)
    assert y * y % _P == (x**3 + 7) % _P
    return x, y if y & 1 == data[0] & 1 else _P - y


def _ref_h(tag: bytes, *parts: bytes) -> int:
    data = b"".join(len(p).to_bytes(4, "big") + p for p in (tag, *parts))
    return int.from_bytes(hashlib.sha256(data).digest(), "big") % _N


def _ref_decrypt(shared: bytes, recipient: bytes, blob: bytes, aad: bytes, info: bytes) -> bytes:
    ephemeral, nonce, body = blob[:33], blob[33:45], blob[45:]
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=ephemeral + recipient, info=info)
    return AESGCM(hkdf.derive(shared)).decrypt(nonce, body, aad)


# ---------------------------------------------------------------- known answers


def test_public_key_of_one_is_the_generator() -> None:
    assert ecies.public_key((1).to_bytes(32, "big")) == _ref_enc(_G)
    assert (
        ecies.public_key(SECRET).hex()
        == PUB
        == _ref_enc(_ref_mul(int.from_bytes(SECRET, "big"), _G)).hex()
    )


def test_known_answer_blob() -> None:
    blob = ecies.encrypt(
        bytes.fromhex(PUB), b"chain witness", b"tender T-1", INFO, random.Random(2026).randbytes
    )
    assert blob.hex() == KAT_BLOB
    assert len(blob) == len(b"chain witness") + ecies.OVERHEAD
    assert ecies.decrypt(SECRET, blob, b"tender T-1", INFO) == b"chain witness"
    x = int.from_bytes(SECRET, "big")
    shared = _ref_enc(_ref_mul(x, _ref_dec(blob[:33])))
    assert _ref_decrypt(shared, bytes.fromhex(PUB), blob, b"tender T-1", INFO) == b"chain witness"


def test_known_answer_proofs_follow_the_spec() -> None:
    rng = random.Random(7).randbytes
    pub = bytes.fromhex(PUB)
    blob, proof = ecies.encrypt_proven(pub, b"share", b"aad", INFO, rng)
    disclosure = ecies.disclose(SECRET, blob, proof, b"aad", INFO, rng)
    assert (blob.hex(), proof.hex(), disclosure.hex()) == (
        KAT_PROVEN_BLOB,
        KAT_SENDER_PROOF,
        KAT_DISCLOSURE,
    )
    # sender proof: R = z·G - c·E, c == H(tag, P, blob, aad, info, R)
    c, z = int.from_bytes(proof[:32], "big"), int.from_bytes(proof[32:], "big")
    e_pt = _ref_dec(blob[:33])
    r = _ref_add(_ref_mul(z, _G), _ref_mul(_N - c, e_pt))
    assert _ref_h(b"chainwitness/ecies/sender-proof/v1", pub, blob, b"aad", INFO, _ref_enc(r)) == c
    # disclosure: R1 = z·G - c·P, R2 = z·E - c·K, c == H(tag, P, blob, K, R1, R2)
    k_enc, c, z = (
        disclosure[:33],
        int.from_bytes(disclosure[33:65], "big"),
        int.from_bytes(disclosure[65:], "big"),
    )
    r1 = _ref_add(_ref_mul(z, _G), _ref_mul(_N - c, _ref_dec(pub)))
    r2 = _ref_add(_ref_mul(z, e_pt), _ref_mul(_N - c, _ref_dec(k_enc)))
    assert (
        _ref_h(b"chainwitness/ecies/disclosure/v1", pub, blob, k_enc, _ref_enc(r1), _ref_enc(r2))
        == c
    )
    assert _ref_decrypt(k_enc, pub, blob, b"aad", INFO) == b"share"
    assert ecies.decrypt_disclosed(pub, blob, disclosure, b"aad", INFO) == b"share"


def test_spec_shows_the_pinned_vectors() -> None:
    text = SPEC.read_text(encoding="utf-8")
    for value in (PUB, KAT_BLOB[:66], KAT_BLOB[66:90], KAT_BLOB[90:]):
        assert value in text, value


# ---------------------------------------------------------------- properties


@settings(max_examples=60, deadline=None)
@given(
    st.binary(max_size=300),
    st.binary(max_size=64),
    st.binary(min_size=1, max_size=64),
    st.integers(1, _N - 1),
)
def test_round_trip(plaintext: bytes, aad: bytes, info: bytes, x: int) -> None:
    secret = x.to_bytes(32, "big")
    blob = ecies.encrypt(ecies.public_key(secret), plaintext, aad, info)
    assert len(blob) == len(plaintext) + ecies.OVERHEAD
    assert ecies.decrypt(secret, blob, aad, info) == plaintext


_FLIP_BLOB = ecies.encrypt(
    bytes.fromhex(PUB),
    b"bid content key 0123456789abcdef",
    b"aad",
    INFO,
    random.Random(1).randbytes,
)


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 8 * len(_FLIP_BLOB) - 1))
def test_any_bit_flip_fails(bit: int) -> None:
    blob = bytearray(_FLIP_BLOB)
    blob[bit // 8] ^= 1 << (bit % 8)
    with pytest.raises(VerificationFailed, match=r"^blob"):
        ecies.decrypt(SECRET, bytes(blob), b"aad", INFO)


def test_every_single_bit_flip_fails_exhaustively() -> None:
    for bit in range(8 * len(_FLIP_BLOB)):
        blob = bytearray(_FLIP_BLOB)
        blob[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(VerificationFailed):
            ecies.decrypt(SECRET, bytes(blob), b"aad", INFO)


@settings(max_examples=30, deadline=None)
@given(st.binary(max_size=64), st.binary(max_size=32))
def test_disclosure_round_trip(plaintext: bytes, aad: bytes) -> None:
    pub = bytes.fromhex(PUB)
    blob, proof = ecies.encrypt_proven(pub, plaintext, aad, INFO)
    ecies.verify_sender(pub, blob, proof, aad, INFO)
    disclosure = ecies.disclose(SECRET, blob, proof, aad, INFO)
    assert len(disclosure) == ecies.DISCLOSURE_SIZE
    assert ecies.decrypt_disclosed(pub, blob, disclosure, aad, INFO) == plaintext


# ---------------------------------------------------------------- decryption failures


def test_wrong_aad_info_or_key_fails() -> None:
    blob = bytes.fromhex(KAT_BLOB)
    with pytest.raises(VerificationFailed, match=r"tampered blob, wrong key, aad or info"):
        ecies.decrypt(SECRET, blob, b"tender T-2", INFO)
    with pytest.raises(VerificationFailed, match=r"tampered blob, wrong key, aad or info"):
        ecies.decrypt(SECRET, blob, b"tender T-1", b"chainwitness/other/v1")
    with pytest.raises(VerificationFailed, match=r"tampered blob, wrong key, aad or info"):
        ecies.decrypt(bytes.fromhex("22" * 32), blob, b"tender T-1", INFO)


def test_ephemeral_key_off_the_curve_fails() -> None:
    blob = bytearray.fromhex(KAT_BLOB)
    blob[0] = 0x04
    with pytest.raises(
        VerificationFailed, match=r"blob ephemeral key: expected a 33-byte compressed"
    ):
        ecies.decrypt(SECRET, bytes(blob), b"tender T-1", INFO)
    # x = 5: x^3 + 7 = 132 is not a square mod p, so no point has it
    blob[:33] = b"\x02" + (5).to_bytes(32, "big")
    with pytest.raises(
        VerificationFailed, match=r"blob ephemeral key: expected a point on secp256k1"
    ):
        ecies.decrypt(SECRET, bytes(blob), b"tender T-1", INFO)


def test_blob_length_limits() -> None:
    empty = ecies.encrypt(bytes.fromhex(PUB), b"", b"", INFO)
    assert len(empty) == ecies.OVERHEAD == 61
    assert ecies.decrypt(SECRET, empty, b"", INFO) == b""
    with pytest.raises(MalformedInput, match=r"blob: expected at least 61 bytes, found 60 bytes"):
        ecies.decrypt(SECRET, empty[:-1], b"", INFO)
    with pytest.raises(MalformedInput, match=r"blob: expected at least 61 bytes, found str"):
        ecies.decrypt(SECRET, "blob", b"", INFO)  # type: ignore[arg-type]


# ---------------------------------------------------------------- argument errors


@pytest.mark.parametrize(
    ("secret", "message"),
    [
        (b"\x11" * 31, r"secret: expected 32 bytes, found 31 bytes"),
        (b"\x11" * 33, r"secret: expected 32 bytes, found 33 bytes"),
        (bytes(32), r"secret: expected a scalar in 1..order-1"),
        (_N.to_bytes(32, "big"), r"secret: expected a scalar in 1..order-1"),
        ("11" * 32, r"secret: expected 32 bytes, found str"),
    ],
)
def test_bad_secret(secret: bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        ecies.decrypt(secret, bytes.fromhex(KAT_BLOB), b"", INFO)
    with pytest.raises(MalformedInput, match=message):
        ecies.public_key(secret)


def test_order_minus_one_is_a_valid_secret() -> None:
    secret = (_N - 1).to_bytes(32, "big")
    blob = ecies.encrypt(ecies.public_key(secret), b"x", b"", INFO)
    assert ecies.decrypt(secret, blob, b"", INFO) == b"x"


@pytest.mark.parametrize(
    ("recipient", "message"),
    [
        (
            bytes.fromhex(PUB)[:32],
            r"recipient: expected a 33-byte compressed secp256k1 point, found 32 bytes",
        ),
        (b"\x04" + bytes.fromhex(PUB)[1:], r"recipient: expected a 33-byte compressed"),
        (b"\x02" + (5).to_bytes(32, "big"), r"recipient: expected a point on secp256k1"),
        (PUB, r"recipient: expected a 33-byte compressed secp256k1 point, found str"),
    ],
)
def test_bad_recipient(recipient: bytes, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        ecies.encrypt(recipient, b"x", b"", INFO)


def test_uncompressed_recipient_is_refused() -> None:
    uncompressed = _ref_dec(bytes.fromhex(PUB))
    assert uncompressed is not None
    data = b"\x04" + uncompressed[0].to_bytes(32, "big") + uncompressed[1].to_bytes(32, "big")
    with pytest.raises(MalformedInput, match=r"found 65 bytes"):
        ecies.encrypt(data, b"x", b"", INFO)


def test_bad_info_aad_plaintext() -> None:
    pub = bytes.fromhex(PUB)
    with pytest.raises(
        MalformedInput, match=r"info: expected a non-empty domain-separation string"
    ):
        ecies.encrypt(pub, b"x", b"", b"")
    with pytest.raises(
        MalformedInput, match=r"info: expected a non-empty domain-separation string"
    ):
        ecies.decrypt(SECRET, bytes.fromhex(KAT_BLOB), b"tender T-1", b"")
    with pytest.raises(MalformedInput, match=r"info: expected bytes, found str"):
        ecies.encrypt(pub, b"x", b"", "info")  # type: ignore[arg-type]
    with pytest.raises(MalformedInput, match=r"aad: expected bytes, found str"):
        ecies.encrypt(pub, b"x", "aad", INFO)  # type: ignore[arg-type]
    with pytest.raises(MalformedInput, match=r"plaintext: expected bytes, found bytearray"):
        ecies.encrypt(pub, bytearray(b"x"), b"", INFO)  # type: ignore[arg-type]


def test_bad_rng() -> None:
    with pytest.raises(MalformedInput, match=r"rng: expected 32 bytes, found 16 bytes"):
        ecies.encrypt(bytes.fromhex(PUB), b"x", b"", INFO, lambda n: bytes(16))
    calls = iter([b"\x01" * 32, b"\x01" * 11])
    with pytest.raises(MalformedInput, match=r"rng: expected 12 bytes, found 11 bytes"):
        ecies.encrypt(bytes.fromhex(PUB), b"x", b"", INFO, lambda n: next(calls))


def test_rng_values_outside_the_group_are_redrawn() -> None:
    draws = iter([bytes(32), b"\xff" * 32, b"\x01" * 32, b"\x02" * 12])
    blob = ecies.encrypt(bytes.fromhex(PUB), b"x", b"", INFO, lambda n: next(draws))
    assert blob[:33] == ecies.public_key(b"\x01" * 32)


# ---------------------------------------------------------------- sender proofs


def _proven() -> tuple[bytes, bytes, bytes]:
    return bytes.fromhex(PUB), bytes.fromhex(KAT_PROVEN_BLOB), bytes.fromhex(KAT_SENDER_PROOF)


def test_sender_proof_binds_recipient_blob_aad_and_info() -> None:
    pub, blob, proof = _proven()
    ecies.verify_sender(pub, blob, proof, b"aad", INFO)
    other = ecies.public_key(bytes.fromhex("22" * 32))
    tampered = blob[:-1] + bytes([blob[-1] ^ 1])
    for args in [
        (other, blob, proof, b"aad", INFO),
        (pub, tampered, proof, b"aad", INFO),
        (pub, blob, proof, b"aae", INFO),
        (pub, blob, proof, b"aad", b"chainwitness/other/v1"),
        (pub, blob, proof[:-1] + bytes([proof[-1] ^ 1]), b"aad", INFO),
    ]:
        with pytest.raises(
            VerificationFailed, match=r"sender proof: expected a proof of knowledge"
        ):
            ecies.verify_sender(*args)


def test_sender_proof_shape() -> None:
    pub, blob, proof = _proven()
    with pytest.raises(MalformedInput, match=r"sender proof: expected 64 bytes, found 63 bytes"):
        ecies.verify_sender(pub, blob, proof[:63], b"aad", INFO)
    with pytest.raises(
        VerificationFailed, match=r"sender proof: expected scalars below the group order"
    ):
        ecies.verify_sender(pub, blob, _N.to_bytes(32, "big") + proof[32:], b"aad", INFO)


def test_copied_ephemeral_key_cannot_be_disclosed() -> None:
    """The attack the sender proof stops: reuse someone else's E to get x·E disclosed."""
    pub, victim, victim_proof = _proven()
    forged = ecies.encrypt(pub, b"garbage", b"attacker aad", INFO)
    forged = victim[:33] + forged[33:]  # the victim's ephemeral key, our own garbage
    for proof in (victim_proof, bytes(64)):
        with pytest.raises(VerificationFailed, match=r"sender proof"):
            ecies.disclose(SECRET, forged, proof, b"attacker aad", INFO)


# ---------------------------------------------------------------- disclosures


def test_disclosure_is_bound_to_recipient_and_blob() -> None:
    pub, blob, _ = _proven()
    disclosure = bytes.fromhex(KAT_DISCLOSURE)
    ecies.verify_disclosure(pub, blob, disclosure)
    other = ecies.public_key(bytes.fromhex("22" * 32))
    cases = [
        (other, blob, disclosure),
        (pub, blob[:-1] + bytes([blob[-1] ^ 1]), disclosure),
        (pub, blob, disclosure[:-1] + bytes([disclosure[-1] ^ 1])),
        (pub, blob, disclosure[:33] + bytes(64)),
        (pub, blob, ecies.public_key(SECRET) + disclosure[33:]),  # another point as K
    ]
    for args in cases:
        with pytest.raises(VerificationFailed, match=r"disclosure: expected a proof"):
            ecies.verify_disclosure(*args)
        with pytest.raises(VerificationFailed, match=r"disclosure: expected a proof"):
            ecies.decrypt_disclosed(*args, b"aad", INFO)


def test_disclosure_shape() -> None:
    pub, blob, _ = _proven()
    disclosure = bytes.fromhex(KAT_DISCLOSURE)
    with pytest.raises(MalformedInput, match=r"disclosure: expected 97 bytes, found 96 bytes"):
        ecies.verify_disclosure(pub, blob, disclosure[:96])
    with pytest.raises(VerificationFailed, match=r"disclosure shared point: expected a 33-byte"):
        ecies.verify_disclosure(pub, blob, b"\x05" + disclosure[1:])
    with pytest.raises(
        VerificationFailed, match=r"disclosure: expected scalars below the group order"
    ):
        ecies.verify_disclosure(pub, blob, disclosure[:65] + _N.to_bytes(32, "big"))


def test_verified_disclosure_of_a_blob_that_does_not_decrypt() -> None:
    """The disclosure proves the key; if the blob still fails, the sender is at fault."""
    pub, blob, _ = _proven()
    disclosure = bytes.fromhex(KAT_DISCLOSURE)
    ecies.verify_disclosure(pub, blob, disclosure)
    with pytest.raises(VerificationFailed, match=r"^blob: expected an AES-GCM tag"):
        ecies.decrypt_disclosed(pub, blob, disclosure, b"other aad", INFO)
