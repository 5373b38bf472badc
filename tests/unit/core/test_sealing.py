"""Tests for ledger_service.core.sealing: vectors, round trips, every way an envelope breaks.

Negative envelopes are built by an independent implementation of the spec
(``reference_chunks`` / ``craft``, straight from docs/sealed-envelope.md), so each
is a named mutation of a valid envelope.
"""

from __future__ import annotations

import hashlib
import importlib.util
import io
import json
import os
import random
import re
import tracemalloc
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO, cast

import pytest
from coincurve import PublicKey
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from eth_account import Account
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_service.core import ecies, sealing
from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import (
    EvidenceError,
    LimitExceeded,
    MalformedInput,
    VerificationFailed,
)
from ledger_service.core.sealing import (
    MAX_CHUNK_SIZE,
    MAX_HEADER_SIZE,
    MIN_CHUNK_SIZE,
    EnvelopeHeader,
    OpenResult,
    Recipient,
    SealResult,
    open_stream,
    read_header,
    seal_stream,
    unwrap_key,
)

REPO = Path(__file__).resolve().parents[3]
VECTORS: list[dict[str, Any]] = json.loads(
    (REPO / "tests" / "vectors" / "sealing" / "vectors.json").read_text(encoding="utf-8")
)["vectors"]
C = MIN_CHUNK_SIZE  # the chunk size of most tests
FULL = C + 16  # a sealed full chunk
TENDER_SK = hashlib.sha256(b"test tender opening key").digest()
BIDDER_SK = hashlib.sha256(b"test bidder key").digest()
OTHER_SK = hashlib.sha256(b"someone else").digest()
TENDER_PK, BIDDER_PK = ecies.public_key(TENDER_SK), ecies.public_key(BIDDER_SK)
BIDDER = Account.from_key(BIDDER_SK).address
SECRETS = {"tender": TENDER_SK, "bidder": BIDDER_SK}


# ---------------------------------------------------------------- helpers


def stream(obj: object) -> BinaryIO:
    """A test double taken as a binary stream (the API reads and writes nothing else)."""
    return cast(BinaryIO, obj)


def hk(key: bytes, info: str) -> bytes:
    return HKDF(hashes.SHA256(), 32, None, f"chainwitness/seal/v1 {info}".encode()).derive(key)


def data_of(size: int, seed: int = 0) -> bytes:
    return random.Random(seed * 1_000_003 + size).randbytes(size)


def seal(
    data: bytes, *, chunk_size: int = C, rng: Callable[[int], bytes] | None = None, **kw: Any
) -> tuple[bytes, SealResult]:
    out = io.BytesIO()
    args: dict[str, Any] = {
        "tender_id": "GC-2026-0042",
        "bidder": BIDDER,
        "tender_public_key": TENDER_PK,
        "bidder_public_key": BIDDER_PK,
        "chunk_size": chunk_size,
        "rng": rng or random.Random(len(data)).randbytes,
        **kw,
    }
    result = seal_stream(io.BytesIO(data), out, **args)
    return out.getvalue(), result


def key_of(envelope: bytes, kind: sealing.RecipientKind = "tender") -> bytes:
    return unwrap_key(read_header(io.BytesIO(envelope)), kind, SECRETS[kind])


def open_env(envelope: bytes, key: bytes | None = None) -> tuple[bytes, OpenResult]:
    out = io.BytesIO()
    result = open_stream(io.BytesIO(envelope), out, key or key_of(envelope))
    return out.getvalue(), result


def header_size(envelope: bytes) -> int:
    return 11 + int.from_bytes(envelope[7:11], "big")


def reference_chunks(
    pieces: Sequence[tuple[int, bool, bytes]], key: bytes, header_bytes: bytes
) -> bytes:
    """Chunks as the spec defines them: (counter, final flag, plaintext) each."""
    header = EnvelopeHeader.from_json(json.loads(header_bytes[11:]))
    aead = AESGCM(hk(key, "payload-key"))
    aad = hashlib.sha256(header_bytes).digest()
    return b"".join(
        aead.encrypt(header.nonce_prefix + i.to_bytes(4, "big") + bytes([final]), p, aad)
        for i, final, p in pieces
    )


def split(data: bytes, size: int = C) -> list[tuple[int, bool, bytes]]:
    parts = [data[i : i + size] for i in range(0, len(data), size)] or [b""]
    return [(i, i == len(parts) - 1, p) for i, p in enumerate(parts)]


def craft(envelope: bytes, pieces: Sequence[tuple[int, bool, bytes]]) -> bytes:
    """The envelope's header followed by the given chunks, sealed with its key."""
    head = envelope[: header_size(envelope)]
    return head + reference_chunks(pieces, key_of(envelope), head)


