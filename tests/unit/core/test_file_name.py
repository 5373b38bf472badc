"""The sealed file name of a bid: only the envelope's content key opens it."""

from __future__ import annotations

import hashlib

import pytest

from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.sealing import file_name as fn

KEY = hashlib.sha256(b"content key").digest()
DIGEST = hashlib.sha256(b"envelope header").digest()


def rng(n: int) -> bytes:
    return b"\x07" * n


def test_round_trip_and_known_layout() -> None:
    blob = fn.seal_name(KEY, DIGEST, "投标文件-商务标.pdf", rng)
    assert blob[:12] == b"\x07" * 12
    assert len(blob) == 12 + len("投标文件-商务标.pdf".encode()) + 16
    assert fn.open_name(KEY, DIGEST, blob) == "投标文件-商务标.pdf"


def test_other_key_other_envelope_or_altered_is_refused() -> None:
    blob = fn.seal_name(KEY, DIGEST, "bid.pdf", rng)
    other = hashlib.sha256(b"x").digest()
    for key, digest, data in ((other, DIGEST, blob), (KEY, other, blob),
                              (KEY, DIGEST, blob[:-1] + bytes([blob[-1] ^ 1]))):  # fmt: skip
        with pytest.raises(VerificationFailed, match="expected it to open under the envelope"):
            fn.open_name(key, digest, data)


def test_exact_limits() -> None:
    assert fn.open_name(KEY, DIGEST, fn.seal_name(KEY, DIGEST, "a" * 255, rng)) == "a" * 255
    with pytest.raises(MalformedInput, match="expected 1..255 UTF-8 bytes, found 256"):
        fn.seal_name(KEY, DIGEST, "a" * 256, rng)
    with pytest.raises(MalformedInput, match="expected 1..255 UTF-8 bytes, found 0"):
        fn.seal_name(KEY, DIGEST, "", rng)
    with pytest.raises(MalformedInput, match=r"expected 29..283 bytes, found 28"):
        fn.open_name(KEY, DIGEST, b"\0" * 28)
    with pytest.raises(MalformedInput, match=r"expected 29..283 bytes, found 284"):
        fn.open_name(KEY, DIGEST, b"\0" * 284)


@pytest.mark.parametrize("bad", ["../etc/passwd", "a/b", "a\\b", "..", ".", " x", "a\nb", "\x7f"])
def test_names_with_a_path_or_control_characters_are_refused(bad: str) -> None:
    with pytest.raises(MalformedInput, match="file name: expected"):
        fn.seal_name(KEY, DIGEST, bad, rng)
