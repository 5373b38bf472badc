"""SM3 and SM2 against the published vectors (tests/vectors/gm/SOURCE.md), and mutations."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_service.core.errors import MalformedInput
from ledger_service.core.sm2 import (
    DEFAULT_USER_ID,
    SM2P256V1,
    Sm2Curve,
    Sm2PrivateKey,
    Sm2PublicKey,
    sm3,
)

VECTORS = Path(__file__).parents[2] / "vectors" / "gm"


def _load(name: str) -> list[dict[str, Any]]:
    vectors: list[dict[str, Any]] = json.loads((VECTORS / name).read_text())["vectors"]
    return vectors


def _curve(v: dict[str, Any]) -> Sm2Curve:
    if v["curve"] == "sm2p256v1":
        return SM2P256V1
    return Sm2Curve(**{k: int(x, 16) for k, x in v["curve"].items()})


def _key(v: dict[str, Any]) -> Sm2PrivateKey:
    return Sm2PrivateKey(int(v["d"], 16), _curve(v), nonce=lambda n: int(v["k"], 16))


@pytest.mark.parametrize("v", _load("sm3.json"), ids=lambda v: v["message_ascii"][:8])
def test_sm3_matches_gbt_32905_examples(v: dict[str, Any]) -> None:
    assert sm3(v["message_ascii"].encode()).hex() == v["sm3"]


@pytest.mark.parametrize("v", _load("sm2_sign.json"), ids=lambda v: v["name"][:12])
def test_sm2_signs_exactly_as_the_standard_with_its_nonce(v: dict[str, Any]) -> None:
    key, uid, msg = _key(v), v["user_id_ascii"].encode(), v["message_ascii"].encode()
    sig = key.sign(msg, uid)
    assert sig.hex() == v["r"] + v["s"]
    assert key.public_key.verify(sig, msg, uid)
    if "public_key" in v:
        assert key.public_key.to_bytes().hex() == v["public_key"]
        assert key.public_key.z_value(uid).hex() == v["z"]


def test_annex_a_uses_the_default_user_id() -> None:
    (v,) = [v for v in _load("sm2_sign.json") if v["curve"] == "sm2p256v1"]
    assert v["user_id_ascii"].encode() == DEFAULT_USER_ID
    pub = Sm2PublicKey.from_bytes(bytes.fromhex(v["public_key"]))
    assert pub.verify(bytes.fromhex(v["r"] + v["s"]), b"message digest")


@pytest.mark.parametrize(
    "mutation",
    ["flip r", "flip s", "r = 0", "s = 0", "r = n", "s = n", "r + s = n", "short", "long",
     "message", "user id", "other key"],
)  # fmt: skip
def test_sm2_refuses_each_named_mutation_of_the_annex_a_signature(mutation: str) -> None:
    (v,) = [v for v in _load("sm2_sign.json") if v["curve"] == "sm2p256v1"]
    pub = Sm2PublicKey.from_bytes(bytes.fromhex(v["public_key"]))
    r, s, n = int(v["r"], 16), int(v["s"], 16), SM2P256V1.n
    msg, uid = b"message digest", DEFAULT_USER_ID

    def rs(a: int, b: int) -> bytes:
        return a.to_bytes(32, "big") + b.to_bytes(32, "big")

    sig = rs(r, s)
    if mutation == "flip r":
        sig = rs(r ^ 1, s)
    elif mutation == "flip s":
        sig = rs(r, s ^ 1)
    elif mutation == "r = 0":
        sig = rs(0, s)
    elif mutation == "s = 0":
        sig = rs(r, 0)
    elif mutation == "r = n":
        sig = rs(n, s)
    elif mutation == "s = n":
        sig = rs(r, n)
    elif mutation == "r + s = n":
        sig = rs(r, n - r)
    elif mutation == "short":
        sig = sig[:-1]
    elif mutation == "long":
        sig = sig + b"\x00"
    elif mutation == "message":
        msg = b"message digesT"
    elif mutation == "user id":
        uid = b"ALICE123@YAHOO.COM"
    elif mutation == "other key":
        pub = Sm2PrivateKey(2).public_key
    assert not pub.verify(sig, msg, uid)


def test_public_keys_off_the_curve_or_malformed_are_refused() -> None:
    g = Sm2PrivateKey(1 + 1).public_key.to_bytes()
    with pytest.raises(MalformedInput, match="expected a point on the curve"):
        Sm2PublicKey.from_bytes(g[:-1] + bytes([g[-1] ^ 1]))
    with pytest.raises(MalformedInput, match="expected 65 bytes 0x04"):
        Sm2PublicKey.from_bytes(b"\x02" + g[1:33])
    with pytest.raises(MalformedInput, match="expected 65 bytes 0x04"):
        Sm2PublicKey.from_bytes(g + b"\x00")


def test_private_key_range_is_exactly_1_to_n_minus_2() -> None:
    Sm2PrivateKey(1)
    Sm2PrivateKey(SM2P256V1.n - 2)
    for d in (0, SM2P256V1.n - 1):
        with pytest.raises(MalformedInput, match=r"\[1, n-2\]"):
            Sm2PrivateKey(d)
    with pytest.raises(MalformedInput, match="expected 32 bytes"):
        Sm2PrivateKey.from_bytes(b"\x01" * 31)
    assert "d=" not in repr(Sm2PrivateKey(12345))


@settings(max_examples=15, deadline=None)
@given(st.binary(max_size=200), st.binary(min_size=1, max_size=40))
def test_sign_verify_round_trip_with_random_nonces(message: bytes, uid: bytes) -> None:
    key = Sm2PrivateKey.from_bytes(sm3(uid))
    sig = key.sign(message, uid)
    assert len(sig) == 64 and key.public_key.verify(sig, message, uid)
    assert not key.public_key.verify(sig, message + b"x", uid)
    assert key.sign(message, uid) != sig  # a fresh nonce each time
