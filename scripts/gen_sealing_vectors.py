#!/usr/bin/env python3
"""Generate the known-answer vectors of the sealed bid envelope (docs/sealed-envelope.md).

Usage:
    scripts/gen_sealing_vectors.py            # rewrite tests/vectors/sealing/vectors.json
    scripts/gen_sealing_vectors.py --check    # exit 1 if the committed file differs

Every random value comes from a seeded DRBG, ``SHA-256(seed || uint64_be(block))``
blocks concatenated, with the seed ``chainwitness/seal/v1 vectors/<name>``; the
values drawn are recorded in each vector (``rng``, in the order the sealer draws
them) so another implementation can replay them without this DRBG. The recipients'
secret keys are ``SHA-256("chainwitness/seal/v1 vectors/<kind> key")``, the bidder
address is the Ethereum address of the bidder's key, the plaintext byte ``i`` is
``i mod 251``, the chunk size is 4096 (``MIN_CHUNK_SIZE``).
"""

from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from coincurve import PublicKey  # noqa: E402
from cryptography.hazmat.primitives import hashes  # noqa: E402
from cryptography.hazmat.primitives.kdf.hkdf import HKDF  # noqa: E402
from eth_hash.auto import keccak  # noqa: E402
from eth_utils.address import to_checksum_address  # noqa: E402

from ledger_service.core import ecies, sealing  # noqa: E402
from ledger_service.core.canonical import canonicalize  # noqa: E402

OUT = REPO / "tests" / "vectors" / "sealing" / "vectors.json"
CHUNK_SIZE = sealing.MIN_CHUNK_SIZE
TENDER_ID = "GC-2026-0042"
#: name, plaintext size, what the vector pins
CASES: tuple[tuple[str, int, str], ...] = (
    ("empty", 0, "an empty document: one empty final chunk (tag only)"),
    ("one-byte", 1, "one byte: one final chunk of 1 byte (the worked example of the spec)"),
    ("one-chunk", CHUNK_SIZE, "exactly one full chunk, which is the final chunk"),
    ("chunk-plus-one", CHUNK_SIZE + 1, "a full non-final chunk, then a final chunk of 1 byte"),
)


class Drbg:
    """``rng(n)``: the next ``n`` bytes of SHA-256(seed || uint64_be(0)) || SHA-256(seed || ...)."""

    def __init__(self, seed: bytes) -> None:
        self.seed, self.block, self.pool = seed, 0, b""

    def __call__(self, n: int) -> bytes:
        while len(self.pool) < n:
            self.pool += hashlib.sha256(self.seed + self.block.to_bytes(8, "big")).digest()
            self.block += 1
        out, self.pool = self.pool[:n], self.pool[n:]
        return out


def secret(kind: str) -> bytes:
    return hashlib.sha256(f"chainwitness/seal/v1 vectors/{kind} key".encode()).digest()


def address(public_key: bytes) -> str:
    uncompressed = PublicKey(public_key).format(compressed=False)
    return to_checksum_address(keccak(uncompressed[1:])[-20:])


def plaintext(size: int) -> bytes:
    return bytes(i % 251 for i in range(size))


def hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), 32, None, info).derive(key)


def wrap_details(kind: str, recipient: bytes, ephemeral_secret: bytes) -> dict[str, str]:
    """The ECIES intermediates of one wrap (docs/sealed-envelope.md, section 5)."""
    ephemeral = PublicKey.from_valid_secret(ephemeral_secret).format()
    shared = PublicKey(recipient).multiply(ephemeral_secret).format()
    info = f"chainwitness/seal/v1 wrap {kind}".encode()
    wrap_key = HKDF(hashes.SHA256(), 32, ephemeral + recipient, info).derive(shared)
    return {
        "kind": kind,
        "ephemeral_secret": ephemeral_secret.hex(),
        "ephemeral_public_key": ephemeral.hex(),
        "shared_point": shared.hex(),
        "wrap_key": wrap_key.hex(),
    }


def build_vector(name: str, size: int, description: str) -> dict[str, Any]:
    tender_secret, bidder_secret = secret("tender"), secret("bidder")
    tender_pub, bidder_pub = ecies.public_key(tender_secret), ecies.public_key(bidder_secret)
    draws: list[bytes] = []
    base = Drbg(f"chainwitness/seal/v1 vectors/{name}".encode())

    def rng(n: int) -> bytes:
        draws.append(base(n))
        return draws[-1]

    data = plaintext(size)
    out = io.BytesIO()
    result = sealing.seal_stream(
        io.BytesIO(data),
        out,
        tender_id=TENDER_ID,
        bidder=address(bidder_pub),
        tender_public_key=tender_pub,
        bidder_public_key=bidder_pub,
        chunk_size=CHUNK_SIZE,
        rng=rng,
    )
    envelope = out.getvalue()
    header = sealing.read_header(io.BytesIO(envelope))
    header_bytes = header.to_bytes()
    content_key = draws[0]
    return {
        "name": name,
        "description": description,
        "chunk_size": CHUNK_SIZE,
        "tender_id": TENDER_ID,
        "bidder": header.bidder,
        "tender_secret": tender_secret.hex(),
        "tender_public_key": tender_pub.hex(),
        "bidder_secret": bidder_secret.hex(),
        "bidder_public_key": bidder_pub.hex(),
        "plaintext": data.hex(),
        "rng": [d.hex() for d in draws],
        "content_key": content_key.hex(),
        "payload_key": hkdf(content_key, b"chainwitness/seal/v1 payload-key").hex(),
        "plaintext_salt": hkdf(content_key, b"chainwitness/seal/v1 plaintext-salt").hex(),
        "key_commitment": hkdf(content_key, b"chainwitness/seal/v1 key-commitment").hex(),
        "wrap_aad": canonicalize(header.context()).decode("utf-8"),
        "wraps": [
            wrap_details(kind, pub, draws[2 + 2 * i])
            for i, (kind, pub) in enumerate((("tender", tender_pub), ("bidder", bidder_pub)))
        ],
        "header_json": header_bytes[11:].decode("utf-8"),
        "header_size": len(header_bytes),
        "envelope": envelope.hex(),
        "ciphertext_sha256": result.ciphertext_sha256.hex(),
        "envelope_digest": result.envelope_digest.hex(),
        "plaintext_commitment": result.plaintext_commitment.hex(),
        "plaintext_size": result.plaintext_size,
        "ciphertext_size": result.ciphertext_size,
    }


def build() -> str:
    """Return the vectors file's text."""
    doc = {
        "format": "chainwitness/sealed-envelope test vectors",
        "version": 1,
        "generator": "scripts/gen_sealing_vectors.py",
        "vectors": [build_vector(*case) for case in CASES],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, do not write")
    args = parser.parse_args(argv)
    text = build()
    if args.check:
        if not OUT.exists() or OUT.read_text(encoding="utf-8") != text:
            print(f"{OUT.relative_to(REPO)} is out of date; run {Path(__file__).name}")
            return 1
        print(f"{OUT.relative_to(REPO)} is up to date")
        return 0
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
