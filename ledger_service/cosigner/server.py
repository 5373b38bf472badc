"""The cosigner's HTTP face: c2sp.org/tlog-witness ``add-checkpoint`` and monitoring.

Routes:

* ``POST /add-checkpoint``: the spec's request body; answers 200 with one
  cosignature line, or the spec's refusal status with a one-line reason
  (409: the known size in ``text/x.tlog.size``).
* ``GET /{sha256(origin) hex}/checkpoint``: the latest cosigned checkpoint with
  the log's signature and this cosigner's cosignature (404 before the first).

The check of the old size and the write of the new head happen under one lock,
so two concurrent requests cannot roll the state back (the race the spec names).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledger_service.core.checkpoints import SignedCheckpoint, cosign
from ledger_service.core.gm_notes import Sm2NoteSigner, sm2_cosign
from ledger_service.core.notes import Note, NoteSigner
from ledger_service.core.witness_protocol import (
    MAX_REQUEST_BYTES,
    Accepted,
    CosignedHead,
    Refusal,
    check_add_checkpoint,
)
from ledger_service.cosigner.store import CosignerConfig, DataDir

__all__ = ["Cosigner", "create_app"]

_TEXT = "text/plain; charset=utf-8"


@dataclass
class Cosigner:
    """One cosigner: key, configuration, data directory and clock (POSIX seconds)."""

    signer: NoteSigner
    config: CosignerConfig
    data: DataDir
    clock: Callable[[], int]
    #: GM profile: also cosign in SM2 (a second line in the answer)
    sm2_signer: Sm2NoteSigner | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add_checkpoint(self, body: bytes) -> tuple[int, str, bytes]:
        """Decide, persist and cosign one request; return (status, content type, body)."""
        with self._lock:
            now = self.clock()
            heads = self.data.heads()
            verdict = check_add_checkpoint(
                body, self.config.log_keys, heads, now, self.config.max_clock_skew
            )
            if isinstance(verdict, Refusal):
                if verdict.evidence:
                    self.data.keep_evidence(
                        {
                            "time": now,
                            "status": verdict.status,
                            "reason": verdict.reason,
                            "request": body.decode("utf-8"),
                        }
                    )
                return verdict.status, verdict.content_type, verdict.body
            assert isinstance(verdict, Accepted)
            cosignature = cosign(verdict.checkpoint, self.signer, now)
            cosigned = verdict.signed.with_cosignatures([cosignature])
            lines = [cosignature.to_note_signature()]
            if self.sm2_signer is not None:
                lines.append(sm2_cosign(verdict.checkpoint, self.sm2_signer, now))
                cosigned = SignedCheckpoint(Note(cosigned.note.text,
                                                 (*cosigned.note.signatures, lines[1])))  # fmt: skip
            cp = verdict.checkpoint
            heads[cp.origin] = CosignedHead(cp.size, cp.root, cosigned.to_bytes())
            # persisted before answering: a cosignature is never for an unrecorded head
            self.data.write_heads(heads)
            return 200, _TEXT, "".join(line.line() for line in lines).encode()

    def latest(self, origin_hash: str) -> bytes | None:
        """The stored cosigned note for the origin whose SHA-256 hex is ``origin_hash``."""
        for origin, head in self.data.heads().items():
            if hashlib.sha256(origin.encode()).hexdigest() == origin_hash:
                return head.note
        return None


def create_app(cosigner: Cosigner) -> Starlette:
    """Build the ASGI app around ``cosigner`` (no state at import time)."""

    async def add_checkpoint(request: Request) -> Response:
        declared = request.headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
            return Response(
                f"request larger than {MAX_REQUEST_BYTES} bytes\n", 413, media_type=_TEXT
            )
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_REQUEST_BYTES:
                return Response(
                    f"request larger than {MAX_REQUEST_BYTES} bytes\n", 413, media_type=_TEXT
                )
        # file writes and fsync off the event loop; the cosigner's lock serializes them
        status, content_type, payload = await run_in_threadpool(cosigner.add_checkpoint, body)
        # set verbatim: Starlette would append "; charset=utf-8" to text/x.tlog.size
        return Response(payload, status, headers={"content-type": content_type})

    async def checkpoint(request: Request) -> Response:
        note = cosigner.latest(request.path_params["origin_hash"])
        if note is None:
            return Response("no checkpoint cosigned for this origin\n", 404, media_type=_TEXT)
        return Response(note, 200, media_type=_TEXT)

    return Starlette(
        routes=[
            Route("/add-checkpoint", add_checkpoint, methods=["POST"]),
            Route("/{origin_hash}/checkpoint", checkpoint, methods=["GET"]),
        ]
    )
