"""Sealed bid envelopes: the format (preamble, header, recipients) and the content key.

An envelope is ``preamble || header || chunk 0 || ... || final chunk``: the preamble
is ``MAGIC``, a version byte and the header length (uint32, big-endian); the header
is RFC 8785 JSON naming the tender, the bidder and the two recipients of the
content key (the tender's opening key and the bidder's own key, each an ECIES
wrap). ``docs/sealed-envelope.md`` is the specification; :mod:`.stream` encrypts
and decrypts the chunks. Pure: randomness is injected, no clock, no file, no thread.
"""

from __future__ import annotations

import hashlib
import struct
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO, ClassVar, Literal, Self

import coincurve
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger_service.core import ecies
from ledger_service.core._fields import address  # shared field checks
from ledger_service.core._fields import integer as check_int
from ledger_service.core._fields import lower_hex as _hex
from ledger_service.core._fields import shown as _shown
from ledger_service.core.canonical import canonicalize, parse_json_strict
from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed

RecipientKind = Literal["tender", "bidder"]

MAGIC = b"CWSEAL"
VERSION = 1
ALG = "aes-256-gcm-stream+ecies-secp256k1"
MIN_CHUNK_SIZE = 4 * 1024
DEFAULT_CHUNK_SIZE = 1024 * 1024
MAX_CHUNK_SIZE = 16 * 1024 * 1024
#: the header JSON, in bytes; a valid header is under 2 KiB (a 256-character tender id
#: is at most 1 KiB of UTF-8), so every header a sealer can write fits
MAX_HEADER_SIZE = 8 * 1024
#: the chunk counter is 4 bytes
MAX_CHUNKS = 2**32
MAX_TENDER_ID_CHARS = 256
KEY_SIZE = 32
NONCE_PREFIX_SIZE = 7
TAG_SIZE = 16
PUBLIC_KEY_SIZE = 33
#: ephemeral public key 33 || nonce 12 || wrapped content key 32 || tag 16
WRAPPED_KEY_SIZE = PUBLIC_KEY_SIZE + 12 + KEY_SIZE + TAG_SIZE

_PREAMBLE = struct.Struct(">6sBI")  # magic, version, header length
NONCE_TAIL = struct.Struct(">IB")  # chunk counter, final flag
INFO_PAYLOAD_KEY = b"chainwitness/seal/v1 payload-key"
_INFO_SALT = b"chainwitness/seal/v1 plaintext-salt"
INFO_COMMITMENT = b"chainwitness/seal/v1 key-commitment"
INFO_WRAP: dict[str, bytes] = {
    "tender": b"chainwitness/seal/v1 wrap tender",
    "bidder": b"chainwitness/seal/v1 wrap bidder",
}
_KINDS: tuple[RecipientKind, RecipientKind] = ("tender", "bidder")


# ---------------------------------------------------------------- field checks


def check_bytes(name: str, value: object, size: int) -> bytes:
    if type(value) is not bytes or len(value) != size:
        found = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise MalformedInput(f"{name}: expected {size} bytes, found {found}")
    return value


def check_public_key(name: str, value: object) -> bytes:
    key = check_bytes(name, value, PUBLIC_KEY_SIZE)
    try:
        valid = key[0] in (2, 3) and coincurve.PublicKey(key).format(compressed=True) == key
    except ValueError:
        valid = False
    if not valid:
        raise MalformedInput(
            f"{name}: expected a compressed secp256k1 public key, found {key.hex()}"
        )
    return key


def check_tender_id(value: object) -> str:
    if type(value) is not str or not 1 <= len(value) <= MAX_TENDER_ID_CHARS:
        raise MalformedInput(
            f"tender_id: expected 1..{MAX_TENDER_ID_CHARS} characters, found {_shown(value)}"
        )
    if not value.isprintable():
        raise MalformedInput(f"tender_id: expected printable text, found {_shown(value)}")
    return value


def check_address(value: object) -> str:
    return address("bidder", value)


def hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), KEY_SIZE, None, info).derive(key)


def plaintext_salt(content_key: bytes) -> bytes:
    """Return the salt of ``plaintext_commitment = SHA-256(salt || plaintext)``.

    Raises:
        MalformedInput: ``content_key`` is not 32 bytes.
    """
    return hkdf(check_bytes("content key", content_key, KEY_SIZE), _INFO_SALT)


# ---------------------------------------------------------------- the header


