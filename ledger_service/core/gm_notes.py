"""The GM (国密) profile of checkpoints: SM2 note signatures, SM2 cosignatures, the SM3 root.

Specification: ``docs/gm-profile.md``. In C2SP signed-note terms
(https://c2sp.org/signed-note, "Signature types") both SM2 signature types use the
byte ``0xff`` ("signature types without an identifier byte assigned by this
specification"), followed, as the spec recommends, by a longer identifier that
cannot collide; the whole *type string* is

- ``0xff || "chainwitness/sm2-note/v1" || 0x0a``: the log's SM2 signature over the
  note text (like type ``0x01``);
- ``0xff || "chainwitness/sm2-cosignature/v1" || 0x0a``: a witness's timestamped SM2
  cosignature, ``u64 timestamp || signature`` over the same ``cosignature/v1``
  message as type ``0x04`` (c2sp.org/tlog-cosignature).

Key ID ``= SHA-256(name || 0x0a || type string || 65-byte SEC 1 public key)[:4]``; a
vkey is ``<name>+<hex key ID>+base64(type string || public key)``. Signatures are
SM2 (GB/T 32918.2) with SM3 and the default user ID ``1234567812345678``, encoded as
the fixed 64 bytes ``r || s``.

The SM3 root: one extension line ``chainwitness-sm3 <base64 of 32 bytes>`` in the
checkpoint body, the SM3 Merkle root (``core/merkle/sm3.py``) over the same leaves
as the SHA-256 root on line 3. It is covered by every signature on the note.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from ledger_service.core.checkpoints import MAX_TIMESTAMP, Checkpoint, cosignature_message
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.merkle.hashing import HASH_SIZE
from ledger_service.core.notes import (
    Note,
    NoteSignature,
    b64decode_strict,
    check_key_name,
    split_private_key_text,
)
from ledger_service.core.sm2 import PUBLIC_KEY_SIZE, SIGNATURE_SIZE, Sm2PrivateKey, Sm2PublicKey

__all__ = [
    "SM2_COSIGNATURE",
    "SM2_NOTE",
    "SM3_ROOT_EXTENSION",
    "GmWitnessed",
    "Sm2NoteSigner",
    "Sm2VerifierKey",
    "sm2_cosign",
    "sm2_sign_note",
    "sm3_root",
    "verify_gm",
    "with_sm3_root",
]

#: type string of the log's SM2 note signature
SM2_NOTE = b"\xffchainwitness/sm2-note/v1\n"
#: type string of a witness's timestamped SM2 cosignature
SM2_COSIGNATURE = b"\xffchainwitness/sm2-cosignature/v1\n"
_KINDS = {SM2_NOTE: "note", SM2_COSIGNATURE: "cosignature"}
#: the extension line carrying the SM3 root over the same leaves
SM3_ROOT_EXTENSION = "chainwitness-sm3"
_PRIVATE_PREFIX = "PRIVATE+KEY+"
_COSIG_BYTES = 8 + SIGNATURE_SIZE


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def _key_id(name: str, type_string: bytes, public_key: bytes) -> int:
    digest = hashlib.sha256(name.encode() + b"\n" + type_string + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _split_type(name: str, raw: bytes) -> tuple[bytes, bytes]:
    for type_string in _KINDS:
        if raw.startswith(type_string):
            return type_string, raw[len(type_string) :]
    raise MalformedInput(
        f"SM2 key {name}: expected type 0xff 'chainwitness/sm2-note/v1' or "
        f"'chainwitness/sm2-cosignature/v1', found {raw[:34]!r}"
    )


@dataclass(frozen=True, slots=True)
class Sm2VerifierKey:
    """An SM2 vkey: name, key ID, type string (:data:`SM2_NOTE` or :data:`SM2_COSIGNATURE`)
    and the 65-byte public key. Raises MalformedInput on construction if any part is off."""

    name: str
    key_id: int
    type_string: bytes
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.type_string not in _KINDS:
            raise MalformedInput(f"SM2 key {self.name}: expected an SM2 type string")
        if type(self.public_key) is not bytes or len(self.public_key) != PUBLIC_KEY_SIZE:
            raise MalformedInput(
                f"SM2 key {self.name}: expected a {PUBLIC_KEY_SIZE}-byte public key"
            )
        Sm2PublicKey.from_bytes(self.public_key)
        want = _key_id(self.name, self.type_string, self.public_key)
        if self.key_id != want:
            raise MalformedInput(
                f"SM2 key {self.name}: expected key ID {want:08x}, found {self.key_id:08x}"
            )

    @property
    def kind(self) -> str:
        """``note`` (a log key) or ``cosignature`` (a witness key)."""
        return _KINDS[self.type_string]

    @property
    def ref(self) -> str:
        return f"{self.name}+{self.key_id:08x}"

    @classmethod
    def for_key(cls, name: str, type_string: bytes, public_key: bytes) -> Sm2VerifierKey:
        return cls(name, _key_id(check_key_name(name), type_string, public_key), type_string,
                   public_key)  # fmt: skip

    def to_text(self) -> str:
        return f"{self.ref}+{_b64(self.type_string + self.public_key)}"

    def __str__(self) -> str:
        return self.to_text()

    @classmethod
    def from_text(cls, text: object) -> Sm2VerifierKey:
        """Parse an SM2 vkey. Raises MalformedInput if any part is wrong."""
        if type(text) is not str:
            raise MalformedInput(f"SM2 key: expected a string, found {type(text).__name__}")
        parts = text.split("+", 2)
        if len(parts) != 3 or len(parts[1]) != 8 or parts[1].strip("0123456789abcdef"):
            raise MalformedInput(
                f"SM2 key: expected '<name>+<8 hex digits>+<base64>', found {text!r:.100}"
            )
        name, hex_id, encoded = parts
        type_string, public_key = _split_type(name, b64decode_strict(f"SM2 key {name}", encoded))
        return cls(check_key_name(name), int(hex_id, 16), type_string, public_key)

    def verify_note(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (64 bytes) is this note key's SM2 signature of ``text``."""
        return self.kind == "note" and Sm2PublicKey.from_bytes(self.public_key).verify(
            signature, text
        )

    def verify_cosignature(self, text: bytes, signature: bytes) -> bool:
        """Whether ``signature`` (timestamp || 64 bytes) cosigns checkpoint ``text``."""
        if self.kind != "cosignature" or len(signature) != _COSIG_BYTES:
            return False
        timestamp = int.from_bytes(signature[:8], "big")
        if timestamp > MAX_TIMESTAMP:
            return False
        message = cosignature_message(text.decode(), timestamp)
        return Sm2PublicKey.from_bytes(self.public_key).verify(signature[8:], message)


