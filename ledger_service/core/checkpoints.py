"""C2SP log checkpoints, Ed25519 cosignatures, and "witnessed at k of n".

* A checkpoint (https://c2sp.org/tlog-checkpoint) is a signed note whose text is
  ``<origin>\\n<size>\\n<base64 root>\\n`` and optional non-empty extension lines.
  The log signs it with its Ed25519 note key (type 0x01).
* A cosignature (https://c2sp.org/tlog-cosignature, Ed25519 ``cosignature/v1``,
  type 0x04) is a note signature line whose bytes after the key ID are
  ``u64 timestamp || Ed25519 signature`` over
  ``"cosignature/v1\\ntime <timestamp>\\n" || checkpoint text``.
* :func:`verify_witnessed` checks the log signature and counts the distinct
  pinned witness keys whose cosignatures verify; a head is witnessed at ``k`` of
  ``n`` when at least ``k`` do. Its witnessed time is the ``k``-th earliest
  cosignature time: the moment by which ``k`` witnesses, each by its own clock,
  had seen this head.

Pure: the clock is an argument. Our one extension line, ``chainwitness-time
<POSIX seconds>`` (the log's own claim of when it signed), is specified in
``docs/checkpoints.md``; witnesses bound it against their clocks.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.merkle import HASH_SIZE
from ledger_service.core.notes import (
    SIG_TYPE_COSIGNATURE_V1,
    Ed25519NoteVerifier,
    Note,
    NoteSignature,
    NoteSigner,
    VerifierKey,
    b64decode_strict,
    open_note,
    sign_note,
)

__all__ = [
    "MAX_TIMESTAMP",
    "TIME_EXTENSION",
    "Checkpoint",
    "Cosignature",
    "CosignatureV1Verifier",
    "SignedCheckpoint",
    "WitnessQuorum",
    "Witnessed",
    "cosign",
    "cosignature_message",
    "cosignatures_in",
    "sign_checkpoint",
    "verify_witnessed",
]

#: largest tree size and cosignature timestamp (u64 values kept below 2**63)
MAX_TIMESTAMP = 2**63 - 1
_MAX_SIZE = 2**63 - 1
#: the one extension line we define: the log's claimed signing time
TIME_EXTENSION = "chainwitness-time"
_COSIG_HEADER = b"cosignature/v1\n"
_COSIG_BYTES = 8 + 64


def _decimal(name: str, text: str, high: int) -> int:
    # ASCII decimal without leading zeroes (0 itself is "0")
    if not text.isascii() or not text.isdigit() or (len(text) > 1 and text[0] == "0"):
        raise MalformedInput(
            f"{name}: expected a decimal without leading zeroes, found {text!r:.40}"
        )
    value = int(text)
    if value > high:
        raise MalformedInput(f"{name}: expected at most {high}, found {text}")
    return value


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The note text of a checkpoint: ``origin``, ``size``, ``root`` and extension lines.

    Raises (on construction): MalformedInput if the origin is empty or has a
    newline or control character, ``size`` is not in ``0..2**63 - 1``, ``root`` is
    not 32 bytes, or an extension line is empty or has a newline.
    """

    origin: str
    size: int
    root: bytes
    extensions: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for what, line in (
            ("origin", self.origin),
            *(("extension line", e) for e in self.extensions),
        ):
            if type(line) is not str or not line or any(c < " " for c in line):
                raise MalformedInput(
                    f"checkpoint {what}: expected a non-empty line without control "
                    f"characters, found {line!r:.80}"
                )
        if type(self.size) is not int or not 0 <= self.size <= _MAX_SIZE:
            raise MalformedInput(
                f"checkpoint size: expected 0 <= size < 2**63, found {self.size!r}"
            )
        if type(self.root) is not bytes or len(self.root) != HASH_SIZE:
            raise MalformedInput(f"checkpoint root: expected a {HASH_SIZE}-byte hash")

    def body(self) -> str:
        """Return the note text, final newline included."""
        root = base64.b64encode(self.root).decode("ascii")
        return "".join(
            f"{line}\n" for line in (self.origin, str(self.size), root, *self.extensions)
        )

    @classmethod
    def from_body(cls, text: str) -> Checkpoint:
        """Parse a note text. Raises MalformedInput if it is not a checkpoint."""
        if not text.endswith("\n"):
            raise MalformedInput("checkpoint: expected text ending in a newline")
        lines = text[:-1].split("\n")
        if len(lines) < 3:
            raise MalformedInput(f"checkpoint: expected at least 3 lines, found {len(lines)}")
        root = b64decode_strict("checkpoint root", lines[2])
        if len(root) != HASH_SIZE:
            raise MalformedInput(
                f"checkpoint root: expected a {HASH_SIZE}-byte hash, found {len(root)} bytes"
            )
        return cls(
            lines[0], _decimal("checkpoint size", lines[1], _MAX_SIZE), root, tuple(lines[3:])
        )

    @property
    def claimed_time(self) -> int | None:
        """The log's ``chainwitness-time`` claim in POSIX seconds, or None without one.

        Raises:
            MalformedInput: the extension appears twice or its value is not a decimal.
        """
        values = [e for e in self.extensions if e.split(" ", 1)[0] == TIME_EXTENSION]
        if not values:
            return None
        if len(values) > 1:
            raise MalformedInput(
                f"checkpoint: expected one {TIME_EXTENSION} line, found {len(values)}"
            )
        _, _, value = values[0].partition(" ")
        return _decimal(TIME_EXTENSION, value, MAX_TIMESTAMP)


