"""Sealed-bid figures for `make bench` (issue 3), merged into bench/results.json.

openssl_aes_gcm_mb_per_s / openssl_sha256_mb_per_s
      `openssl speed -evp ... -bytes 16384`, one core, measured in the same run
seal_mb_per_s / open_mb_per_s
      sealing / opening a 512 MiB document held in memory into memory (one core):
      AES-256-GCM chunks plus the ciphertext SHA-256 and salted plaintext commitment
seal_1gib_peak_rss_mib_above_baseline
      peak RSS while sealing a 1 GiB document streamed from a generator to /dev/null,
      minus the RSS just before, in a fresh process
open_100x20mb_s
      from the t-th released share to all 100 x 20 MB bids decrypted to disk and checked
      against their commitments (key rebuilt from 3 of 5 custodians' shares)
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from ledger_service.core import sealing, threshold
from ledger_service.tenders import opening

MIB = 1024 * 1024


def _addr(i: int) -> str:
    from eth_utils.address import to_checksum_address

    return str(to_checksum_address(f"0x{i + 1:040x}"))


def _openssl(alg: str) -> float:
    out = subprocess.run(
        ["openssl", "speed", "-evp", alg, "-bytes", "16384", "-seconds", "3"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    kbytes = float(re.findall(r"([\d.]+)k\s*$", out.strip(), re.M)[-1])
    return kbytes * 1000 / 1e6


class _Pattern(io.RawIOBase):
    """A readable stream of ``size`` bytes that never holds more than one buffer."""

    def __init__(self, size: int) -> None:
        self._left = size
        self._block = hashlib.sha256(b"bid").digest() * (MIB // 32)

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        n = min(len(b), self._left, len(self._block))
        b[:n] = self._block[:n]
        self._left -= n
        return n


class _Null(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:
        return len(b)


def _keys() -> tuple[bytes, bytes, bytes, bytes]:
    tender_secret, tender_pub = threshold.custodian_keypair(os.urandom)
    bidder_secret, bidder_pub = threshold.custodian_keypair(os.urandom)
    return tender_secret, tender_pub, bidder_secret, bidder_pub


_TENDER_SECRET: bytes = b""


def _content_key(sealed: io.BytesIO) -> bytes:
    return sealing.unwrap_key(sealing.read_header(sealed), "tender", _TENDER_SECRET)


def peak_rss_child() -> None:
    """Run in a fresh process: print peak RSS growth (MiB) while sealing 1 GiB."""
    _, tpub, _, bpub = _keys()
    base = _status_kib("VmRSS")
    sealing.seal_stream(_Pattern(1024 * MIB), _Null(), tender_id="BENCH",  # type: ignore[arg-type]
                        bidder="0x" + "11" * 20, tender_public_key=tpub, bidder_public_key=bpub)  # fmt: skip
    # VmHWM: this process's own peak RSS (ru_maxrss would carry the parent's over exec)
    print((_status_kib("VmHWM") - base) / 1024)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def open_many(out: dict[str, float], count: int = 100, size: int = 20 * MIB) -> None:
    """Seal ``count`` bids to a 3-of-5 key made by DKG, then time the opening."""
    recipients = [threshold.custodian_keypair(os.urandom) for _ in range(5)]
    pubs = [p for _, p in recipients]
    context = b"bench"
    dealings = [threshold.deal(i, 3, pubs, context, os.urandom) for i in range(1, 6)]
    qualified = [1, 2, 3, 4, 5]
    group = threshold.combine(dealings, qualified)
    shares = {j: threshold.my_share(dealings, qualified, j, recipients[j - 1][0], context)
              for j in (1, 3, 5)}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cw-bench-open-", dir=Path.cwd() / "var") as tmp:
        work = Path(tmp)
        committed, files = [], {}
        bidder_pub = threshold.custodian_keypair(os.urandom)[1]
        for i in range(count):
            path = work / f"bid{i}.cwseal"
            with path.open("wb") as f:
                r = sealing.seal_stream(_Pattern(size), f, tender_id="BENCH",  # type: ignore[arg-type]
                                        bidder=_addr(i), tender_public_key=group.public_key,
                                        bidder_public_key=bidder_pub)  # fmt: skip
            committed.append(opening.CommittedBid(_addr(i), 1, r.ciphertext_sha256.hex(),
                                                  r.plaintext_commitment.hex(), r.envelope_digest.hex()))  # fmt: skip
            files[r.ciphertext_sha256.hex()] = path
        t = time.perf_counter()
        secret, invalid = opening.rebuild_key(group, shares)
        outcomes = opening.open_all(
            committed, files, threshold.share_to_bytes(secret), work / "out"
        )
        out["open_100x20mb_s"] = round(time.perf_counter() - t, 2)
        assert not invalid and all(o.result == opening.OPENED for o in outcomes)


def run(out: dict[str, float]) -> None:
    global _TENDER_SECRET
    out["openssl_aes_gcm_mb_per_s"] = round(_openssl("aes-256-gcm"), 1)
    out["openssl_sha256_mb_per_s"] = round(_openssl("sha256"), 1)
    print("  peak memory sealing 1 GiB...", file=sys.stderr)
    child = subprocess.run([sys.executable, __file__, "--peak-rss"], capture_output=True,
                           text=True, check=True)  # fmt: skip
    out["seal_1gib_peak_rss_mib_above_baseline"] = round(float(child.stdout.strip()), 1)
    print("  sealing throughput...", file=sys.stderr)
    size = 512 * MIB
    tsec, tpub, _, bpub = _keys()
    _TENDER_SECRET = tsec
    plain = io.BytesIO(os.urandom(size))
    sealed = io.BytesIO()
    t = time.perf_counter()
    res = sealing.seal_stream(plain, sealed, tender_id="BENCH", bidder="0x" + "11" * 20,
                              tender_public_key=tpub, bidder_public_key=bpub)  # fmt: skip
    out["seal_mb_per_s"] = round(size / 1e6 / (time.perf_counter() - t), 1)
    del plain
    sealed.seek(0)
    t = time.perf_counter()
    key = _content_key(sealed)
    sealed.seek(0)
    opened = sealing.open_stream(sealed, _Null(), key)  # type: ignore[arg-type]
    out["open_mb_per_s"] = round(size / 1e6 / (time.perf_counter() - t), 1)
    assert opened.plaintext_commitment == res.plaintext_commitment
    del sealed
    print("  opening 100 x 20 MB bids...", file=sys.stderr)
    open_many(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--peak-rss"]:
        peak_rss_child()
    else:
        figures: dict[str, float] = {}
        run(figures)
        print(figures)
