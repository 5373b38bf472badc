"""The C2SP tlog-witness ``add-checkpoint`` exchange, as pure functions.

Request body (https://c2sp.org/tlog-witness)::

    old <size>\\n
    <base64 hash>\\n        (0 to 63 consistency proof lines)
    \\n
    <checkpoint note>

:func:`check_add_checkpoint` is the witness's whole decision, in the spec's
order, from the request bytes, the pinned log keys, the last head it cosigned
for the origin and its own clock. It returns :class:`Accepted` (cosign and
persist, atomically) or :class:`Refusal` with the spec's HTTP status. The shell
(``ledger_service.cosigner``) does the persisting and the signing.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass

from ledger_service.core import merkle
from ledger_service.core.checkpoints import Checkpoint, SignedCheckpoint
from ledger_service.core.errors import EvidenceError, LimitExceeded, MalformedInput
from ledger_service.core.notes import MAX_NOTE_BYTES, VerifierKey, b64decode_strict

__all__ = [
    "MAX_PROOF_LINES",
    "MAX_REQUEST_BYTES",
    "SIZE_CONTENT_TYPE",
    "Accepted",
    "AddCheckpoint",
    "CosignedHead",
    "Refusal",
    "check_add_checkpoint",
]

#: the spec's bound on consistency proof lines
MAX_PROOF_LINES = 63
#: old-size line + 63 proof lines of 45 bytes + blank line + the largest note
MAX_REQUEST_BYTES = 32 + MAX_PROOF_LINES * 45 + 1 + MAX_NOTE_BYTES
#: content type of a 409 answer's body: the witness's known size and a newline
SIZE_CONTENT_TYPE = "text/x.tlog.size"


def _size(text: str) -> int:
    if not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise MalformedInput(
            f"old size: expected a decimal without leading zeroes, found {text!r:.40}"
        )
    return int(text)


@dataclass(frozen=True, slots=True)
class AddCheckpoint:
    """An add-checkpoint request: old size, consistency proof, checkpoint note."""

    old_size: int
    proof: tuple[bytes, ...]
    checkpoint: SignedCheckpoint

    def __post_init__(self) -> None:
        if type(self.old_size) is not int or self.old_size < 0:
            raise MalformedInput(f"old size: expected an integer >= 0, found {self.old_size!r}")
        if len(self.proof) > MAX_PROOF_LINES:
            raise LimitExceeded(
                f"consistency proof: expected at most {MAX_PROOF_LINES} lines, found {len(self.proof)}"
            )
        for i, h in enumerate(self.proof):
            if type(h) is not bytes or len(h) != merkle.HASH_SIZE:
                raise MalformedInput(f"consistency proof line {i + 1}: expected a 32-byte hash")

    def to_bytes(self) -> bytes:
        """Return the request body."""
        lines = [f"old {self.old_size}\n"] + [
            base64.b64encode(h).decode("ascii") + "\n" for h in self.proof
        ]
        return "".join(lines).encode() + b"\n" + self.checkpoint.to_bytes()

    @classmethod
    def from_bytes(cls, body: bytes) -> AddCheckpoint:
        """Parse a request body.

        Raises:
            LimitExceeded: more than :data:`MAX_REQUEST_BYTES` or 63 proof lines.
            MalformedInput: any other deviation from the format.
        """
        if len(body) > MAX_REQUEST_BYTES:
            raise LimitExceeded(
                f"add-checkpoint: expected at most {MAX_REQUEST_BYTES} bytes, found {len(body)}"
            )
        head, sep, note = body.partition(b"\n\n")
        if not sep:
            raise MalformedInput("add-checkpoint: expected an empty line before the checkpoint")
        try:
            lines = head.decode("ascii").split("\n")
        except UnicodeDecodeError:
            raise MalformedInput("add-checkpoint: expected ASCII before the checkpoint") from None
        if not lines[0].startswith("old "):
            raise MalformedInput(f"add-checkpoint: expected 'old <size>', found {lines[0]!r:.40}")
        if len(lines) - 1 > MAX_PROOF_LINES:
            raise LimitExceeded(
                f"consistency proof: expected at most {MAX_PROOF_LINES} lines, found {len(lines) - 1}"
            )
        proof = tuple(
            b64decode_strict(f"consistency proof line {i}", line)
            for i, line in enumerate(lines[1:], 1)
        )
        return cls(_size(lines[0][4:]), proof, SignedCheckpoint.from_bytes(note))


@dataclass(frozen=True, slots=True)
class CosignedHead:
    """What a witness keeps per origin: the last size and root it cosigned, and the note."""

    size: int
    root: bytes
    note: bytes


@dataclass(frozen=True, slots=True)
class Accepted:
    """Cosign ``checkpoint`` (whose note is ``signed``) and record it as the new head."""

    checkpoint: Checkpoint
    signed: SignedCheckpoint


@dataclass(frozen=True, slots=True)
class Refusal:
    """Refuse with HTTP ``status``; ``known_size`` is set for 409 answers.

    ``evidence`` is true when the request carried a valid signature by the pinned
    log key and is suspect (everything but a 409 for a checkpoint at least as large
    as the cosigned one, which only means the client was out of step): the refused
    checkpoint is then the log's own statement, worth keeping.
    """

    status: int
    reason: str
    evidence: bool = False
    known_size: int | None = None

    @property
    def content_type(self) -> str:
        return SIZE_CONTENT_TYPE if self.status == 409 else "text/plain; charset=utf-8"

    @property
    def body(self) -> bytes:
        if self.status == 409:
            return f"{self.known_size}\n".encode()
        return (self.reason + "\n").encode()


def check_add_checkpoint(
    body: bytes,
    log_keys: Mapping[str, VerifierKey],
    last: Mapping[str, CosignedHead],
    now: int,
    max_clock_skew: int | None,
) -> Accepted | Refusal:
    """Decide an add-checkpoint request as c2sp.org/tlog-witness requires.

    Args:
        body: the raw request body.
        log_keys: per origin, the pinned log key (type 0x01).
        last: per origin, the last head this witness cosigned.
        now: the witness's own clock, POSIX seconds.
        max_clock_skew: if set, a checkpoint whose ``chainwitness-time`` differs
            from ``now`` by more, or is earlier than the last cosigned one's, is
            refused (422): the log may not backdate or postdate what it signs.

    Returns:
        Accepted, or a Refusal: 400 malformed or old size > size; 404 unknown
        origin; 403 no valid log signature; 409 old size is not the last cosigned
        size (``known_size`` set); 422 bad empty-tree root, a proof from size 0, a
        proof that does not verify, equal sizes with different roots, or a claimed
        time out of bounds.
    """
    try:
        request = AddCheckpoint.from_bytes(body)
    except EvidenceError as exc:
        return Refusal(400, f"malformed request: {exc}")
    signed = request.checkpoint
    cp = signed.checkpoint
    key = log_keys.get(cp.origin)
    if key is None:
        return Refusal(404, f"unknown log origin {cp.origin!r}")
    try:
        signed.verify_log(key, cp.origin)
    except EvidenceError as exc:
        return Refusal(403, f"checkpoint not signed by a pinned key for {cp.origin}: {exc}")
    if request.old_size > cp.size:
        return Refusal(400, f"old size {request.old_size} > checkpoint size {cp.size}", True)
    head = last.get(cp.origin)
    known = 0 if head is None else head.size
    if request.old_size != known:
        return Refusal(
            409,
            f"expected old size {known}, found {request.old_size} (checkpoint size {cp.size})",
            # a client out of step is routine; a checkpoint smaller than the cosigned
            # one (a rewind) is kept as evidence
            cp.size < known,
            known,
        )
    if cp.size == 0 and cp.root != merkle.EMPTY_ROOT:
        return Refusal(422, "expected the empty-tree root for size 0", True)
    if request.old_size == 0:
        if request.proof:
            return Refusal(
                422, f"expected no proof from size 0, found {len(request.proof)} lines", True
            )
    else:
        assert head is not None
        try:
            merkle.verify_consistency(head.size, cp.size, head.root, cp.root, request.proof)
        except EvidenceError as exc:
            return Refusal(
                422,
                f"checkpoint size {cp.size} is not consistent with cosigned size {head.size}: {exc}",
                True,
            )
    if max_clock_skew is not None:
        refused = _check_claimed_time(cp, head, now, max_clock_skew)
        if refused is not None:
            return refused
    return Accepted(cp, signed)


def _check_claimed_time(
    cp: Checkpoint, head: CosignedHead | None, now: int, skew: int
) -> Refusal | None:
    try:
        claimed = cp.claimed_time
    except EvidenceError as exc:
        return Refusal(422, str(exc), True)
    if claimed is None:
        return None
    if abs(claimed - now) > skew:
        return Refusal(
            422,
            f"checkpoint claims time {claimed}, expected within {skew} s of the witness clock {now}",
            True,
        )
    previous = (
        None if head is None else SignedCheckpoint.from_bytes(head.note).checkpoint.claimed_time
    )
    if previous is not None and claimed < previous:
        return Refusal(
            422,
            f"checkpoint claims time {claimed}, before the last cosigned claim {previous}",
            True,
        )
    return None