@dataclass(frozen=True, slots=True)
class Sm2NoteSigner:
    """An SM2 signing key under a key name and type string.

    Text form: ``PRIVATE+KEY+<name>+<hex key ID>+base64(type string || 32-byte d)``.
    """

    name: str
    key: Sm2PrivateKey = field(repr=False)
    type_string: bytes = SM2_NOTE

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.type_string not in _KINDS:
            raise MalformedInput(f"SM2 signing key {self.name}: expected an SM2 type string")

    @property
    def verifier_key(self) -> Sm2VerifierKey:
        return Sm2VerifierKey.for_key(self.name, self.type_string,
                                      self.key.public_key.to_bytes())  # fmt: skip

    def to_text(self) -> str:
        return (f"{_PRIVATE_PREFIX}{self.verifier_key.ref}+"
                f"{_b64(self.type_string + self.key.to_bytes())}")  # fmt: skip

    @classmethod
    def from_text(cls, text: str) -> Sm2NoteSigner:
        """Parse a secret key text. Raises MalformedInput (never echoes the key)."""
        name, hex_id, raw = split_private_key_text(text, "SM2 signing key")
        type_string, d = _split_type(name, raw)
        signer = cls(check_key_name(name), Sm2PrivateKey.from_bytes(d), type_string)
        if hex_id != f"{signer.verifier_key.key_id:08x}":
            raise MalformedInput(f"SM2 signing key {name}: expected its own key ID")
        return signer


def sm2_sign_note(note: Note, signer: Sm2NoteSigner) -> Note:
    """Add the log's SM2 signature of ``note.text`` (replacing one by the same key)."""
    if signer.type_string != SM2_NOTE:
        raise MalformedInput(f"SM2 signing key {signer.name}: expected the note type to sign")
    vkey = signer.verifier_key
    own = NoteSignature(vkey.name, vkey.key_id, signer.key.sign(note.text.encode()))
    kept = [s for s in note.signatures if (s.name, s.key_id) != (vkey.name, vkey.key_id)]
    return Note(note.text, (*kept, own))


def sm2_cosign(checkpoint: Checkpoint, signer: Sm2NoteSigner, timestamp: int) -> NoteSignature:
    """A witness's SM2 cosignature line on ``checkpoint`` at ``timestamp`` (0 < t < 2**63)."""
    if signer.type_string != SM2_COSIGNATURE:
        raise MalformedInput(f"SM2 signing key {signer.name}: expected the cosignature type")
    if type(timestamp) is not int or not 0 < timestamp <= MAX_TIMESTAMP:
        raise MalformedInput(f"cosignature timestamp: expected 0 < t < 2**63, found {timestamp!r}")
    vkey = signer.verifier_key
    sig = signer.key.sign(cosignature_message(checkpoint.body(), timestamp))
    return NoteSignature(vkey.name, vkey.key_id, timestamp.to_bytes(8, "big") + sig)


