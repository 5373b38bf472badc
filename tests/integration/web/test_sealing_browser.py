"""Sealed envelopes both ways between the browser and ``ledger_service.core.sealing``.

* the browser replays each known-answer vector's random draws and writes the
  vector's envelope byte for byte, with the same three digests;
* the browser opens each vector envelope (Python-sealed) with either secret;
* an envelope sealed in the browser with its own CSPRNG opens in Python
  (``open_stream``), and one sealed in Python with ``os.urandom`` opens in the browser;
* named mutations of an envelope fail in the browser with the same error class and
  message as in Python (docs/sealed-envelope.md, section 7.2).
"""

from __future__ import annotations

import base64
import io
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from ledger_service.core import sealing
from ledger_service.core.errors import EvidenceError
from tests.integration.web.harness import call

pytestmark = [pytest.mark.integration, pytest.mark.node]

VECTORS = json.loads(
    (Path(__file__).resolve().parents[2] / "vectors" / "sealing" / "vectors.json").read_text()
)["vectors"]
KEYS = VECTORS[0]  # every vector uses the same two recipients
INPUTS = ("tender_id", "bidder", "tender_public_key", "bidder_public_key", "chunk_size")


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def test_all_four_vectors_are_loaded() -> None:
    assert [v["name"] for v in VECTORS] == ["empty", "one-byte", "one-chunk", "chunk-plus-one"]


@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_browser_replays_the_vector_byte_for_byte(page: Page, vector: dict[str, Any]) -> None:
    arg = {k: vector[k] for k in (*INPUTS, "plaintext", "rng")}
    got = call(page, "seal", arg)
    assert got["envelope"] == vector["envelope"]
    for name in ("ciphertext_sha256", "envelope_digest", "plaintext_commitment",
                 "plaintext_size", "ciphertext_size"):  # fmt: skip
        assert got[name] == vector[name], name


@pytest.mark.parametrize("kind", ["tender", "bidder"])
@pytest.mark.parametrize("vector", VECTORS, ids=[v["name"] for v in VECTORS])
def test_python_sealed_vector_opens_in_the_browser(
    page: Page, vector: dict[str, Any], kind: str
) -> None:
    envelope = bytes.fromhex(vector["envelope"])
    got = call(
        page, "open", {"envelope": _b64(envelope), "kind": kind, "secret": vector[f"{kind}_secret"]}
    )
    assert got["ok"], got
    value = got["value"]
    assert base64.b64decode(value["plaintext"]).hex() == vector["plaintext"]
    assert value["content_key"] == vector["content_key"]
    for name in ("plaintext_commitment", "ciphertext_sha256", "envelope_digest", "plaintext_size"):
        assert value[name] == vector[name], name


def _python_open(
    envelope: bytes, kind: sealing.RecipientKind, secret: bytes
) -> tuple[bytes, sealing.OpenResult]:
    header = sealing.read_header(io.BytesIO(envelope))
    key = sealing.unwrap_key(header, kind, secret)
    out = io.BytesIO()
    result = sealing.open_stream(io.BytesIO(envelope), out, key)
    return out.getvalue(), result


@pytest.mark.parametrize(
    ("size", "chunk_size"),
    [
        (0, 4096),
        (3 * 4096, 4096),
        (3 * 4096 + 123, 4096),
        (5 * 1024 * 1024 + 7, sealing.DEFAULT_CHUNK_SIZE),
    ],
)
def test_browser_sealed_envelope_opens_in_python(page: Page, size: int, chunk_size: int) -> None:
    arg = {**{k: KEYS[k] for k in INPUTS}, "size": size, "chunk_size": chunk_size}
    sealed = call(page, "sealRandom", arg)
    envelope, plaintext = (
        base64.b64decode(sealed["envelope"]),
        base64.b64decode(sealed["plaintext"]),
    )
    assert len(envelope) == sealed["ciphertext_size"]
    for kind in ("tender", "bidder"):
        got, result = _python_open(envelope, kind, bytes.fromhex(KEYS[f"{kind}_secret"]))
        assert got == plaintext
        assert result.ciphertext_sha256.hex() == sealed["ciphertext_sha256"]
        assert result.envelope_digest.hex() == sealed["envelope_digest"]
        assert result.plaintext_commitment.hex() == sealed["plaintext_commitment"]
        assert result.plaintext_size == size


def _python_seal(plaintext: bytes, chunk_size: int) -> tuple[bytes, sealing.SealResult]:
    out = io.BytesIO()
    result = sealing.seal_stream(
        io.BytesIO(plaintext), out, tender_id="招标 GC-2026-0042", bidder=KEYS["bidder"],
        tender_public_key=bytes.fromhex(KEYS["tender_public_key"]),
        bidder_public_key=bytes.fromhex(KEYS["bidder_public_key"]), chunk_size=chunk_size,
    )  # fmt: skip
    return out.getvalue(), result


