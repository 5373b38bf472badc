"""Opening bids (开标): rebuild the tender key from released shares, decrypt, check.

Pure apart from the files it is handed: the same code runs in the service at
opening time and in ``chainwitness tender verify-opening`` from chain data alone.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ledger_service.core import sealing, threshold
from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import EvidenceError, VerificationFailed
from ledger_service.tenders import envelope_files

OPENED = "opened"
CIPHERTEXT_MISMATCH = "ciphertext-mismatch"
UNREADABLE = "unreadable"
COMMITMENT_MISMATCH = "commitment-mismatch"
MISSING = "missing"


@dataclass(frozen=True)
class CommittedBid:
    """A bid as committed on chain (the truth the ciphertext is checked against)."""

    bidder: str
    nonce: int
    ciphertext_sha256: str
    plaintext_commitment: str
    envelope_digest: str


@dataclass(frozen=True)
class BidOutcome:
    bidder: str
    nonce: int
    ciphertext_sha256: str
    result: str
    detail: str
    plaintext_size: int | None

    def to_json(self) -> dict[str, Any]:
        return {
            "bidder": self.bidder,
            "nonce": self.nonce,
            "ciphertext_sha256": self.ciphertext_sha256,
            "result": self.result,
            "detail": self.detail,
            "plaintext_size": self.plaintext_size,
        }


def rebuild_key(group: threshold.GroupKey, released: Mapping[int, int]) -> tuple[int, list[int]]:
    """The tender secret from released shares, and the indices of invalid shares.

    Each share is checked against the group's commitments first; invalid ones are
    named and left out. Raises VerificationFailed when fewer than t valid remain.
    """
    bad = []
    good: dict[int, int] = {}
    for index, share in sorted(released.items()):
        try:
            threshold.verify_released_share(group, index, share)
        except EvidenceError:
            bad.append(index)
            continue
        good[index] = share
    if len(good) < group.t:
        raise VerificationFailed(
            f"expected at least {group.t} valid shares to open, found {len(good)}"
            + (f" (invalid: {bad})" if bad else "")
        )
    return threshold.reconstruct(group, good), bad


def open_one(
    bid: CommittedBid, ciphertext: Path | None, secret: bytes, out_dir: Path
) -> BidOutcome:
    """Decrypt one bid into ``out_dir`` and check it against its commitments."""

    def outcome(result: str, detail: str, size: int | None = None) -> BidOutcome:
        return BidOutcome(bid.bidder, bid.nonce, bid.ciphertext_sha256, result, detail, size)

    if ciphertext is None or not ciphertext.exists():
        return outcome(MISSING, "no ciphertext with the committed digest was found")
    target = out_dir / f"{bid.bidder}-{bid.nonce}.bin"
    try:
        with ciphertext.open("rb") as src:
            header = sealing.read_header(src)
        key = sealing.unwrap_key(header, "tender", secret)
        result = _open_to(ciphertext, target, key)
    except EvidenceError as exc:
        return outcome(UNREADABLE, str(exc))
    if result.ciphertext_sha256.hex() != bid.ciphertext_sha256:
        target.unlink(missing_ok=True)
        return outcome(
            CIPHERTEXT_MISMATCH,
            f"expected ciphertext sha256 {bid.ciphertext_sha256}, found {result.ciphertext_sha256.hex()}",
        )
    if result.envelope_digest.hex() != bid.envelope_digest:
        target.unlink(missing_ok=True)
        return outcome(
            CIPHERTEXT_MISMATCH,
            f"expected envelope digest {bid.envelope_digest}, found {result.envelope_digest.hex()}",
        )
    if result.plaintext_commitment.hex() != bid.plaintext_commitment:
        target.unlink(missing_ok=True)
        return outcome(
            COMMITMENT_MISMATCH,
            f"expected plaintext commitment {bid.plaintext_commitment}, "
            f"found {result.plaintext_commitment.hex()}",
        )
    return outcome(OPENED, "decrypted and matches its commitments", result.plaintext_size)


def open_all(
    bids: Sequence[CommittedBid],
    ciphertexts: Mapping[str, Path],
    secret: bytes,
    out_dir: Path,
    workers: int | None = None,
) -> list[BidOutcome]:
    """Open every bid in parallel; a bad bid is reported and never blocks the others.

    ``ciphertexts`` maps a committed ciphertext digest (hex) to its file.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 2) as pool:
        return list(
            pool.map(
                lambda b: open_one(b, ciphertexts.get(b.ciphertext_sha256), secret, out_dir), bids
            )
        )


def opening_record(
    tender_code: str,
    group: threshold.GroupKey,
    released: Mapping[int, int],
    invalid_shares: Sequence[int],
    outcomes: Sequence[BidOutcome],
) -> tuple[dict[str, Any], bytes]:
    """The opening record (开标记录) and its digest: SHA-256 of its canonical JSON."""
    record = {
        "format": "chainwitness/opening-record",
        "version": 1,
        "tender": tender_code,
        "opening_public_key": group.public_key.hex(),
        "shares_released": sorted(released),
        "shares_invalid": sorted(invalid_shares),
        "bids": [o.to_json() for o in sorted(outcomes, key=lambda o: (o.bidder, o.nonce))],
    }
    return record, hashlib.sha256(canonicalize(record)).digest()


def _open_to(src_path: Path, dst: Path, key: bytes) -> sealing.OpenResult:
    """Decrypt to ``dst`` all or nothing (temp file, then rename).

    No fsync: a decrypted bid can always be derived again from its ciphertext, and
    its plaintext commitment (on chain) shows whether a file on disk is intact.
    """
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, src_path.open("rb") as src:
            result = envelope_files.open_stream(src, out, key)
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result
