"""Streaming SHA-256 of a 200 MB file in the browser: the right digest, flat memory.

The file is chosen through an ``<input type=file>`` as a user would (Playwright sets
it), so the browser hashes a disk-backed File through ``blob.slice()`` chunks. While
it runs, a thread samples the resident memory of every chromium process started
under this test process (/proc), and the page samples its JS heap after each chunk.
Memory that grew with the file would show as ~200 MB; the bounds are a fraction of it.
"""

from __future__ import annotations

import hashlib
import os
import threading
import time
from pathlib import Path

import pytest
from playwright.sync_api import Page

from tests.integration.web.harness import call

pytestmark = [pytest.mark.integration, pytest.mark.node]

FILE_SIZE = 200 * 1024 * 1024
HASH_CHUNK = 1024 * 1024
#: allowed growth of the browser's resident memory while hashing (the file is 200 MiB)
RSS_BOUND = 64 * 1024 * 1024
#: allowed growth of the page's JS heap
HEAP_BOUND = 16 * 1024 * 1024


def _write_blob(path: Path) -> str:
    """Write FILE_SIZE bytes (1 MiB random blocks, each with its own counter) and return the SHA-256."""
    base = os.urandom(1024 * 1024)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        for i in range(FILE_SIZE // len(base)):
            block = i.to_bytes(8, "big") + base[8:]
            digest.update(block)
            out.write(block)
    return digest.hexdigest()


def _children() -> dict[int, int]:
    """pid -> parent pid of every process visible in /proc."""
    out = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            out[int(entry)] = int(stat.rsplit(")", 1)[1].split()[1])
    return out


def _browser_rss() -> int:
    """Resident bytes of all chromium processes descending from this process."""
    parents = _children()
    mine: set[int] = set()
    frontier = {os.getpid()}
    while frontier:
        frontier = {pid for pid, ppid in parents.items() if ppid in frontier} - mine
        mine |= frontier
    total = 0
    for pid in mine:
        try:
            comm = Path(f"/proc/{pid}/comm").read_text().strip()
            if "chrom" not in comm:
                continue  # the Playwright driver (node) is not the browser
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def test_streaming_hash_of_200_mb_equals_hashlib_with_flat_memory(
    page: Page, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blob = tmp_path / "bid-document.bin"
    want = _write_blob(blob)
    page.set_input_files("#file", str(blob))
    baseline = _browser_rss()
    peak = [baseline]
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            peak[0] = max(peak[0], _browser_rss())
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, name="rss-sampler")
    sampler.start()
    try:
        got = call(page, "hashChosenFile", {"chunkSize": HASH_CHUNK})
    finally:
        stop.set()
        sampler.join()
    assert got["size"] == FILE_SIZE
    assert got["digest"] == want
    rss_growth = peak[0] - baseline
    heap_growth = got["heap_peak"] - got["heap_before"]
    with capsys.disabled():
        print(
            f"\n[web] sha256 of {FILE_SIZE >> 20} MiB in the browser: {got['ms'] / 1000:.2f} s "
            f"({FILE_SIZE / got['ms'] / 1000:.0f} MB/s); browser RSS {baseline >> 20} MiB, "
            f"peak +{rss_growth / 2**20:.1f} MiB; JS heap peak +{heap_growth / 2**20:.1f} MiB"
        )
    assert rss_growth < RSS_BOUND, (
        f"expected RSS growth < {RSS_BOUND >> 20} MiB, found {rss_growth >> 20} MiB"
    )
    assert heap_growth < HEAP_BOUND, (
        f"expected heap growth < {HEAP_BOUND >> 20} MiB, found {heap_growth >> 20} MiB"
    )


@pytest.mark.parametrize("size", [0, 1, 65536, 3 * 65536 + 17])
def test_both_reading_paths_give_hashlib_digest(page: Page, tmp_path: Path, size: int) -> None:
    blob = tmp_path / "small.bin"
    data = os.urandom(size)
    blob.write_bytes(data)
    page.set_input_files("#file", str(blob))
    got = call(page, "hashChosenFileBothWays", {"chunkSize": 65536})
    want = hashlib.sha256(data).hexdigest()
    assert got == {"byob": want, "sliced": want}