def test_python_sealed_random_envelope_opens_in_the_browser(page: Page) -> None:
    plaintext = os.urandom(2 * 8192 + 5)
    envelope, result = _python_seal(plaintext, 8192)
    for kind in ("tender", "bidder"):
        got = call(
            page,
            "open",
            {"envelope": _b64(envelope), "kind": kind, "secret": KEYS[f"{kind}_secret"]},
        )
        assert got["ok"], got
        assert base64.b64decode(got["value"]["plaintext"]) == plaintext
        assert got["value"]["ciphertext_sha256"] == result.ciphertext_sha256.hex()
        assert got["value"]["plaintext_commitment"] == result.plaintext_commitment.hex()


# ---------------------------------------------------------------- named mutations

CHUNK = 4096
FULL = CHUNK + 16


def _mutations(head: int) -> dict[str, Callable[[bytes], bytes]]:
    """Named mutations of a three-chunk envelope (two full chunks and a final one)."""

    def flip(at: int) -> Callable[[bytes], bytes]:
        return lambda e: e[:at] + bytes([e[at] ^ 0x40]) + e[at + 1 :]

    return {
        "bit flip in chunk 0": flip(head + 5),
        "bit flip in the final tag": flip(-1),
        "bit flip in the header": flip(40),
        "cut at a chunk boundary": lambda e: e[: head + FULL],
        "cut inside a tag": lambda e: e[: head + 2 * FULL + 7],
        "nothing after the header": lambda e: e[:head],
        "chunks 0 and 1 swapped": lambda e: e[:head] + e[head + FULL : head + 2 * FULL] + e[head : head + FULL] + e[head + 2 * FULL :],
        "chunk 1 dropped": lambda e: e[: head + FULL] + e[head + 2 * FULL :],
        "bytes appended": lambda e: e + b"\x00",
        "another magic": lambda e: b"XWSEAL" + e[6:],
        "another version": lambda e: e[:6] + b"\x02" + e[7:],
        "header over the limit": lambda e: e[:7] + (sealing.MAX_HEADER_SIZE + 1).to_bytes(4, "big") + e[11:],
        "header truncated": lambda e: e[:100],
        "header not canonical": lambda e: e[:7] + (int.from_bytes(e[7:11], "big") + 1).to_bytes(4, "big") + e[11:head] + b" " + e[head:],
    }  # fmt: skip


HEADER_MUTATIONS = {"bit flip in the header", "another magic", "another version"}


def _python_error(envelope: bytes, key: bytes) -> tuple[str, str]:
    try:
        sealing.open_stream(io.BytesIO(envelope), io.BytesIO(), key)
    except EvidenceError as e:
        return type(e).__name__, str(e)
    raise AssertionError("expected the mutation to fail in Python, found it opened")


def test_mutations_fail_in_the_browser_as_in_python(page: Page) -> None:
    rng_draws = iter([bytes([i + 1]) * n for i, n in enumerate([32, 7, 32, 12, 32, 12])])
    out = io.BytesIO()
    sealing.seal_stream(
        io.BytesIO(bytes(range(256)) * 40), out, tender_id=KEYS["tender_id"], bidder=KEYS["bidder"],
        tender_public_key=bytes.fromhex(KEYS["tender_public_key"]),
        bidder_public_key=bytes.fromhex(KEYS["bidder_public_key"]), chunk_size=CHUNK,
        rng=lambda n: next(rng_draws),
    )  # fmt: skip
    envelope = out.getvalue()
    key = bytes([1]) * 32
    head = sealing.read_header(io.BytesIO(envelope)).to_bytes().__len__()
    assert len(envelope) == head + 2 * FULL + (256 * 40 - 2 * CHUNK) + 16
    for name, mutate in _mutations(head).items():
        mutated = mutate(envelope)
        want = _python_error(mutated, key)
        got = call(page, "openWithKey", {"envelope": _b64(mutated), "content_key": key.hex()})
        assert not got["ok"], f"{name}: expected a failure in the browser, found it opened"
        if name in HEADER_MUTATIONS:
            # header field messages quote values in each language's own way (repr, JSON):
            # the class and the field named before the colon must agree
            assert (got["name"], got["message"].split(":")[0]) == (
                want[0],
                want[1].split(":")[0],
            ), name
        else:
            assert (got["name"], got["message"]) == want, name
    wrong = call(page, "openWithKey", {"envelope": _b64(envelope), "content_key": "02" * 32})
    assert (wrong["name"], wrong["message"]) == _python_error(envelope, bytes([2]) * 32)


def test_unwrapping_with_the_other_recipients_secret_fails(page: Page) -> None:
    envelope = bytes.fromhex(VECTORS[1]["envelope"])
    got = call(
        page,
        "open",
        {"envelope": _b64(envelope), "kind": "tender", "secret": KEYS["bidder_secret"]},
    )
    assert not got["ok"]
    assert got["name"] == "VerificationFailed"
    assert got["message"].startswith("secret: expected the key of the tender recipient")