def sm3_root(checkpoint: Checkpoint) -> bytes | None:
    """The SM3 root the checkpoint states, or None without a ``chainwitness-sm3`` line.

    Raises:
        MalformedInput: the line appears twice or is not canonical base64 of 32 bytes.
    """
    prefix = SM3_ROOT_EXTENSION + " "
    values = [e[len(prefix) :] for e in checkpoint.extensions if e.startswith(prefix)]
    if not values:
        return None
    if len(values) > 1:
        raise MalformedInput(
            f"checkpoint: expected one {SM3_ROOT_EXTENSION} line, found {len(values)}"
        )
    root = b64decode_strict(SM3_ROOT_EXTENSION, values[0])
    if len(root) != HASH_SIZE:
        raise MalformedInput(
            f"{SM3_ROOT_EXTENSION}: expected a {HASH_SIZE}-byte root, found {len(root)} bytes"
        )
    return root


def with_sm3_root(checkpoint: Checkpoint, root: bytes) -> Checkpoint:
    """``checkpoint`` with its ``chainwitness-sm3`` line set to ``root`` (after the others)."""
    if type(root) is not bytes or len(root) != HASH_SIZE:
        raise MalformedInput(f"{SM3_ROOT_EXTENSION}: expected a {HASH_SIZE}-byte root")
    prefix = SM3_ROOT_EXTENSION + " "
    kept = tuple(e for e in checkpoint.extensions if not e.startswith(prefix))
    return Checkpoint(checkpoint.origin, checkpoint.size, checkpoint.root,
                      (*kept, prefix + _b64(root)))  # fmt: skip


@dataclass(frozen=True, slots=True)
class GmWitnessed:
    """What the GM checks established: the SM3 root, signed by the pinned SM2 log key
    and cosigned in SM2 by ``len(times)`` >= k pinned witnesses (earliest time each)."""

    sm3_root: bytes
    witnesses: tuple[tuple[str, int], ...]
    k: int

    @property
    def time(self) -> int:
        """The k-th earliest SM2 cosignature time."""
        return sorted(t for _, t in self.witnesses)[self.k - 1]


def verify_gm(
    note: Note,
    log_key: Sm2VerifierKey,
    witness_keys: Sequence[Sm2VerifierKey],
    k: int,
    now: int,
    max_future: int = 300,
) -> GmWitnessed:
    """The GM half of a checkpoint's checks (the international half is ``verify_witnessed``).

    Requires: an SM3 root line; a valid SM2 signature by ``log_key``; valid SM2
    cosignatures by at least ``k`` of ``witness_keys`` dated at most ``max_future``
    seconds after ``now``. A line by a pinned key that fails rejects the note.

    Raises:
        VerificationFailed: any of these fails (the message names the key or the count).
    """
    cp = Checkpoint.from_body(note.text)
    try:
        root = sm3_root(cp)
    except MalformedInput as exc:
        raise VerificationFailed(str(exc)) from None
    if root is None:
        raise VerificationFailed(
            f"checkpoint size {cp.size}: expected a {SM3_ROOT_EXTENSION} line (GM profile), "
            "found none"
        )
    text = note.text.encode()
    lines = _lines_by(note.signatures, log_key)
    if not lines:
        found = ", ".join(f"{s.name}+{s.key_id:08x}" for s in note.signatures)
        raise VerificationFailed(
            f"checkpoint size {cp.size}: expected an SM2 signature by the pinned log key "
            f"{log_key.ref}, found only {found}"
        )
    if not all(log_key.verify_note(text, s.signature) for s in lines):
        raise VerificationFailed(
            f"checkpoint size {cp.size}: expected a valid SM2 signature by {log_key.ref}, "
            "found an invalid one"
        )
    earliest: dict[str, int] = {}
    for key in witness_keys:
        for s in _lines_by(note.signatures, key):
            if not key.verify_cosignature(text, s.signature):
                raise VerificationFailed(
                    f"checkpoint size {cp.size}: expected a valid SM2 cosignature by "
                    f"{key.ref}, found an invalid one"
                )
            t = int.from_bytes(s.signature[:8], "big")
            if t <= now + max_future and t < earliest.get(key.ref, MAX_TIMESTAMP + 1):
                earliest[key.ref] = t
    if len(earliest) < k:
        raise VerificationFailed(
            f"checkpoint size {cp.size}: expected SM2 cosignatures by at least {k} of "
            f"{len(witness_keys)} pinned witnesses, found {len(earliest)} "
            f"({', '.join(sorted(earliest)) or 'none'})"
        )
    return GmWitnessed(root, tuple(sorted(earliest.items())), k)


def _lines_by(lines: Iterable[NoteSignature], key: Sm2VerifierKey) -> list[NoteSignature]:
    return list(dict.fromkeys(s for s in lines if (s.name, s.key_id) == (key.name, key.key_id)))
