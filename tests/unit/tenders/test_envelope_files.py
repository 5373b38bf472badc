"""The sealing shell: read-ahead thread and all-or-nothing files (tenders.envelope_files)."""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest

from ledger_service.core.errors import VerificationFailed
from ledger_service.tenders.envelope_files import open_stream, open_to_path, seal_stream
from tests.unit.core.test_sealing import (
    BIDDER,
    BIDDER_PK,
    TENDER_PK,
    THREE,
    C,
    data_of,
    header_size,
    key_of,
    seal,
    stream,
)


@pytest.fixture(scope="module")
def three() -> tuple[bytes, bytes]:
    envelope, _ = seal(THREE)
    return envelope, key_of(envelope)


def test_open_to_path_is_all_or_nothing(tmp_path: Path, three: tuple[bytes, bytes]) -> None:
    envelope, key = three
    src, dst = tmp_path / "bid.cwseal", tmp_path / "bid.pdf"
    src.write_bytes(envelope[:-1])
    with pytest.raises(VerificationFailed, match="chunk 2 failed authentication"):
        open_to_path(src, dst, key)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bid.cwseal"]
    dst.write_bytes(b"previous")
    with pytest.raises(VerificationFailed):
        open_to_path(src, dst, key)
    assert dst.read_bytes() == b"previous"
    src.write_bytes(envelope)
    result = open_to_path(src, dst, key)
    assert dst.read_bytes() == THREE and result.plaintext_size == len(THREE)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bid.cwseal", "bid.pdf"]
    assert dst.stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("chunk_size", [C, 256 * 1024])
def test_stream_errors_propagate_and_leave_no_thread(chunk_size: int) -> None:
    class Failing(io.RawIOBase):
        def __init__(self, fail_at: int) -> None:
            self.left = fail_at

        def readable(self) -> bool:
            return True

        def readinto(self, b: Any) -> int:
            if self.left <= 0:
                raise OSError("disk on fire")
            n = min(len(b), self.left)
            memoryview(b)[:n] = b"\x00" * n
            self.left -= n
            return n

    class Full(io.RawIOBase):
        def writable(self) -> bool:
            return True

        def write(self, b: Any) -> int:
            raise OSError("no space left")

    before = threading.active_count()
    with pytest.raises(OSError, match="disk on fire"):
        seal_stream(
            stream(Failing(3 * chunk_size + 5)), io.BytesIO(), tender_id="t", bidder=BIDDER,
            tender_public_key=TENDER_PK, bidder_public_key=BIDDER_PK, chunk_size=chunk_size,
        )  # fmt: skip
    envelope, _ = seal(data_of(3 * chunk_size), chunk_size=chunk_size)
    with pytest.raises(OSError, match="no space left"):
        open_stream(io.BytesIO(envelope), stream(Full()), key_of(envelope))
    with pytest.raises(VerificationFailed, match="chunk 1 failed authentication"):
        broken = bytearray(envelope)
        broken[header_size(envelope) + chunk_size + 16 + 5] ^= 1
        open_stream(io.BytesIO(bytes(broken)), io.BytesIO(), key_of(envelope))
    assert threading.active_count() == before
