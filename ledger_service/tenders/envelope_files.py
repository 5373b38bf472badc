"""Sealed envelopes on files and threads: the I/O shell around ``core.sealing``.

The core encrypts and decrypts from streams it is handed; here the input is read
and hashed on a helper thread one chunk ahead (:class:`ReadAhead`), so that the
second core hashes while the first runs AES-GCM, and opened documents land in
their file all or nothing (:func:`open_to_path`).
"""

from __future__ import annotations

import os
import queue
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, Self

from ledger_service.core import sealing
from ledger_service.core.sealing import OpenResult, SealResult
from ledger_service.core.sealing.stream import chunk_filler

# below this a handoff to the helper thread costs more than the hashing it moves
PARALLEL_MIN_CHUNK = 256 * 1024


class ReadAhead:
    """The input, chunk by chunk: read and hashed on a helper thread, one step ahead.

    ``next()`` returns the bytes now in ``buf`` (a chunk is ``buf[:limit]``, and it
    is the last one iff ``got <= limit``: one byte of lookahead). The helper hashes
    the chunk with ``update`` while the caller encrypts or decrypts it; the caller
    calls ``consumed()`` once it no longer reads ``buf``, and the helper then reads
    the next chunk while the caller hashes and writes its output. hashlib and file
    reads release the GIL and AES-GCM holds it, so the helper starts each hash
    right after its own read, never waiting for the GIL behind the cipher. Small
    chunks run inline: a handoff costs more than it saves. Leaving the ``with``
    block waits for the helper, so the hash is complete (or abandoned on error).
    """

    def __init__(
        self, src: BinaryIO, buf: bytearray, limit: int, update: Callable[[memoryview], None]
    ) -> None:
        self._refill, self._view = chunk_filler(src, buf, limit), memoryview(buf)
        self._limit, self._update = limit, update
        self._stop = self._holding = False
        self._thread: threading.Thread | None = None
        if limit >= PARALLEL_MIN_CHUNK:
            # helper -> caller: what a read got, or an error; caller -> helper: buffer free
            self._ready: queue.SimpleQueue[int | BaseException] = queue.SimpleQueue()
            self._free = threading.Lock()
            self._free.acquire()
            self._thread = threading.Thread(target=self._run, name="sealing-read-ahead")
            self._thread.start()

    def _run(self) -> None:
        try:
            while True:
                got = self._refill()
                self._ready.put(got)
                self._update(self._view[: min(got, self._limit)])
                self._free.acquire()
                if self._stop or got <= self._limit:
                    return
        except BaseException as e:  # raised by next(), or on leaving after the last chunk
            self._ready.put(e)

    def next(self) -> int:
        if self._thread is None:
            got = self._refill()
            self._update(self._view[: min(got, self._limit)])
            return got
        item = self._ready.get()
        if isinstance(item, BaseException):
            raise item
        self._holding = True
        return item

    def consumed(self) -> None:
        if self._holding:
            self._holding = False
            self._free.release()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._thread is None:
            return
        self._stop = True  # after an error: read no further
        if self._free.locked():  # only this thread releases it
            self._free.release()
        self._thread.join()  # the buffer must outlive the helper's use
        if kind is None and not self._ready.empty():
            late = self._ready.get()  # the last chunk's hash failed
            if isinstance(late, BaseException):
                raise late


def seal_stream(src: BinaryIO, dst: BinaryIO, **kwargs: Any) -> SealResult:
    """:func:`ledger_service.core.sealing.seal_stream`, reading ahead on a helper thread."""
    return sealing.seal_stream(src, dst, chunks=ReadAhead, **kwargs)


def open_stream(
    src: BinaryIO,
    dst: BinaryIO,
    content_key: bytes,
    *,
    progress: Callable[[int], None] | None = None,
) -> OpenResult:
    """:func:`ledger_service.core.sealing.open_stream`, reading ahead on a helper thread."""
    return sealing.open_stream(src, dst, content_key, progress=progress, chunks=ReadAhead)


def open_to_path(
    src_path: str | os.PathLike[str],
    dst_path: str | os.PathLike[str],
    content_key: bytes,
    *,
    progress: Callable[[int], None] | None = None,
) -> OpenResult:
    """Open the envelope at ``src_path`` into ``dst_path``, all or nothing.

    The plaintext goes to a temporary file (mode 0600) next to ``dst_path``, which
    is flushed, synced and renamed over ``dst_path`` only if :func:`open_stream`
    succeeds (reading ahead on a helper thread); on any failure it is removed and ``dst_path`` is left as it was.

    Raises:
        As :func:`open_stream`; OSError for file system errors.
    """
    dst = Path(dst_path)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as out, open(src_path, "rb") as src:
            result = open_stream(src, out, content_key, progress=progress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result
