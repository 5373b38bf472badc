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

from cryptography.hazmat.primitives import hashes

from ledger_service.core.errors import LimitExceeded, MalformedInput, NotFound, StorageFull
from ledger_service.core.sm2 import sm3

#: Largest file accepted by one upload.
MAX_FILE_BYTES = 4 * 1024**3


@dataclass(frozen=True)
class StoredBlob:
    sha256: str
    size: int
    path: Path
    #: GM profile: the SM3 digest (hex) beside the SHA-256 one, else None
    sm3: str | None = None

    @property
    def digests(self) -> dict[str, str]:
        """What a record of this file states: SHA-256, and SM3 in the GM profile."""
        return {"sha256": self.sha256} | ({"sm3": self.sm3} if self.sm3 else {})


def _upload_prefix(pid: int | None = None) -> str:
    """Temporary upload files name their writer (host and PID), so that a restarted service
    removes only what a dead process of its own host left (never a live upload of another
    replica sharing the directory)."""
    return f".upload-{socket.gethostname()}-{os.getpid() if pid is None else pid}-"


class BlobStore:
    """Files under ``root/sha256/ab/cd/<digest>``, named by their SHA-256.

    With ``sm3`` (the GM profile, ``docs/gm-profile.md``) each stored file's SM3 digest
    is computed in the same pass and returned beside the SHA-256 one.
    """

    def __init__(self, root: Path, *, sm3: bool = False) -> None:
        self._root = root
        self._sm3 = sm3

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
        g = hashes.Hash(hashes.SM3()) if self._sm3 else None
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
                    if g is not None:
                        g.update(chunk)
                    out.write(chunk)
                out.flush()
                os.fsync(out.fileno())
            if size == 0:
                raise MalformedInput("expected a non-empty file, found 0 bytes")
            digest = h.hexdigest()
            final = self.path_for(digest)
            final.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, final)
            return StoredBlob(digest, size, final, None if g is None else g.finalize().hex())
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
        return StoredBlob(digest, len(data), final, sm3(data).hex() if self._sm3 else None)

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