def rebuild(envelope: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """Re-encode the header (canonically) after ``edit``; keep the chunks."""
    size = header_size(envelope)
    obj = json.loads(envelope[11:size])
    edit(obj)
    text = canonicalize(obj)
    return envelope[:7] + len(text).to_bytes(4, "big") + text + envelope[size:]


class Scripted:
    """An rng that replays recorded values and checks each is asked for at its size."""

    def __init__(self, values: Sequence[str]) -> None:
        self.values = [bytes.fromhex(v) for v in values]

    def __call__(self, n: int) -> bytes:
        value = self.values.pop(0)
        assert len(value) == n
        return value


# ---------------------------------------------------------------- known answers


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_seals_to_the_expected_bytes(v: dict[str, Any]) -> None:
    out = io.BytesIO()
    rng = Scripted(v["rng"])
    result = seal_stream(
        io.BytesIO(bytes.fromhex(v["plaintext"])),
        out,
        tender_id=v["tender_id"],
        bidder=v["bidder"],
        tender_public_key=bytes.fromhex(v["tender_public_key"]),
        bidder_public_key=bytes.fromhex(v["bidder_public_key"]),
        chunk_size=v["chunk_size"],
        rng=rng,
    )
    assert not rng.values
    assert out.getvalue().hex() == v["envelope"]
    assert result == SealResult(
        bytes.fromhex(v["ciphertext_sha256"]),
        bytes.fromhex(v["envelope_digest"]),
        bytes.fromhex(v["plaintext_commitment"]),
        v["plaintext_size"],
        v["ciphertext_size"],
    )


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_opens_for_both_recipients(v: dict[str, Any]) -> None:
    envelope = bytes.fromhex(v["envelope"])
    header = read_header(io.BytesIO(envelope))
    kinds: tuple[sealing.RecipientKind, ...] = ("tender", "bidder")
    for kind in kinds:
        key = unwrap_key(header, kind, bytes.fromhex(v[f"{kind}_secret"]))
        assert key.hex() == v["content_key"]
        plain, result = open_env(envelope, key)
        assert plain.hex() == v["plaintext"]
        assert result == OpenResult(
            v["plaintext_size"],
            bytes.fromhex(v["plaintext_commitment"]),
            bytes.fromhex(v["ciphertext_sha256"]),
            bytes.fromhex(v["envelope_digest"]),
        )


@pytest.mark.parametrize("v", VECTORS, ids=[v["name"] for v in VECTORS])
def test_vector_follows_the_spec_step_by_step(v: dict[str, Any]) -> None:
    """Rebuild each vector from its inputs with the spec's formulas, not the module."""
    envelope, key = bytes.fromhex(v["envelope"]), bytes.fromhex(v["content_key"])
    plain = bytes.fromhex(v["plaintext"])
    assert v["rng"][0] == v["content_key"]
    assert hk(key, "payload-key").hex() == v["payload_key"]
    assert hk(key, "plaintext-salt").hex() == v["plaintext_salt"]
    assert hk(key, "key-commitment").hex() == v["key_commitment"]
    header_json = v["header_json"].encode()
    head = b"CWSEAL\x01" + len(header_json).to_bytes(4, "big") + header_json
    assert envelope.startswith(head) and len(head) == v["header_size"]
    obj = json.loads(header_json)
    assert canonicalize(obj) == header_json
    assert obj["nonce_prefix"] == v["rng"][1]
    assert (
        canonicalize({k: x for k, x in obj.items() if k != "recipients"}).decode() == v["wrap_aad"]
    )
    for recipient, wrap, secret in zip(
        obj["recipients"], v["wraps"], (v["tender_secret"], v["bidder_secret"]), strict=True
    ):
        blob = bytes.fromhex(recipient["wrapped_key"])
        e, p = bytes.fromhex(wrap["ephemeral_secret"]), bytes.fromhex(recipient["public_key"])
        assert blob[:33] == PublicKey.from_valid_secret(e).format()
        shared = PublicKey(blob[:33]).multiply(bytes.fromhex(secret)).format()
        assert shared.hex() == wrap["shared_point"] == PublicKey(p).multiply(e).format().hex()
        info = f"chainwitness/seal/v1 wrap {wrap['kind']}".encode()
        wrap_key = HKDF(hashes.SHA256(), 32, blob[:33] + p, info).derive(shared)
        assert wrap_key.hex() == wrap["wrap_key"]
        assert AESGCM(wrap_key).decrypt(blob[33:45], blob[45:], v["wrap_aad"].encode()) == key
    assert envelope[len(head) :] == reference_chunks(split(plain, v["chunk_size"]), key, head)
    assert hashlib.sha256(head).hexdigest() == v["envelope_digest"]
    assert hashlib.sha256(envelope).hexdigest() == v["ciphertext_sha256"]
    salt = bytes.fromhex(v["plaintext_salt"])
    assert hashlib.sha256(salt + plain).hexdigest() == v["plaintext_commitment"]


def test_vectors_file_is_what_the_script_writes() -> None:
    spec = importlib.util.spec_from_file_location(
        "gen_sealing_vectors", REPO / "scripts" / "gen_sealing_vectors.py"
    )
    assert spec is not None and spec.loader is not None
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    assert script.build() == (REPO / "tests/vectors/sealing/vectors.json").read_text("utf-8")


def test_spec_worked_example_is_the_one_byte_vector() -> None:
    spec = (REPO / "docs" / "sealed-envelope.md").read_text(encoding="utf-8")
    v = next(v for v in VECTORS if v["name"] == "one-byte")
    flat = re.sub(r"\s+", "", spec)
    envelope = v["envelope"]
    wanted = [
        *v["rng"], v["payload_key"], v["plaintext_salt"], v["key_commitment"],
        v["tender_secret"], v["bidder_secret"], v["tender_public_key"], v["bidder_public_key"],
        v["envelope_digest"], v["ciphertext_sha256"], v["plaintext_commitment"],
        v["wraps"][0]["shared_point"], v["wraps"][0]["wrap_key"],
        envelope[: 2 * 11], envelope[-2 * 17 :], v["header_json"],
    ]  # fmt: skip
    for value in wanted:
        assert re.sub(r"\s+", "", value) in flat, value


# ---------------------------------------------------------------- round trips

SIZES = sorted({max(0, k * C + d) for k in range(4) for d in (-17, -16, -15, -1, 0, 1, 15, 16, 17)})


@settings(max_examples=80, deadline=None)
@given(
    size=st.one_of(st.sampled_from(SIZES), st.integers(0, 4 * C + 40)),
    chunk_size=st.sampled_from([C, C + 1, 5000]),
    seed=st.integers(0, 2**32),
)
def test_round_trip_matches_the_spec(size: int, chunk_size: int, seed: int) -> None:
    data = data_of(size, seed)
    envelope, sealed = seal(data, chunk_size=chunk_size, rng=random.Random(seed).randbytes)
    head = envelope[: header_size(envelope)]
    chunks = max(1, -(-size // chunk_size))
    assert len(envelope) == len(head) + size + 16 * chunks == sealed.ciphertext_size
    assert envelope[len(head) :] == reference_chunks(
        split(data, chunk_size), key_of(envelope), head
    )
    key = key_of(envelope, "tender")
    assert key_of(envelope, "bidder") == key
    salt = hk(key, "plaintext-salt")
    assert sealed == SealResult(
        hashlib.sha256(envelope).digest(),
        hashlib.sha256(head).digest(),
        hashlib.sha256(salt + data).digest(),
        size,
        len(envelope),
    )
    plain, opened = open_env(envelope, key)
    assert plain == data
    assert opened == OpenResult(
        size, sealed.plaintext_commitment, sealed.ciphertext_sha256, sealed.envelope_digest
    )
    assert sealing.plaintext_salt(key) == salt


@pytest.mark.parametrize(
    "size", [0, 1, 256 * 1024 - 1, 256 * 1024, 256 * 1024 + 1, 3 * 256 * 1024 + 5]
)
def test_round_trip_with_the_helper_thread(size: int) -> None:
    """Chunks of 256 KiB and more hash on a helper thread; the bytes must not change."""
    c = 256 * 1024
    data = data_of(size)
    envelope, sealed = seal(data, chunk_size=c)
    head = envelope[: header_size(envelope)]
    assert envelope[len(head) :] == reference_chunks(split(data, c), key_of(envelope), head)
    plain, opened = open_env(envelope)
    assert plain == data and opened.ciphertext_sha256 == sealed.ciphertext_sha256


def test_header_round_trip_and_json() -> None:
    envelope, _ = seal(b"bid")
    header = read_header(io.BytesIO(envelope))
    assert EnvelopeHeader.from_json(header.to_json()) == header
    assert header.to_bytes() == envelope[: header_size(envelope)]
    assert header.digest() == hashlib.sha256(header.to_bytes()).digest()
    assert [r.kind for r in header.recipients] == ["tender", "bidder"]
    assert header.recipient("bidder").public_key == BIDDER_PK
    assert header.to_json()["tender_id"] == "GC-2026-0042" and header.bidder == BIDDER


def test_progress_short_reads_short_writes_and_read_only_sources() -> None:
    data = data_of(3 * C + 5)

    class Trickle(io.RawIOBase):
        def __init__(self, data: bytes) -> None:
            self.src = io.BytesIO(data)

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            return self.src.readinto(memoryview(b)[:100])

    class ReadOnly:
        def __init__(self, data: bytes) -> None:
            self.read = io.BytesIO(data).read

    class Dribble(io.RawIOBase):
        def __init__(self) -> None:
            self.out = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            self.out += bytes(b)[:1000]
            return min(len(b), 1000)

    seen: list[int] = []
    reference, _ = seal(data)
    for src in (Trickle(data), ReadOnly(data)):
        dst = Dribble()
        seal_stream(
            stream(src), stream(dst), tender_id="GC-2026-0042", bidder=BIDDER,
            tender_public_key=TENDER_PK, bidder_public_key=BIDDER_PK, chunk_size=C,
            rng=random.Random(len(data)).randbytes, progress=seen.append,
        )  # fmt: skip
        assert bytes(dst.out) == reference
        assert seen == [C, 2 * C, 3 * C, 3 * C + 5]
        seen.clear()
        out = Dribble()
        open_stream(
            stream(Trickle(reference)), stream(out), key_of(reference), progress=seen.append
        )
        assert bytes(out.out) == data and seen == [C, 2 * C, 3 * C, 3 * C + 5]
        seen.clear()


# ---------------------------------------------------------------- keys


def test_each_recipient_unwraps_only_with_its_own_secret() -> None:
    envelope, _ = seal(b"bid")
    header = read_header(io.BytesIO(envelope))
    assert unwrap_key(header, "tender", TENDER_SK) == unwrap_key(header, "bidder", BIDDER_SK)
    with pytest.raises(
        VerificationFailed, match="secret: expected the key of the tender recipient"
    ):
        unwrap_key(header, "tender", BIDDER_SK)
    with pytest.raises(
        VerificationFailed, match="secret: expected the key of the bidder recipient"
    ):
        unwrap_key(header, "bidder", OTHER_SK)
    with pytest.raises(MalformedInput, match="secret: expected a scalar in 1..order-1"):
        unwrap_key(header, "tender", b"\x00" * 32)
    with pytest.raises(MalformedInput, match="secret: expected 32 bytes"):
        unwrap_key(header, "tender", TENDER_SK[:31])
    with pytest.raises(MalformedInput, match="recipient kind: expected one of"):
        unwrap_key(header, "auditor", TENDER_SK)  # type: ignore[arg-type]


def test_the_wrong_content_key_fails_before_any_chunk() -> None:
    envelope, _ = seal(b"bid")
    with pytest.raises(
        VerificationFailed, match="content key: does not match the header's key_commitment"
    ):
        open_env(envelope, os.urandom(32))
    with pytest.raises(MalformedInput, match="content key: expected 32 bytes, found 31 bytes"):
        open_env(envelope, key_of(envelope)[:31])


def test_swapped_wrapped_keys_fail_authentication() -> None:
    envelope, _ = seal(b"bid")

    def swap(obj: dict[str, Any]) -> None:
        a, b = obj["recipients"]
        a["wrapped_key"], b["wrapped_key"] = b["wrapped_key"], a["wrapped_key"]

    header = read_header(io.BytesIO(rebuild(envelope, swap)))
    with pytest.raises(VerificationFailed, match="the tender's wrapped key failed authentication"):
        unwrap_key(header, "tender", TENDER_SK)


def test_a_bidder_cannot_wrap_different_keys_to_the_two_recipients() -> None:
    """The key commitment makes the bidder's fallback open the same bid as the tender."""
    envelope, _ = seal(b"bid")
    header = read_header(io.BytesIO(envelope))
    aad = canonicalize(header.context())
    forged = ecies.encrypt(BIDDER_PK, os.urandom(32), aad, b"chainwitness/seal/v1 wrap bidder")

    def replace(obj: dict[str, Any]) -> None:
        obj["recipients"][1]["wrapped_key"] = forged.hex()

    header = read_header(io.BytesIO(rebuild(envelope, replace)))
    unwrap_key(header, "tender", TENDER_SK)
    with pytest.raises(
        VerificationFailed, match="bidder's wrapped key does not match the header's key_commitment"
    ):
        unwrap_key(header, "bidder", BIDDER_SK)


# ---------------------------------------------------------------- broken envelopes

THREE = data_of(2 * C + 100)  # two full chunks and a final chunk of 100 bytes


@pytest.fixture(scope="module")
def three() -> tuple[bytes, bytes]:
    envelope, _ = seal(THREE)
    return envelope, key_of(envelope)


def expected_truncation(cut: int, head: int) -> tuple[type[EvidenceError], str]:
    if cut < 11:
        return MalformedInput, "envelope: expected the magic"
    if cut < head:
        return (
            MalformedInput,
            rf"header: expected {head - 11} bytes, found {cut - 11} \(envelope truncated\)",
        )
    if cut == head:
        return (
            VerificationFailed,
            "envelope ends without a final chunk: no chunk follows the header",
        )
    k, r = divmod(cut - head, FULL)
    if r == 0:
        return (
            VerificationFailed,
            f"envelope ends without a final chunk: chunk {k - 1} is not final",
        )
    if r < 16:
        return VerificationFailed, f"envelope ends inside chunk {k}: found {r} bytes"
    return VerificationFailed, f"chunk {k} failed authentication"


def test_truncation_at_every_length_fails_precisely(three: tuple[bytes, bytes]) -> None:
    envelope, key = three
    head = header_size(envelope)
    for cut in range(len(envelope)):
        error, message = expected_truncation(cut, head)
        with pytest.raises(error, match=message):
            open_stream(io.BytesIO(envelope[:cut]), io.BytesIO(), key)
    assert open_env(envelope, key)[0] == THREE


def test_reordered_duplicated_and_dropped_chunks_fail(three: tuple[bytes, bytes]) -> None:
    envelope, key = three
    head = header_size(envelope)
    c0, c1, c2 = (
        envelope[head : head + FULL],
        envelope[head + FULL : head + 2 * FULL],
        envelope[head + 2 * FULL :],
    )
    for body, message in [
        (c1 + c0 + c2, "chunk 0 failed authentication"),
        (c0 + c0 + c2, "chunk 1 failed authentication"),
        (c0 + c2, "chunk 1 failed authentication"),  # a middle chunk dropped
        (c0 + c1 + c1 + c2, "chunk 2 failed authentication"),
        (c2, "chunk 0 failed authentication"),
    ]:
        with pytest.raises(VerificationFailed, match=message):
            open_env(envelope[:head] + body, key)


def test_a_chunk_spliced_from_another_envelope_with_the_same_key_fails() -> None:
    """Same content key and nonce prefix, other wraps: the header hash (AAD) differs."""
    draws = [os.urandom(32), os.urandom(7)]

    def rng_for(tag: int) -> Callable[[int], bytes]:
        queue, rest = list(draws), random.Random(tag).randbytes
        return lambda n: queue.pop(0) if queue else rest(n)

    a, _ = seal(THREE, rng=rng_for(1))
    b, _ = seal(THREE, rng=rng_for(2))
    ha = header_size(a)
    assert key_of(a) == key_of(b) and a[ha:] != b[ha:] and ha == header_size(b)
    spliced = a[: ha + FULL] + b[ha + FULL : ha + 2 * FULL] + a[ha + 2 * FULL :]
    with pytest.raises(VerificationFailed, match="chunk 1 failed authentication"):
        open_env(spliced)
    with pytest.raises(VerificationFailed, match="chunk 0 failed authentication"):
        open_env(a[:ha] + b[ha:])  # all chunks moved under another header


def test_final_flag_dropped_added_or_misplaced(three: tuple[bytes, bytes]) -> None:
    envelope, _ = three
    x, y, z = THREE[:C], THREE[C : 2 * C], THREE[2 * C :]
    assert craft(envelope, [(0, False, x), (1, False, y), (2, True, z)]) == envelope
    cases = [
        ([(0, False, x), (1, False, y), (2, False, z)], "chunk 2 failed authentication"),
        (
            [(0, False, x), (1, False, y)],
            "envelope ends without a final chunk: chunk 1 is not final",
        ),
        (
            [(0, False, x), (1, True, y), (2, True, z)],
            "data after the final chunk: chunk 1 is final",
        ),
        (
            [(0, True, x), (1, False, y), (2, True, z)],
            "data after the final chunk: chunk 0 is final",
        ),
        (
            [(0, False, x), (1, False, y), (2, True, b"")],
            "chunk 2: expected a non-empty final chunk",
        ),
        ([(0, False, x), (2, True, z)], "chunk 1 failed authentication"),  # counter skips
        ([(1, False, x), (2, True, z)], "chunk 0 failed authentication"),
    ]
    for pieces, message in cases:
        with pytest.raises(VerificationFailed, match=message):
            open_env(craft(envelope, pieces))


def test_trailing_data_fails(three: tuple[bytes, bytes]) -> None:
    envelope, key = three
    exact, _ = seal(data_of(2 * C))  # final chunk full
    empty, _ = seal(b"")
    for extra in (b"\x00", b"x" * 16, b"y" * 17, os.urandom(FULL), os.urandom(3 * FULL + 1)):
        with pytest.raises(
            VerificationFailed,
            match="data after the final chunk: chunk 1 is final, yet more bytes follow",
        ):
            open_env(exact + extra)
    # After a short final chunk the extra bytes are read as part of it (spec 7.3).
    for extra in (b"\x00", os.urandom(FULL - 116), os.urandom(FULL)):
        with pytest.raises(VerificationFailed, match="chunk 2 failed authentication"):
            open_env(envelope + extra, key)
    with pytest.raises(VerificationFailed, match="chunk 0 failed authentication"):
        open_env(empty + b"\x00")


def test_a_bit_flip_anywhere_fails() -> None:
    """Every bit position class of a one-chunk envelope, and every 7th byte of a long one."""
    envelope, _ = seal(b"x" * 100)
    head = header_size(envelope)

    def opens(env: bytes) -> None:
        header = read_header(io.BytesIO(env))
        open_stream(io.BytesIO(env), io.BytesIO(), unwrap_key(header, "tender", TENDER_SK))

    for pos in range(len(envelope)):
        flipped = bytearray(envelope)
        flipped[pos] ^= 1 << (pos % 8)
        if pos < 11:
            with pytest.raises(MalformedInput):
                opens(bytes(flipped))
        elif pos < head:
            with pytest.raises((MalformedInput, VerificationFailed)):
                opens(bytes(flipped))
        else:
            with pytest.raises(VerificationFailed, match="chunk 0 failed authentication"):
                opens(bytes(flipped))

    long, key = seal(THREE)[0], key_of(seal(THREE)[0])
    head = header_size(long)
    for pos in [*range(head, len(long), 7), *range(len(long) - 16, len(long))]:
        flipped = bytearray(long)
        flipped[pos] ^= 0x80
        with pytest.raises(
            VerificationFailed, match=f"chunk {(pos - head) // FULL} failed authentication"
        ):
            open_env(bytes(flipped), key)


def test_a_changed_wrapped_key_fails_where_it_is_used() -> None:
    envelope, _ = seal(b"bid")

    def bump(index: int) -> Callable[[dict[str, Any]], None]:
        def edit(obj: dict[str, Any]) -> None:
            w = obj["recipients"][index]["wrapped_key"]
            obj["recipients"][index]["wrapped_key"] = (
                w[:100] + ("0" if w[100] != "0" else "1") + w[101:]
            )

        return edit

    tender_changed = read_header(io.BytesIO(rebuild(envelope, bump(0))))
    with pytest.raises(VerificationFailed, match="the tender's wrapped key failed authentication"):
        unwrap_key(tender_changed, "tender", TENDER_SK)
    bidder_changed = rebuild(envelope, bump(1))
    with pytest.raises(VerificationFailed, match="the bidder's wrapped key failed authentication"):
        key_of(bidder_changed, "bidder")
    with pytest.raises(VerificationFailed, match="chunk 0 failed authentication"):
        open_env(bidder_changed, key_of(bidder_changed, "tender"))  # the header is the AAD


# ---------------------------------------------------------------- the header


def test_header_size_limit_is_exact() -> None:
    def parse(size: int, body: bytes) -> EnvelopeHeader:
        return read_header(io.BytesIO(b"CWSEAL\x01" + size.to_bytes(4, "big") + body))

    with pytest.raises(
        LimitExceeded,
        match=f"header: expected at most {MAX_HEADER_SIZE} bytes, found {MAX_HEADER_SIZE + 1}",
    ):
        parse(MAX_HEADER_SIZE + 1, b"{}" + b" " * MAX_HEADER_SIZE)
    with pytest.raises(LimitExceeded, match="found 4294967295"):
        parse(2**32 - 1, b"")
    padded = b'{"pad":"' + b"x" * (MAX_HEADER_SIZE - 10) + b'"}'
    assert len(padded) == MAX_HEADER_SIZE
    with pytest.raises(MalformedInput, match="header: expected exactly the fields"):
        parse(MAX_HEADER_SIZE, padded)  # read and parsed: the limit allows it


def test_header_trailing_garbage_and_non_canonical_forms_fail() -> None:
    envelope, _ = seal(b"bid")
    size = header_size(envelope)
    text = envelope[11:size]

    def with_text(t: bytes) -> bytes:
        return b"CWSEAL\x01" + len(t).to_bytes(4, "big") + t + envelope[size:]

    for t, message in [
        (text + b" ", "header: expected canonical JSON"),
        (text + b"x", "expected a single JSON value"),
        (text + b"{}", "expected a single JSON value"),
        (json.dumps(json.loads(text)).encode(), "header: expected canonical JSON"),
        (
            json.dumps(json.loads(text), sort_keys=True, separators=(",", ":"))
            .encode()
            .replace(b'"alg"', b'"alg" '),
            "header: expected canonical JSON",
        ),
        (text[:-1], "expected a single JSON value"),
    ]:
        with pytest.raises(MalformedInput, match=message):
            read_header(io.BytesIO(with_text(t)))
    for preamble, message in [
        (b"CWSEAM\x01", "envelope: expected the magic"),
        (b"CWSEAL\x02", "envelope version: expected 1, found 2"),
        (b"CWSEAL\x00", "envelope version: expected 1, found 0"),
    ]:
        with pytest.raises(MalformedInput, match=message):
            read_header(io.BytesIO(preamble + envelope[7:]))
    with pytest.raises(MalformedInput, match="envelope: expected the magic"):
        read_header(io.BytesIO(b""))


def header_json() -> dict[str, Any]:
    return read_header(io.BytesIO(seal(b"bid")[0])).to_json()


def edited(path: Sequence[Any], value: Any) -> dict[str, Any]:
    obj = header_json()
    target = obj
    for p in path[:-1]:
        target = target[p]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return obj


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (["format"], "chainwitness/envelope", "format: expected 'chainwitness/sealed-envelope'"),
        (["version"], 2, "version: expected 1, found 2"),
        (["version"], True, "version: expected 1, found True"),
        (["alg"], "aes-128-gcm", "alg: expected 'aes-256-gcm-stream"),
        (
            ["chunk_size"],
            MIN_CHUNK_SIZE - 1,
            f"chunk_size: expected {MIN_CHUNK_SIZE} <= chunk_size <= {MAX_CHUNK_SIZE}, found 4095",
        ),
        (["chunk_size"], MAX_CHUNK_SIZE + 1, "chunk_size: expected .* found 16777217"),
        (["chunk_size"], "4096", "chunk_size: expected an integer, found str"),
        (["nonce_prefix"], "A5C496A29227D5", "nonce_prefix: expected 14 lowercase hex digits"),
        (["nonce_prefix"], "a5c496a29227", "nonce_prefix: expected 14 lowercase hex digits"),
        (["key_commitment"], "00", "key_commitment: expected 64 lowercase hex digits"),
        (["tender_id"], "", "tender_id: expected 1..256 characters"),
        (["tender_id"], "x" * 257, "tender_id: expected 1..256 characters"),
        (["tender_id"], "GC\n42", "tender_id: expected printable text"),
        (["tender_id"], 42, "tender_id: expected 1..256 characters, found 42"),
        (["bidder"], BIDDER.lower(), "bidder: expected the EIP-55 checksummed"),
        (["bidder"], BIDDER[:-1], "bidder: expected 0x and 40 hex digits"),
        (["recipients"], [], "recipients: expected an array of 2"),
        (
            ["recipients", 0, "kind"],
            "bidder",
            r"recipients: expected the kinds \['tender', 'bidder'\] in that order",
        ),
        (["recipients", 0, "kind"], "auditor", "kind: expected one of"),
        (
            ["recipients", 0, "public_key"],
            "04" + "00" * 32,
            "tender public_key: expected a compressed secp256k1 public key",
        ),
        (
            ["recipients", 0, "public_key"],
            "02" + "00" * 32,
            "tender public_key: expected a compressed secp256k1 public key",
        ),
        (
            ["recipients", 1, "wrapped_key"],
            "00" * 92,
            "bidder wrapped_key: expected 186 lowercase hex digits",
        ),
        (["recipients", 1, "extra"], 1, "recipient: expected an object with fields"),
        (
            ["created_at"],
            "2026-11-30T00:00:00Z",
            r"header: expected exactly the fields .* unknown \['created_at'\]",
        ),
        (["bidder"], KeyError, r"missing \['bidder'\]"),
    ],
)
def test_header_fields_are_validated(path: list[Any], value: Any, message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        EnvelopeHeader.from_json(edited(path, value))


def test_header_exact_limits_accept() -> None:
    for tender_id in ("x", "投" * 256):
        header = EnvelopeHeader.from_json(edited(["tender_id"], tender_id))
        assert EnvelopeHeader.from_json(json.loads(header.to_bytes()[11:])) == header
    for size in (MIN_CHUNK_SIZE, MAX_CHUNK_SIZE):
        assert EnvelopeHeader.from_json(edited(["chunk_size"], size)).chunk_size == size
    with pytest.raises(MalformedInput, match="recipients: expected a tuple of Recipient"):
        EnvelopeHeader(C, b"\x00" * 7, b"\x00" * 32, "t", BIDDER, [])  # type: ignore[arg-type]
    with pytest.raises(MalformedInput, match="kind: expected one of"):
        Recipient("auditor", TENDER_PK, b"\x00" * 93)  # type: ignore[arg-type]


# ---------------------------------------------------------------- sealing arguments


@pytest.mark.parametrize(
    ("kw", "error", "message"),
    [
        (
            {"chunk_size": MIN_CHUNK_SIZE - 1},
            MalformedInput,
            "chunk_size: expected 4096 <= chunk_size",
        ),
        (
            {"chunk_size": MAX_CHUNK_SIZE + 1},
            MalformedInput,
            "chunk_size: expected .* found 16777217",
        ),
        (
            {"tender_public_key": PublicKey(TENDER_PK).format(compressed=False)},
            MalformedInput,
            "tender public_key: expected 33 bytes, found 65 bytes",
        ),
        (
            {"bidder_public_key": b"\x02" + b"\xff" * 32},
            MalformedInput,
            "bidder public_key: expected a compressed secp256k1 public key",
        ),
        ({"tender_id": ""}, MalformedInput, "tender_id: expected 1..256 characters"),
        (
            {"bidder": BIDDER.upper().replace("0X", "0x")},
            MalformedInput,
            "bidder: expected the EIP-55 checksummed",
        ),
        (
            {"rng": lambda n: b"\x00" * (n - 1)},
            MalformedInput,
            "rng output: expected 32 bytes, found 31 bytes",
        ),
    ],
)
def test_seal_arguments_are_checked(
    kw: dict[str, Any], error: type[Exception], message: str
) -> None:
    dst = io.BytesIO()
    with pytest.raises(error, match=message):
        seal_stream(
            io.BytesIO(b"bid"), dst,
            **{"tender_id": "GC-2026-0042", "bidder": BIDDER, "tender_public_key": TENDER_PK,
               "bidder_public_key": BIDDER_PK, "chunk_size": C, **kw},
        )  # fmt: skip
    assert dst.getvalue() == b""  # nothing written before the arguments are good


def test_chunk_count_limit_is_exact() -> None:
    three_chunks, _ = seal(data_of(2 * C + 1))
    key = key_of(three_chunks)
    seal(data_of(2 * C), max_chunks=2)
    with pytest.raises(LimitExceeded, match="document: expected at most 2 chunks of 4096 bytes"):
        seal(data_of(2 * C + 1), max_chunks=2)
    with pytest.raises(VerificationFailed, match="envelope: expected at most 2 chunks, found more"):
        open_stream(io.BytesIO(three_chunks), io.BytesIO(), key, max_chunks=2)


# ---------------------------------------------------------------- files, errors, memory


class Generated(io.RawIOBase):
    """``size`` pseudo-random bytes made on the fly, hashed as they are handed out."""

    def __init__(self, size: int) -> None:
        self.left, self.hash = size, hashlib.sha256()
        self.block = memoryview(random.Random(7).randbytes(1 << 16))
        self.turn = 0

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        view = memoryview(b).cast("B")
        n = min(len(view), self.left)
        done = 0
        while done < n:  # rotate the block so chunks differ
            start = (self.turn * 4099) % len(self.block)
            part = min(n - done, len(self.block) - start)
            view[done : done + part] = self.block[start : start + part]
            done += part
            self.turn += 1
        self.hash.update(view[:n])
        self.left -= n
        return n


class HashSink(io.RawIOBase):
    def __init__(self) -> None:
        self.hash, self.size = hashlib.sha256(), 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        self.hash.update(b)
        self.size += len(b)
        return len(b)


def test_memory_stays_flat_for_256_mib(tmp_path: Path) -> None:
    size, chunk = 256 << 20, sealing.DEFAULT_CHUNK_SIZE
    path = tmp_path / "big.cwseal"
    source = Generated(size)
    tracemalloc.start()
    try:
        with path.open("wb") as f:
            sealed = seal_stream(
                stream(source), f, tender_id="GC-2026-0042", bidder=BIDDER,
                tender_public_key=TENDER_PK, bidder_public_key=BIDDER_PK,
            )  # fmt: skip
        seal_peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.reset_peak()
        with path.open("rb") as f:
            header = read_header(f)
            head = f.tell()
        key = unwrap_key(header, "tender", TENDER_SK)
        sink = HashSink()
        with path.open("rb") as f:
            opened = open_stream(f, stream(sink), key)
        open_peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert 2 * chunk < seal_peak < 3 * chunk, seal_peak  # the two buffers, and little else
    assert 2 * chunk < open_peak < 3 * chunk, open_peak
    assert sealed.plaintext_size == opened.plaintext_size == sink.size == size
    assert sink.hash.digest() == source.hash.digest()
    assert opened.plaintext_commitment == sealed.plaintext_commitment
    assert opened.ciphertext_sha256 == sealed.ciphertext_sha256
    assert sealed.ciphertext_size == path.stat().st_size == head + size + 256 * 16
