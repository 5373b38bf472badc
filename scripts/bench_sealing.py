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
from ledger_service.tenders import envelope_files, opening

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


def _content_key(sealed: Any) -> bytes:
    return sealing.unwrap_key(sealing.read_header(sealed), "tender", _TENDER_SECRET)


def peak_rss_child() -> None:
    """Run in a fresh process: print peak RSS growth (MiB) while sealing 1 GiB."""
    _, tpub, _, bpub = _keys()
    base = _status_kib("VmRSS")
    envelope_files.seal_stream(_Pattern(1024 * MIB), _Null(), tender_id="BENCH",  # type: ignore[arg-type]
                        bidder="0x" + "11" * 20, tender_public_key=tpub, bidder_public_key=bpub)  # fmt: skip
    # VmHWM: this process's own peak RSS (ru_maxrss would carry the parent's over exec)
    print((_status_kib("VmHWM") - base) / 1024)


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _work_dir() -> Path:
    """``var/`` of the working tree (the data directory's file system), made if missing."""
    path = Path.cwd() / "var"
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_many(
    out: dict[str, float], count: int = 100, size: int = 20 * MIB, disk_probe: int = 1024 * MIB
) -> None:
    """Seal ``count`` bids to a 3-of-5 key made by DKG, then time the opening."""
    recipients = [threshold.custodian_keypair(os.urandom) for _ in range(5)]
    pubs = [p for _, p in recipients]
    context = b"bench"
    dealings = [threshold.deal(i, 3, pubs, context, os.urandom) for i in range(1, 6)]
    qualified = [1, 2, 3, 4, 5]
    group = threshold.combine(dealings, qualified)
    shares = {j: threshold.my_share(dealings, qualified, j, recipients[j - 1][0], context)
              for j in (1, 3, 5)}  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cw-bench-open-", dir=_work_dir()) as tmp:
        work = Path(tmp)
        committed, files = [], {}
        bidder_pub = threshold.custodian_keypair(os.urandom)[1]
        for i in range(count):
            path = work / f"bid{i}.cwseal"
            with path.open("wb") as f:
                r = envelope_files.seal_stream(_Pattern(size), f, tender_id="BENCH",  # type: ignore[arg-type]
                                        bidder=_addr(i), tender_public_key=group.public_key,
                                        bidder_public_key=bidder_pub)  # fmt: skip
            committed.append(opening.CommittedBid(_addr(i), 1, r.ciphertext_sha256.hex(),
                                                  r.plaintext_commitment.hex(), r.envelope_digest.hex()))  # fmt: skip
            files[r.ciphertext_sha256.hex()] = path
        os.sync()  # the setup's writes must not be flushed inside the timed part

        def timed(out_dir: Path) -> float:
            t = time.perf_counter()
            secret, invalid = opening.rebuild_key(group, shares)
            outcomes = opening.open_all(committed, files, threshold.share_to_bytes(secret), out_dir)
            took = time.perf_counter() - t
            assert not invalid and all(o.result == opening.OPENED for o in outcomes)
            return round(took, 2)

        # as the service does it: ciphertexts read from and plaintext written to disk
        out["open_100x20mb_s"] = timed(work / "out")
        # again, with the ciphertexts now in the page cache: what the CPUs take
        out["open_100x20mb_warm_s"] = timed(work / "out2")
        out["disk_write_mb_per_s"] = round(_disk_write_mb_per_s(work, disk_probe), 1)


def _disk_write_mb_per_s(folder: Path, size: int = 1024 * MIB) -> float:
    """Plain sequential write throughput of ``folder``'s file system (like dd, no fsync)."""
    block = os.urandom(MIB)
    path = folder / "disk-probe.bin"
    os.sync()
    t = time.perf_counter()
    with path.open("wb") as f:
        for _ in range(size // MIB):
            f.write(block)
    took = time.perf_counter() - t
    path.unlink()
    return size / 1e6 / took


def run(out: dict[str, float], smoke: bool = False) -> None:
    """The sealing figures; ``smoke`` runs every step on small sizes (a check that the
    benchmark works, e.g. from a fresh clone: its figures are not the published ones)."""
    global _TENDER_SECRET
    out["openssl_aes_gcm_mb_per_s"] = round(_openssl("aes-256-gcm"), 1)
    out["openssl_sha256_mb_per_s"] = round(_openssl("sha256"), 1)
    if not smoke:
        print("  peak memory sealing 1 GiB...", file=sys.stderr)
        child = subprocess.run([sys.executable, __file__, "--peak-rss"], capture_output=True,
                               text=True, check=True)  # fmt: skip
        out["seal_1gib_peak_rss_mib_above_baseline"] = round(float(child.stdout.strip()), 1)
    print("  sealing throughput...", file=sys.stderr)
    size = 4 * MIB if smoke else 512 * MIB
    tsec, tpub, _, bpub = _keys()
    _TENDER_SECRET = tsec
    plain = io.BytesIO(os.urandom(size))
    common = {"tender_id": "BENCH", "bidder": "0x" + "11" * 20, "tender_public_key": tpub,
              "bidder_public_key": bpub}  # fmt: skip
    t = time.perf_counter()
    res = envelope_files.seal_stream(plain, _Null(), **common)  # type: ignore[arg-type]
    out["seal_mb_per_s"] = round(size / 1e6 / (time.perf_counter() - t), 1)
    # the envelope to open, kept in the page cache (untimed)
    with tempfile.TemporaryDirectory(prefix="cw-bench-seal-", dir=_work_dir()) as tmp:
        envelope = Path(tmp) / "bid.cwseal"
        plain.seek(0)
        with envelope.open("wb") as f:
            envelope_files.seal_stream(plain, f, **common)  # type: ignore[arg-type]
        del plain
        with envelope.open("rb") as f:
            key = _content_key(f)  # type: ignore[arg-type]
        t = time.perf_counter()
        with envelope.open("rb") as f:
            opened = envelope_files.open_stream(f, _Null(), key)  # type: ignore[arg-type]
        out["open_mb_per_s"] = round(size / 1e6 / (time.perf_counter() - t), 1)
    assert opened.plaintext_size == size and res.plaintext_size == size
    print("  opening 100 x 20 MB bids...", file=sys.stderr)
    if smoke:
        open_many(out, count=4, size=MIB, disk_probe=4 * MIB)
    else:
        open_many(out)


if __name__ == "__main__":
    if sys.argv[1:] == ["--peak-rss"]:
        peak_rss_child()
    else:
        figures: dict[str, float] = {}
        run(figures)
        print(figures)