@dataclass(frozen=True, slots=True)
class Cosignature:
    """One Ed25519 ``cosignature/v1``: witness key name and ID, timestamp, signature."""

    name: str
    key_id: int
    timestamp: int
    signature: bytes

    def __post_init__(self) -> None:
        if type(self.timestamp) is not int or not 0 <= self.timestamp <= MAX_TIMESTAMP:
            raise MalformedInput(
                f"cosignature timestamp: expected 0 <= t < 2**63, found {self.timestamp!r}"
            )
        if type(self.signature) is not bytes or len(self.signature) != 64:
            raise MalformedInput("cosignature: expected a 64-byte Ed25519 signature")

    def to_note_signature(self) -> NoteSignature:
        """The note signature line carrying this cosignature."""
        return NoteSignature(
            self.name, self.key_id, self.timestamp.to_bytes(8, "big") + self.signature
        )

    @classmethod
    def from_note_signature(cls, sig: NoteSignature) -> Cosignature:
        """Read a timestamped signature. Raises MalformedInput if it is not 8 + 64 bytes."""
        if len(sig.signature) != _COSIG_BYTES:
            raise MalformedInput(
                f"cosignature by {sig.name}+{sig.key_id:08x}: expected {_COSIG_BYTES} bytes "
                f"after the key ID, found {len(sig.signature)}"
            )
        return cls(
            sig.name, sig.key_id, int.from_bytes(sig.signature[:8], "big"), sig.signature[8:]
        )


def cosignature_message(checkpoint_text: str, timestamp: int) -> bytes:
    """Return ``"cosignature/v1\\ntime <timestamp>\\n" || checkpoint_text``, as signed."""
    return _COSIG_HEADER + f"time {timestamp}\n".encode() + checkpoint_text.encode()


@dataclass(frozen=True, slots=True)
class CosignatureV1Verifier:
    """Verifier of Ed25519 cosignatures (type 0x04) for :func:`notes.open_note`."""

    key: VerifierKey

    def __post_init__(self) -> None:
        if self.key.sig_type != SIG_TYPE_COSIGNATURE_V1:
            raise MalformedInput(
                f"witness key {self.key.name}: expected type 0x04 (cosignature/v1), "
                f"found 0x{self.key.sig_type:02x}"
            )

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != _COSIG_BYTES:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        message = _COSIG_HEADER + f"time {timestamp}\n".encode() + text
        try:
            Ed25519PublicKey.from_public_bytes(self.key.public_key).verify(signature[8:], message)
        except (InvalidSignature, ValueError):
            return False
        return True


