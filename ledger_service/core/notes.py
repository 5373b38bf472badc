"""C2SP signed notes (https://c2sp.org/signed-note): text signed by one or more keys.

A note is UTF-8 text ending in a newline, a blank line, then one or more
signature lines ``— <key name> base64(key ID || signature)``. A key is named by
``(name, key ID)`` where ``key ID = SHA-256(name || 0x0A || type || public key)[:4]``;
a *verifier key* (vkey) is the text ``<name>+<hex key ID>+base64(type || public key)``.

This module parses and formats notes and vkeys, and signs and verifies Ed25519
note signatures (type ``0x01``). Other signature types plug in through
:class:`NoteVerifier` (``checkpoints`` adds the timestamped cosignature, ``0x04``).

Stricter than the reference (golang.org/x/mod/sumdb/note) in one way, on
purpose: signature base64 must be canonical (re-encoding gives the same text),
so one signature has exactly one line. Limits are named constants.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed

__all__ = [
    "ED25519_PUBLIC_KEY_SIZE",
    "MAX_NOTE_BYTES",
    "MAX_SIGNATURES",
    "SIG_TYPE_COSIGNATURE_V1",
    "SIG_TYPE_ED25519",
    "Ed25519NoteVerifier",
    "Note",
    "NoteSignature",
    "NoteSigner",
    "NoteVerifier",
    "VerifierKey",
    "b64decode_strict",
    "check_key_name",
    "key_id",
    "open_note",
    "sign_note",
]

#: signature type byte of Ed25519 note signatures (c2sp.org/signed-note)
SIG_TYPE_ED25519 = 0x01
#: signature type byte of timestamped Ed25519 cosignatures (c2sp.org/tlog-cosignature)
SIG_TYPE_COSIGNATURE_V1 = 0x04
ED25519_PUBLIC_KEY_SIZE = 32
_ED25519_SIGNATURE_SIZE = 64
_SEED_SIZE = 32
#: most signature lines a note may carry (the spec requires accepting at least 16;
#: 100 is the reference implementation's limit)
MAX_SIGNATURES = 100
#: largest note accepted, signatures included
MAX_NOTE_BYTES = 64 * 1024
_DASH = "\u2014 "
_PRIVATE_PREFIX = "PRIVATE+KEY+"


def b64decode_strict(name: str, text: str) -> bytes:
    """Decode standard, padded base64 (RFC 4648 section 4) that is in canonical form.

    Raises:
        MalformedInput: ``text`` is not base64 or not the canonical encoding of its bytes.
    """
    try:
        raw = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedInput(f"{name}: expected standard base64, found {text[:80]!r}") from None
    if base64.b64encode(raw).decode("ascii") != text:
        raise MalformedInput(f"{name}: expected canonical base64, found {text[:80]!r}")
    return raw


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


def split_private_key_text(text: object, what: str) -> tuple[str, str, bytes]:
    """``PRIVATE+KEY+<name>+<hex id>+<base64>`` as (name, hex id, decoded bytes).

    Raises MalformedInput naming ``what`` (the message never echoes the key)."""
    if type(text) is not str or not text.startswith(_PRIVATE_PREFIX):
        raise MalformedInput(f"{what}: expected text starting with 'PRIVATE+KEY+'")
    parts = text[len(_PRIVATE_PREFIX) :].split("+", 2)
    if len(parts) != 3:
        raise MalformedInput(f"{what}: expected 'PRIVATE+KEY+<name>+<hex id>+<base64>'")
    name, hex_id, encoded = parts
    try:
        raw = base64.b64decode(encoded.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise MalformedInput(f"{what} {name}: expected standard base64") from None
    return name, hex_id, raw


def check_key_name(name: object) -> str:
    """Return ``name`` if it is a valid key name: non-empty, no Unicode space, no ``+``.

    Raises:
        MalformedInput: it is not.
    """
    if type(name) is not str or not name:
        raise MalformedInput(f"key name: expected a non-empty string, found {name!r}")
    if "+" in name or any(c.isspace() for c in name) or not _is_note_text(name):
        raise MalformedInput(
            f"key name: expected no spaces, '+' or control characters, found {name!r}"
        )
    return name


def key_id(name: str, sig_type: int, public_key: bytes) -> int:
    """Return ``SHA-256(name || 0x0A || sig_type || public_key)[:4]`` as a big-endian uint32."""
    digest = hashlib.sha256(name.encode() + b"\n" + bytes([sig_type]) + public_key).digest()
    return int.from_bytes(digest[:4], "big")


def _is_note_text(text: str) -> bool:
    # no ASCII control characters other than newline (signed-note, "Format")
    return not any(c < " " and c != "\n" for c in text)


@dataclass(frozen=True, slots=True)
class NoteSignature:
    """One signature line: key ``name``, ``key_id`` and the signature bytes after the ID."""

    name: str
    key_id: int
    signature: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if type(self.key_id) is not int or not 0 <= self.key_id < 2**32:
            raise MalformedInput(f"key ID: expected a uint32, found {self.key_id!r}")
        if type(self.signature) is not bytes or not self.signature:
            raise MalformedInput("signature: expected at least one byte after the key ID")

    def line(self) -> str:
        """Return the signature line, newline included."""
        return f"{_DASH}{self.name} {_b64(self.key_id.to_bytes(4, 'big') + self.signature)}\n"

    @classmethod
    def from_line(cls, line: str) -> NoteSignature:
        """Parse one line (without its newline). Raises MalformedInput if it is not one."""
        if not line.startswith(_DASH):
            raise MalformedInput(
                f"signature line: expected it to start with an em dash and a space, "
                f"found {line[:40]!r}"
            )
        name, sep, encoded = line[len(_DASH) :].partition(" ")
        if not sep:
            raise MalformedInput(f"signature line: expected '<name> <base64>', found {line!r}")
        raw = b64decode_strict(f"signature of {name!r}", encoded)
        if len(raw) < 5:
            raise MalformedInput(
                f"signature of {name!r}: expected a 4-byte key ID and a signature, "
                f"found {len(raw)} bytes"
            )
        return cls(check_key_name(name), int.from_bytes(raw[:4], "big"), raw[4:])


@dataclass(frozen=True, slots=True)
class Note:
    """A parsed signed note: its ``text`` (final newline included) and signature lines."""

    text: str
    signatures: tuple[NoteSignature, ...]

    def __post_init__(self) -> None:
        _check_text(self.text)
        if not 1 <= len(self.signatures) <= MAX_SIGNATURES:
            raise LimitExceeded(
                f"signed note: expected 1 to {MAX_SIGNATURES} signatures, "
                f"found {len(self.signatures)}"
            )

    def to_bytes(self) -> bytes:
        """Return the note as its wire bytes."""
        return (self.text + "\n" + "".join(s.line() for s in self.signatures)).encode()

    @classmethod
    def from_bytes(cls, data: bytes) -> Note:
        """Parse a signed note; checks syntax only, no signature.

        Raises:
            LimitExceeded: more than :data:`MAX_NOTE_BYTES` or :data:`MAX_SIGNATURES`.
            MalformedInput: not UTF-8, control characters, no blank line before the
                signatures, a malformed signature line, or no final newline.
        """
        if type(data) is not bytes:
            raise MalformedInput(f"signed note: expected bytes, found {type(data).__name__}")
        if len(data) > MAX_NOTE_BYTES:
            raise LimitExceeded(
                f"signed note: expected at most {MAX_NOTE_BYTES} bytes, found {len(data)}"
            )
        try:
            whole = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedInput(f"signed note: expected UTF-8, found {exc.reason}") from None
        if not _is_note_text(whole):
            raise MalformedInput(
                "signed note: expected no control characters but newline, found one"
            )
        split = whole.rfind("\n\n")
        if split < 0:
            raise MalformedInput(
                "signed note: expected a blank line before the signatures, found none"
            )
        text, block = whole[: split + 1], whole[split + 2 :]
        if not block.endswith("\n"):
            raise MalformedInput(
                "signed note: expected the last signature line to end in a newline"
            )
        lines = block[:-1].split("\n")
        if len(lines) > MAX_SIGNATURES:
            raise LimitExceeded(
                f"signed note: expected at most {MAX_SIGNATURES} signatures, found {len(lines)}"
            )
        return cls(text, tuple(NoteSignature.from_line(line) for line in lines))


def _check_text(text: object) -> str:
    if type(text) is not str or not text.endswith("\n"):
        raise MalformedInput(f"note text: expected text ending in a newline, found {text!r:.80}")
    if not _is_note_text(text):
        raise MalformedInput("note text: expected no control characters but newline, found one")
    return text


@dataclass(frozen=True, slots=True)
class VerifierKey:
    """A vkey: ``<name>+<hex key ID>+base64(sig_type || public_key)``.

    Raises (on construction): MalformedInput if the name is invalid, the type is
    not ``0x01`` or ``0x04``, the key is not 32 bytes, or ``key_id`` is not the
    ID the spec derives from name, type and key.
    """

    name: str
    key_id: int
    sig_type: int
    public_key: bytes

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if self.sig_type not in (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE_V1):
            raise MalformedInput(
                f"verifier key {self.name}: expected signature type 0x01 or 0x04, "
                f"found 0x{self.sig_type:02x}"
            )
        if type(self.public_key) is not bytes or len(self.public_key) != ED25519_PUBLIC_KEY_SIZE:
            raise MalformedInput(
                f"verifier key {self.name}: expected a {ED25519_PUBLIC_KEY_SIZE}-byte Ed25519 "
                f"key, found {len(self.public_key)} bytes"
            )
        want = key_id(self.name, self.sig_type, self.public_key)
        if self.key_id != want:
            raise MalformedInput(
                f"verifier key {self.name}: expected key ID {want:08x}, found {self.key_id:08x}"
            )

    @classmethod
    def for_key(cls, name: str, sig_type: int, public_key: bytes) -> VerifierKey:
        """Build the vkey of ``public_key`` under ``name`` with its derived key ID."""
        return cls(check_key_name(name), key_id(name, sig_type, public_key), sig_type, public_key)

    def to_text(self) -> str:
        """Return the vkey text."""
        return f"{self.name}+{self.key_id:08x}+{_b64(bytes([self.sig_type]) + self.public_key)}"

    @classmethod
    def from_text(cls, text: str) -> VerifierKey:
        """Parse a vkey. Raises MalformedInput if any part is wrong."""
        if type(text) is not str:
            raise MalformedInput(f"verifier key: expected a string, found {type(text).__name__}")
        # the base64 part may itself contain '+': split off name and ID only
        parts = text.split("+", 2)
        if len(parts) != 3:
            raise MalformedInput(
                f"verifier key: expected '<name>+<hex key ID>+<base64 key>', found {text!r:.100}"
            )
        name, hex_id, encoded = parts
        if len(hex_id) != 8 or hex_id.strip("0123456789abcdef"):
            raise MalformedInput(
                f"verifier key {name}: expected 8 lowercase hex digits of key ID, found {hex_id!r}"
            )
        raw = b64decode_strict(f"verifier key {name}", encoded)
        if not raw:
            raise MalformedInput(f"verifier key {name}: expected a type byte and a key, found none")
        return cls(check_key_name(name), int(hex_id, 16), raw[0], raw[1:])

    def __str__(self) -> str:
        return self.to_text()

    @property
    def ref(self) -> str:
        """``<name>+<hex key ID>``: how messages name this key."""
        return f"{self.name}+{self.key_id:08x}"


class NoteVerifier(Protocol):
    """Checks one signature type for one key ``(name, key_id)``."""

    @property
    def key(self) -> VerifierKey: ...

    def verify(self, text: bytes, signature: bytes) -> bool:
        """Return whether ``signature`` (the bytes after the key ID) signs ``text``."""
        ...


@dataclass(frozen=True, slots=True)
class Ed25519NoteVerifier:
    """Verifier of Ed25519 note signatures (type 0x01): RFC 8032 over the note text."""

    key: VerifierKey

    def __post_init__(self) -> None:
        if self.key.sig_type != SIG_TYPE_ED25519:
            raise MalformedInput(
                f"verifier key {self.key.name}: expected type 0x01 (Ed25519 note), "
                f"found 0x{self.key.sig_type:02x}"
            )

    def verify(self, text: bytes, signature: bytes) -> bool:
        if len(signature) != _ED25519_SIGNATURE_SIZE:
            return False
        try:
            Ed25519PublicKey.from_public_bytes(self.key.public_key).verify(signature, text)
        except (InvalidSignature, ValueError):
            return False
        return True


@dataclass(frozen=True, slots=True)
class NoteSigner:
    """An Ed25519 signing key under a key name, with the signature type it signs as.

    Its text form is the reference implementation's
    ``PRIVATE+KEY+<name>+<hex key ID>+base64(type || 32-byte seed)``.
    """

    name: str
    seed: bytes
    sig_type: int = SIG_TYPE_ED25519

    def __post_init__(self) -> None:
        check_key_name(self.name)
        if type(self.seed) is not bytes or len(self.seed) != _SEED_SIZE:
            raise MalformedInput(f"signing key {self.name}: expected a {_SEED_SIZE}-byte seed")
        if self.sig_type not in (SIG_TYPE_ED25519, SIG_TYPE_COSIGNATURE_V1):
            raise MalformedInput(f"signing key {self.name}: expected type 0x01 or 0x04")

    @property
    def verifier_key(self) -> VerifierKey:
        """The vkey of this signer."""
        public = Ed25519PrivateKey.from_private_bytes(self.seed).public_key().public_bytes_raw()
        return VerifierKey.for_key(self.name, self.sig_type, public)

    def sign_raw(self, message: bytes) -> bytes:
        """Return the 64-byte Ed25519 signature of ``message``."""
        return Ed25519PrivateKey.from_private_bytes(self.seed).sign(message)

    def to_text(self) -> str:
        """Return the secret key text (keep it private)."""
        vkey = self.verifier_key
        return f"{_PRIVATE_PREFIX}{self.name}+{vkey.key_id:08x}+{_b64(bytes([self.sig_type]) + self.seed)}"

    @classmethod
    def from_text(cls, text: str) -> NoteSigner:
        """Parse a secret key text. Raises MalformedInput (the message never echoes the key)."""
        name, hex_id, raw = split_private_key_text(text, "signing key")
        if len(raw) != 1 + _SEED_SIZE:
            raise MalformedInput(f"signing key {name}: expected a type byte and a 32-byte seed")
        signer = cls(check_key_name(name), raw[1:], raw[0])
        if hex_id != f"{signer.verifier_key.key_id:08x}":
            raise MalformedInput(
                f"signing key {name}: expected key ID {signer.verifier_key.key_id:08x}, found {hex_id!r}"
            )
        return signer


def sign_note(text: str, signer: NoteSigner, others: Iterable[NoteSignature] = ()) -> Note:
    """Sign ``text`` with an Ed25519 note signer (type 0x01) and return the note.

    ``others`` are signature lines to keep (e.g. cosignatures already collected);
    a line by the same key as ``signer`` is replaced, as in the reference.

    Raises:
        MalformedInput: the text does not end in a newline or has control characters,
            or ``signer`` is not type 0x01.
    """
    _check_text(text)
    if signer.sig_type != SIG_TYPE_ED25519:
        raise MalformedInput(
            f"signing key {signer.name}: expected type 0x01 to sign a note, "
            f"found 0x{signer.sig_type:02x}"
        )
    vkey = signer.verifier_key
    own = NoteSignature(vkey.name, vkey.key_id, signer.sign_raw(text.encode()))
    kept = [s for s in others if (s.name, s.key_id) != (vkey.name, vkey.key_id)]
    return Note(text, (own, *kept))


def open_note(note: Note, verifiers: Sequence[NoteVerifier]) -> tuple[NoteSignature, ...]:
    """Verify ``note`` against trusted keys; return the verified signatures, in note order.

    Follows signed-note, "Signatures": lines whose (name, key ID) match no verifier
    are ignored; a line that matches a verifier must verify; duplicate lines count once.

    Raises:
        MalformedInput: two verifiers share the same (name, key ID) (ambiguous).
        VerificationFailed: a signature by a known key does not verify, or no
            signature by a known key is present.
    """
    by_ref: dict[tuple[str, int], NoteVerifier] = {}
    for v in verifiers:
        ref = (v.key.name, v.key.key_id)
        if ref in by_ref:
            raise MalformedInput(f"verifiers: expected distinct keys, found {v.key.ref} twice")
        by_ref[ref] = v
    text = note.text.encode()
    verified: list[NoteSignature] = []
    for sig in note.signatures:
        match = by_ref.get((sig.name, sig.key_id))
        if match is None or sig in verified:
            continue
        if not match.verify(text, sig.signature):
            raise VerificationFailed(
                f"signed note: expected a valid signature by {match.key.ref}, found an invalid one"
            )
        verified.append(sig)
    if not verified:
        known = ", ".join(sorted(v.key.ref for v in verifiers)) or "none"
        found = ", ".join(f"{s.name}+{s.key_id:08x}" for s in note.signatures)
        raise VerificationFailed(
            f"signed note: expected a signature by a trusted key ({known}), found only {found}"
        )
    return tuple(verified)
