"""Content-addressed file storage on disk, written by streaming (memory stays flat)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import socket
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ledger_service.core.errors import LimitExceeded, MalformedInput, NotFound, StorageFull

#: Largest file accepted by one upload.
MAX_FILE_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    path: Path


def _upload_prefix(pid: int | None = None) -> str:
    """Temporary upload files name their writer (host and PID), so that a restarted service
    removes only what a dead process of its own host left (never a live upload of another
    replica sharing the directory)."""
    return f".upload-{socket.gethostname()}-{os.getpid() if pid is None else pid}-"


class BlobStore:
    """Files under ``root/sha256/ab/cd/<digest>``, named by their SHA-256."""

    def __init__(self, root: Path) -> None:
        self._root = root

    def sweep_partial_uploads(self) -> list[Path]:
        """Remove the half-written uploads of dead processes (``kill -9`` mid-upload) of
        this host; returns what was removed. An upload only becomes a blob once complete
        (rename), so nothing stored is touched."""
        removed: list[Path] = []
        host = f".upload-{socket.gethostname()}-"
        for path in self._root.glob(".upload-*") if self._root.is_dir() else ():
            rest = path.name[len(host):] if path.name.startswith(host) else ""
            pid = rest.split("-", 1)[0]
            if not pid.isdigit() or _alive(int(pid)):
                continue
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    def path_for(self, digest_hex: str) -> Path:
        if len(digest_hex) != 64 or any(c not in "0123456789abcdef" for c in digest_hex):
            raise MalformedInput(f"expected 64 lowercase hex digits, found {digest_hex!r}")
        return self._root / "sha256" / digest_hex[:2] / digest_hex[2:4] / digest_hex

    async def put_stream(
        self, chunks: AsyncIterator[bytes], max_bytes: int = MAX_FILE_BYTES
    ) -> StoredBlob:
        """Store a stream, hashing while writing; the file appears only when complete."""
        self._root.mkdir(parents=True, exist_ok=True)
        h = hashlib.sha256()
        size = 0
        fd, tmp_name = tempfile.mkstemp(dir=self._root, prefix=_upload_prefix())
        try:
            with _disk_full_is_clear(self._root, lambda: size), os.fdopen(fd, "wb") as out:
                async for chunk in chunks:
                    size += len(chunk)
                    if size > max_bytes:
                        raise LimitExceeded(
                            f"expected a file of at most {max_bytes} bytes, found more"
                        )
                    h.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise MalformedInput("expected a non-empty file, found 0 bytes")
            digest = h.hexdigest()
            final = self.path_for(digest)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
            return StoredBlob(digest, size, final)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)

    def put_bytes(self, data: bytes) -> StoredBlob:
        """Store a small file held in memory (e.g. a signed report)."""
        if not data:
            raise MalformedInput("expected a non-empty file, found 0 bytes")
        digest = hashlib.sha256(data).hexdigest()
        final = self.path_for(digest)
        final.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=final.parent, prefix=".put-")
        try:
            with _disk_full_is_clear(self._root, lambda: 0), os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp_name, final)
        finally:
            if os.path.exists(tmp_name):
                os.unlink(tmp_name)
        return StoredBlob(digest, len(data), final)

    def open(self, digest_hex: str) -> Path:
        p = self.path_for(digest_hex)
        if not p.exists():
            raise NotFound(f"no stored file with sha256 {digest_hex}")
        return p


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


@contextlib.contextmanager
def _disk_full_is_clear(root: Path, written: Callable[[], int]) -> Iterator[None]:
    """Turn ENOSPC / EDQUOT while writing into :class:`StorageFull` naming the directory
    (the caller's ``finally`` removes the partial file)."""
    try:
        yield
    except OSError as exc:
        if exc.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        raise StorageFull(
            f"expected room for the file in {root}, found the disk full after "
            f"{written()} bytes ({os.strerror(exc.errno)})"
        ) from exc