def cosign(checkpoint: Checkpoint, signer: NoteSigner, timestamp: int) -> Cosignature:
    """Cosign ``checkpoint`` at ``timestamp`` (POSIX seconds, > 0) with a type-0x04 key.

    Raises:
        MalformedInput: the signer is not type 0x04 or the timestamp is 0 or >= 2**63.
    """
    if signer.sig_type != SIG_TYPE_COSIGNATURE_V1:
        raise MalformedInput(f"witness key {signer.name}: expected type 0x04 to cosign")
    if type(timestamp) is not int or not 0 < timestamp <= MAX_TIMESTAMP:
        raise MalformedInput(f"cosignature timestamp: expected 0 < t < 2**63, found {timestamp!r}")
    vkey = signer.verifier_key
    sig = signer.sign_raw(cosignature_message(checkpoint.body(), timestamp))
    return Cosignature(vkey.name, vkey.key_id, timestamp, sig)


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint note as received: parsed, not yet trusted (see :meth:`verify_log`)."""

    FORMAT: ClassVar[str] = "chainwitness/checkpoint"
    VERSION: ClassVar[int] = 1

    note: Note

    @property
    def checkpoint(self) -> Checkpoint:
        """The parsed note text (checked on construction)."""
        return Checkpoint.from_body(self.note.text)

    def __post_init__(self) -> None:
        Checkpoint.from_body(self.note.text)

    @classmethod
    def from_bytes(cls, data: bytes) -> Self:
        """Parse a checkpoint note. Raises MalformedInput/LimitExceeded; verifies nothing."""
        return cls(Note.from_bytes(data))

    def to_bytes(self) -> bytes:
        return self.note.to_bytes()

    def to_json(self) -> dict[str, Any]:
        """``{"format", "version", "note"}``: the note text, to embed in packages."""
        return {"format": self.FORMAT, "version": self.VERSION, "note": self.to_bytes().decode()}

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse :meth:`to_json` output. Raises MalformedInput on any other shape."""
        want = {"format", "version", "note"}
        if not isinstance(obj, dict) or set(obj) != want:
            raise MalformedInput(f"{cls.FORMAT}: expected exactly the fields {sorted(want)}")
        if (
            obj["format"] != cls.FORMAT
            or type(obj["version"]) is not int
            or obj["version"] != cls.VERSION
        ):
            raise MalformedInput(
                f"{cls.FORMAT}: expected format {cls.FORMAT!r} version {cls.VERSION}, "
                f"found {obj['format']!r} version {obj['version']!r}"
            )
        if type(obj["note"]) is not str:
            raise MalformedInput(f"{cls.FORMAT} note: expected a string")
        return cls.from_bytes(obj["note"].encode())

    def verify_log(self, log_key: VerifierKey, origin: str) -> Checkpoint:
        """Check the origin and the log's Ed25519 signature; return the checkpoint.

        Raises:
            VerificationFailed: the origin is not ``origin``, or no valid signature
                by ``log_key`` is present (or one by it fails).
        """
        cp = self.checkpoint
        if cp.origin != origin:
            raise VerificationFailed(f"checkpoint origin: expected {origin!r}, found {cp.origin!r}")
        open_note(self.note, [Ed25519NoteVerifier(log_key)])
        return cp

    def with_cosignatures(self, cosignatures: Iterable[Cosignature]) -> SignedCheckpoint:
        """Return this note with the cosignature lines appended (duplicates once)."""
        lines = list(self.note.signatures)
        for c in cosignatures:
            line = c.to_note_signature()
            if line not in lines:
                lines.append(line)
        return SignedCheckpoint(Note(self.note.text, tuple(lines)))


def sign_checkpoint(checkpoint: Checkpoint, log_signer: NoteSigner) -> SignedCheckpoint:
    """Sign ``checkpoint`` with the log's Ed25519 note key (type 0x01)."""
    return SignedCheckpoint(sign_note(checkpoint.body(), log_signer))