@dataclass(frozen=True, slots=True)
class Recipient:
    """One wrap of the content key: ``wrapped_key`` is ECIES to ``public_key``.

    Raises (on construction): MalformedInput for an unknown kind, a public key that
    is not a compressed secp256k1 point, or a wrapped key of the wrong size.
    """

    kind: RecipientKind
    public_key: bytes
    wrapped_key: bytes

    def __post_init__(self) -> None:
        if self.kind not in _KINDS:
            raise MalformedInput(f"kind: expected one of {list(_KINDS)}, found {_shown(self.kind)}")
        check_public_key(f"{self.kind} public_key", self.public_key)
        check_bytes(f"{self.kind} wrapped_key", self.wrapped_key, WRAPPED_KEY_SIZE)

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "public_key": self.public_key.hex(),
            "wrapped_key": self.wrapped_key.hex(),
        }


@dataclass(frozen=True, slots=True)
class EnvelopeHeader:
    """What an envelope says about itself: its chunking, its tender and bidder, its keys.

    ``recipients`` is exactly (tender, bidder), in that order. ``key_commitment`` is
    HKDF of the content key (see the spec), so both recipients provably unwrap the
    same key.

    Raises (on construction): MalformedInput for a field of the wrong type, size or
    range (chunk size within ``MIN_CHUNK_SIZE..MAX_CHUNK_SIZE``, tender id 1..256
    printable characters, bidder an EIP-55 address).
    """

    FORMAT: ClassVar[str] = "chainwitness/sealed-envelope"
    VERSION: ClassVar[int] = VERSION
    FIELDS: ClassVar[frozenset[str]] = frozenset({
        "format", "version", "alg", "chunk_size", "nonce_prefix", "key_commitment",
        "tender_id", "bidder", "recipients",
    })  # fmt: skip

    chunk_size: int
    nonce_prefix: bytes
    key_commitment: bytes
    tender_id: str
    bidder: str
    recipients: tuple[Recipient, Recipient]

    def __post_init__(self) -> None:
        check_int("chunk_size", self.chunk_size, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
        check_bytes("nonce_prefix", self.nonce_prefix, NONCE_PREFIX_SIZE)
        check_bytes("key_commitment", self.key_commitment, KEY_SIZE)
        check_tender_id(self.tender_id)
        check_address(self.bidder)
        recipients = self.recipients
        if type(recipients) is not tuple or not all(type(r) is Recipient for r in recipients):
            raise MalformedInput(
                f"recipients: expected a tuple of Recipient, found {_shown(recipients)}"
            )
        if tuple(r.kind for r in recipients) != _KINDS:
            raise MalformedInput(
                f"recipients: expected the kinds {list(_KINDS)} in that order, "
                f"found {[r.kind for r in recipients]}"
            )

    def recipient(self, kind: RecipientKind) -> Recipient:
        """Return the recipient of ``kind``. Raises MalformedInput for another kind."""
        if kind not in _KINDS:
            raise MalformedInput(f"recipient kind: expected one of {list(_KINDS)}, found {kind!r}")
        return self.recipients[_KINDS.index(kind)]

    def context(self) -> dict[str, Any]:
        """The header's JSON without ``recipients``: what each key wrap authenticates."""
        return header_context(
            self.chunk_size, self.nonce_prefix, self.key_commitment, self.tender_id, self.bidder
        )

    def to_json(self) -> dict[str, Any]:
        """Return the header's JSON object (see docs/sealed-envelope.md, section 3)."""
        return {**self.context(), "recipients": [r.to_json() for r in self.recipients]}

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse the JSON object. Raises MalformedInput if it is not a valid header."""
        if not isinstance(obj, dict):
            raise MalformedInput(f"header: expected an object, found {type(obj).__name__}")
        if set(obj) != cls.FIELDS:
            missing, unknown = sorted(cls.FIELDS - set(obj)), sorted(set(obj) - cls.FIELDS)
            raise MalformedInput(
                f"header: expected exactly the fields {sorted(cls.FIELDS)}, "
                f"found missing {missing} and unknown {unknown}"
            )
        for name, want in (("format", cls.FORMAT), ("version", cls.VERSION), ("alg", ALG)):
            if obj[name] != want or type(obj[name]) is not type(want):
                raise MalformedInput(f"{name}: expected {want!r}, found {_shown(obj[name])}")
        recipients = obj["recipients"]
        if type(recipients) is not list or len(recipients) != 2:
            raise MalformedInput(f"recipients: expected an array of 2, found {_shown(recipients)}")
        return cls(
            obj["chunk_size"],
            _hex("nonce_prefix", obj["nonce_prefix"], NONCE_PREFIX_SIZE),
            _hex("key_commitment", obj["key_commitment"], KEY_SIZE),
            obj["tender_id"],
            obj["bidder"],
            (_recipient_from_json(recipients[0]), _recipient_from_json(recipients[1])),
        )

    def to_bytes(self) -> bytes:
        """Return the header bytes: preamble and canonical JSON, all before chunk 0."""
        text = canonicalize(self.to_json(), name="header")
        return _PREAMBLE.pack(MAGIC, VERSION, len(text)) + text

    def digest(self) -> bytes:
        """``envelope_digest``: SHA-256 of :meth:`to_bytes`, the AAD of every chunk."""
        return hashlib.sha256(self.to_bytes()).digest()


def header_context(
    chunk_size: int, nonce_prefix: bytes, commitment: bytes, tender_id: str, bidder: str
) -> dict[str, Any]:
    return {
        "format": EnvelopeHeader.FORMAT,
        "version": VERSION,
        "alg": ALG,
        "chunk_size": chunk_size,
        "nonce_prefix": nonce_prefix.hex(),
        "key_commitment": commitment.hex(),
        "tender_id": tender_id,
        "bidder": bidder,
    }


def _recipient_from_json(obj: object) -> Recipient:
    want = {"kind", "public_key", "wrapped_key"}
    if not isinstance(obj, dict) or set(obj) != want:
        raise MalformedInput(
            f"recipient: expected an object with fields {sorted(want)}, found {_shown(obj)}"
        )
    kind = obj["kind"]
    return Recipient(
        kind,
        _hex(f"{kind} public_key", obj["public_key"], PUBLIC_KEY_SIZE),
        _hex(f"{kind} wrapped_key", obj["wrapped_key"], WRAPPED_KEY_SIZE),
    )


def stream_reader(src: BinaryIO) -> Callable[[memoryview], int]:
    readinto: Callable[[memoryview], int | None] | None = getattr(src, "readinto", None)

    def via_read(view: memoryview) -> int:
        data = src.read(len(view))
        view[: len(data)] = data
        return len(data)

    def via_readinto(view: memoryview) -> int:
        assert readinto is not None
        n = readinto(view)
        if n is None:
            raise ValueError("source: expected a blocking stream, found one with no data ready")
        return n

    return via_read if readinto is None else via_readinto


def _read_exact(src: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, fewer only at the end of the stream."""
    buf = bytearray(size)
    read, view, got = stream_reader(src), memoryview(buf), 0
    while got < size and (n := read(view[got:])):
        got += n
    return bytes(buf[:got])


def read_header_bytes(src: BinaryIO) -> tuple[EnvelopeHeader, bytes]:
    preamble = _read_exact(src, _PREAMBLE.size)
    if len(preamble) < _PREAMBLE.size or preamble[:6] != MAGIC:
        raise MalformedInput(
            f"envelope: expected the magic {MAGIC!r}, version and header length, "
            f"found {_shown(preamble)}"
        )
    _, version, size = _PREAMBLE.unpack(preamble)
    if version != VERSION:
        raise MalformedInput(f"envelope version: expected {VERSION}, found {version}")
    if size > MAX_HEADER_SIZE:
        raise LimitExceeded(f"header: expected at most {MAX_HEADER_SIZE} bytes, found {size}")
    text = _read_exact(src, size)
    if len(text) != size:
        raise MalformedInput(
            f"header: expected {size} bytes, found {len(text)} (envelope truncated)"
        )
    header = EnvelopeHeader.from_json(parse_json_strict(text))
    raw = preamble + text
    if header.to_bytes() != raw:
        raise MalformedInput("header: expected canonical JSON (RFC 8785), found another encoding")
    return header, raw


def read_header(src: BinaryIO) -> EnvelopeHeader:
    """Read and validate the header; ``src`` is left at the first chunk.

    Raises:
        MalformedInput: wrong magic or version, truncated header, a header that is
            not canonical JSON or not a valid :class:`EnvelopeHeader`.
        LimitExceeded: the declared header length exceeds :data:`MAX_HEADER_SIZE`.
    """
    return read_header_bytes(src)[0]


def unwrap_key(header: EnvelopeHeader, recipient_kind: RecipientKind, secret: bytes) -> bytes:
    """Return the content key, unwrapped with the recipient's 32-byte secret key.

    Raises:
        MalformedInput: ``secret`` is not a secp256k1 secret key, or the kind is unknown.
        VerificationFailed: the secret belongs to another public key, the wrapped
            key fails authentication, or it does not match ``key_commitment``.
    """
    recipient = header.recipient(recipient_kind)
    mine = ecies.public_key(secret)
    if mine != recipient.public_key:
        raise VerificationFailed(
            f"secret: expected the key of the {recipient_kind} recipient "
            f"{recipient.public_key.hex()}, found the key of {mine.hex()}"
        )
    aad = canonicalize(header.context(), name="header")
    try:
        key = ecies.decrypt(secret, recipient.wrapped_key, aad, INFO_WRAP[recipient_kind])
    except VerificationFailed as e:
        raise VerificationFailed(
            f"the {recipient_kind}'s wrapped key failed authentication ({e})"
        ) from None
    if len(key) != KEY_SIZE or hkdf(key, INFO_COMMITMENT) != header.key_commitment:
        raise VerificationFailed(
            f"the {recipient_kind}'s wrapped key does not match the header's key_commitment"
        )
    return key