@dataclass(frozen=True, slots=True)
class WitnessQuorum:
    """Pinned witness keys (type 0x04) and the quorum ``k`` of ``n = len(keys)``.

    Raises (on construction): MalformedInput unless ``1 <= k <= n``, every key is
    type 0x04, and no public key or (name, key ID) appears twice (cosignature/v1
    does not sign the name, so one key under two names would count twice).
    """

    keys: tuple[VerifierKey, ...]
    k: int

    def __post_init__(self) -> None:
        for key in self.keys:
            CosignatureV1Verifier(key)
        if len({key.public_key for key in self.keys}) != len(self.keys) or len(
            {key.ref for key in self.keys}
        ) != len(self.keys):
            raise MalformedInput("witness keys: expected distinct public keys and names")
        if type(self.k) is not int or not 1 <= self.k <= len(self.keys):
            raise MalformedInput(
                f"witness quorum: expected 1 <= k <= {len(self.keys)}, found {self.k!r}"
            )


@dataclass(frozen=True, slots=True)
class Witnessed:
    """A checkpoint with verified cosignatures by at least ``k`` of ``n`` pinned witnesses.

    ``cosignatures`` holds one per witness (its earliest valid one), in time order.
    """

    checkpoint: Checkpoint
    cosignatures: tuple[Cosignature, ...]
    k: int
    n: int

    @property
    def time(self) -> int:
        """The ``k``-th earliest cosignature time: when ``k`` witnesses had seen this head."""
        return self.cosignatures[self.k - 1].timestamp

    def on_time(self, deadline: int) -> bool:
        """Whether ``k`` witnesses cosigned at or before ``deadline`` by their own clocks."""
        return self.time <= deadline


def verify_witnessed(
    signed: SignedCheckpoint,
    log_key: VerifierKey,
    origin: str,
    quorum: WitnessQuorum,
    now: int,
    max_future: int = 300,
) -> Witnessed:
    """Verify the log signature and at least ``quorum.k`` distinct witness cosignatures.

    A cosignature dated more than ``max_future`` seconds after ``now`` (the
    verifier's own clock) does not count. A line by a pinned witness key that
    fails to verify rejects the whole note (signed-note: "clients SHOULD reject").

    Raises:
        VerificationFailed: the log signature or origin is wrong, a pinned witness's
            line fails to verify, or fewer than ``k`` witnesses count.
    """
    checkpoint = signed.verify_log(log_key, origin)
    earliest: dict[str, Cosignature] = {}
    too_new: list[str] = []
    for cosig in cosignatures_in(signed, quorum.keys):
        ref = f"{cosig.name}+{cosig.key_id:08x}"
        if cosig.timestamp > now + max_future:
            too_new.append(f"{ref} at {cosig.timestamp} (now {now})")
        elif ref not in earliest or cosig.timestamp < earliest[ref].timestamp:
            earliest[ref] = cosig
    if len(earliest) < quorum.k:
        counted = ", ".join(sorted(earliest)) or "none"
        extra = f"; dated in the future: {', '.join(too_new)}" if too_new else ""
        raise VerificationFailed(
            f"checkpoint {checkpoint.origin} size {checkpoint.size}: expected cosignatures by "
            f"at least {quorum.k} of {len(quorum.keys)} pinned witnesses, found "
            f"{len(earliest)} ({counted}){extra}"
        )
    ordered = tuple(sorted(earliest.values(), key=lambda c: (c.timestamp, c.name)))
    return Witnessed(checkpoint, ordered, quorum.k, len(quorum.keys))


def cosignatures_in(
    signed: SignedCheckpoint, keys: Sequence[VerifierKey]
) -> tuple[Cosignature, ...]:
    """Verified cosignatures in ``signed`` by any of ``keys`` (lines by other keys ignored).

    Raises:
        VerificationFailed: a line by one of ``keys`` does not verify.
    """
    text = signed.note.text.encode()
    out: list[Cosignature] = []
    for key in keys:
        verifier = CosignatureV1Verifier(key)
        for line in signed.note.signatures:
            if (line.name, line.key_id) == (key.name, key.key_id):
                if not verifier.verify(text, line.signature):
                    raise VerificationFailed(
                        f"cosignature: expected a valid cosignature/v1 by {key.ref}, "
                        "found an invalid one"
                    )
                out.append(Cosignature.from_note_signature(line))
    return tuple(out)
