"""Sealed bid envelopes: a bid encrypted on the bidder's machine, opened at the opening.

An envelope is ``preamble || header || chunk 0 || ... || final chunk``: the preamble
is ``MAGIC``, a version byte and the header length (uint32, big-endian); the header
is RFC 8785 JSON naming the tender, the bidder and the two recipients of the
content key (the tender's opening key and the bidder's own key, each an ECIES
wrap). The document is encrypted in chunks with AES-256-GCM, STREAM-style (Hoang,
Reyhanitabar, Rogaway, Vizar 2015; as in Tink streaming AEAD and age): the nonce of
chunk ``i`` is ``nonce_prefix || uint32_be(i) || final``, and every chunk's
associated data is the SHA-256 of the header bytes, so reordering, truncation,
splicing and appending all fail. ``docs/sealed-envelope.md`` is the specification.

Both directions run in one pass with two preallocated buffers (about two chunks of
memory whatever the document size). Every byte goes through SHA-256 twice (the
envelope digest and the plaintext commitment), so for large chunks a helper thread
reads the input and hashes it while the caller runs AES-GCM and the other hash:
two cores, about 1.3 GB/s where one core hashes 1.8 GB/s. Randomness is injected
(``rng``); nothing here reads a clock or touches a file except :func:`open_to_path`.
"""

from __future__ import annotations

import hashlib
import os
import queue
import struct
import tempfile
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any, BinaryIO, ClassVar, Literal, Self

import coincurve
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger_service.core import ecies
from ledger_service.core._fields import address  # shared field checks
from ledger_service.core._fields import integer as _int
from ledger_service.core._fields import lower_hex as _hex
from ledger_service.core._fields import shown as _shown
from ledger_service.core.canonical import canonicalize, parse_json_strict
from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed

__all__ = [
    "ALG",
    "DEFAULT_CHUNK_SIZE",
    "MAGIC",
    "MAX_CHUNKS",
    "MAX_CHUNK_SIZE",
    "MAX_HEADER_SIZE",
    "MIN_CHUNK_SIZE",
    "EnvelopeHeader",
    "OpenResult",
    "Recipient",
    "RecipientKind",
    "SealResult",
    "open_stream",
    "open_to_path",
    "plaintext_salt",
    "read_header",
    "seal_stream",
    "unwrap_key",
]

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
_NONCE_TAIL = struct.Struct(">IB")  # chunk counter, final flag
_INFO_PAYLOAD_KEY = b"chainwitness/seal/v1 payload-key"
_INFO_SALT = b"chainwitness/seal/v1 plaintext-salt"
_INFO_COMMITMENT = b"chainwitness/seal/v1 key-commitment"
_INFO_WRAP: dict[str, bytes] = {
    "tender": b"chainwitness/seal/v1 wrap tender",
    "bidder": b"chainwitness/seal/v1 wrap bidder",
}
_KINDS: tuple[RecipientKind, RecipientKind] = ("tender", "bidder")
# below this a handoff to the helper thread costs more than the hashing it moves
_PARALLEL_MIN_CHUNK = 256 * 1024


# ---------------------------------------------------------------- field checks


def _bytes(name: str, value: object, size: int) -> bytes:
    if type(value) is not bytes or len(value) != size:
        found = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise MalformedInput(f"{name}: expected {size} bytes, found {found}")
    return value


def _public_key(name: str, value: object) -> bytes:
    key = _bytes(name, value, PUBLIC_KEY_SIZE)
    try:
        valid = key[0] in (2, 3) and coincurve.PublicKey(key).format(compressed=True) == key
    except ValueError:
        valid = False
    if not valid:
        raise MalformedInput(
            f"{name}: expected a compressed secp256k1 public key, found {key.hex()}"
        )
    return key


def _tender_id(value: object) -> str:
    if type(value) is not str or not 1 <= len(value) <= MAX_TENDER_ID_CHARS:
        raise MalformedInput(
            f"tender_id: expected 1..{MAX_TENDER_ID_CHARS} characters, found {_shown(value)}"
        )
    if not value.isprintable():
        raise MalformedInput(f"tender_id: expected printable text, found {_shown(value)}")
    return value


def _address(value: object) -> str:
    return address("bidder", value)


def _hkdf(key: bytes, info: bytes) -> bytes:
    return HKDF(hashes.SHA256(), KEY_SIZE, None, info).derive(key)


def plaintext_salt(content_key: bytes) -> bytes:
    """Return the salt of ``plaintext_commitment = SHA-256(salt || plaintext)``.

    Raises:
        MalformedInput: ``content_key`` is not 32 bytes.
    """
    return _hkdf(_bytes("content key", content_key, KEY_SIZE), _INFO_SALT)


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
        _public_key(f"{self.kind} public_key", self.public_key)
        _bytes(f"{self.kind} wrapped_key", self.wrapped_key, WRAPPED_KEY_SIZE)

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
        _int("chunk_size", self.chunk_size, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
        _bytes("nonce_prefix", self.nonce_prefix, NONCE_PREFIX_SIZE)
        _bytes("key_commitment", self.key_commitment, KEY_SIZE)
        _tender_id(self.tender_id)
        _address(self.bidder)
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
        return _context(
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


def _context(
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


def _read_exact(src: BinaryIO, size: int) -> bytes:
    """Read ``size`` bytes, fewer only at the end of the stream."""
    buf = bytearray(size)
    read, view, got = _reader(src), memoryview(buf), 0
    while got < size and (n := read(view[got:])):
        got += n
    return bytes(buf[:got])


def _read_header(src: BinaryIO) -> tuple[EnvelopeHeader, bytes]:
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
    return _read_header(src)[0]


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
        key = ecies.decrypt(secret, recipient.wrapped_key, aad, _INFO_WRAP[recipient_kind])
    except VerificationFailed as e:
        raise VerificationFailed(
            f"the {recipient_kind}'s wrapped key failed authentication ({e})"
        ) from None
    if len(key) != KEY_SIZE or _hkdf(key, _INFO_COMMITMENT) != header.key_commitment:
        raise VerificationFailed(
            f"the {recipient_kind}'s wrapped key does not match the header's key_commitment"
        )
    return key


# ---------------------------------------------------------------- streaming


@dataclass(frozen=True, slots=True)
class SealResult:
    """Digests of a sealed envelope (each 32 bytes) and its sizes in bytes."""

    ciphertext_sha256: bytes
    envelope_digest: bytes
    plaintext_commitment: bytes
    plaintext_size: int
    ciphertext_size: int


@dataclass(frozen=True, slots=True)
class OpenResult:
    """What opening computed: equal to the :class:`SealResult` of the same envelope."""

    plaintext_size: int
    plaintext_commitment: bytes
    ciphertext_sha256: bytes
    envelope_digest: bytes


class _ReadAhead:
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
        self._refill, self._view = _filler(src, buf, limit), memoryview(buf)
        self._limit, self._update = limit, update
        self._stop = self._holding = False
        self._thread: threading.Thread | None = None
        if limit >= _PARALLEL_MIN_CHUNK:
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


def _reader(src: BinaryIO) -> Callable[[memoryview], int]:
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


def _filler(src: BinaryIO, buf: bytearray, size: int) -> Callable[[], int]:
    """Return ``refill()``: carry ``buf[size]`` (the lookahead byte) to ``buf[0]``, read
    until ``buf`` is full or the stream ends, and return the bytes now in ``buf``.

    A chunk is final iff no byte follows it, so each chunk is read with one byte of
    lookahead; the first call, with nothing to carry, starts at 0.
    """
    read, view = _reader(src), memoryview(buf)
    carry = 0

    def refill() -> int:
        nonlocal carry
        if carry:
            buf[0] = buf[size]
        got = carry
        while got < len(buf):
            n = read(view[got:])
            if not n:
                break
            got += n
        carry = 1
        return got

    return refill


def _write_all(dst: BinaryIO, view: memoryview) -> None:
    while view:
        n = dst.write(view)
        if n is None:
            raise ValueError("destination: expected a blocking stream, found one that is full")
        view = view[n:]


def _nonce(prefix: bytes, index: int, final: bool) -> bytes:
    return prefix + _NONCE_TAIL.pack(index, final)


def seal_stream(
    src: BinaryIO,
    dst: BinaryIO,
    *,
    tender_id: str,
    bidder: str,
    tender_public_key: bytes,
    bidder_public_key: bytes,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    rng: Callable[[int], bytes] = os.urandom,
    progress: Callable[[int], None] | None = None,
) -> SealResult:
    """Encrypt ``src`` to ``dst`` as an envelope; read each byte once, hold ~2 chunks.

    ``rng`` is called for the content key (32 bytes), the nonce prefix (7), then by
    ``ecies.encrypt`` for the tender's wrap and the bidder's wrap, in that order.
    ``progress``, if given, receives the plaintext bytes sealed so far after each
    chunk. ``src`` may be read from a helper thread.

    Raises:
        MalformedInput: a bad argument (chunk size out of range, tender id, bidder
            address, a public key that is not a compressed secp256k1 point).
        LimitExceeded: the document needs more than :data:`MAX_CHUNKS` chunks.
        ValueError: a non-blocking stream; OSError and the like from the streams
            pass through unchanged.
    """
    _int("chunk_size", chunk_size, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
    _public_key("tender public_key", tender_public_key)
    _public_key("bidder public_key", bidder_public_key)
    content_key = _bytes("rng output", rng(KEY_SIZE), KEY_SIZE)
    prefix = _bytes("rng output", rng(NONCE_PREFIX_SIZE), NONCE_PREFIX_SIZE)
    commitment = _hkdf(content_key, _INFO_COMMITMENT)
    aad = canonicalize(
        _context(chunk_size, prefix, commitment, _tender_id(tender_id), _address(bidder)),
        name="header",
    )
    recipients = (
        Recipient("tender", tender_public_key, ecies.encrypt(
            tender_public_key, content_key, aad, _INFO_WRAP["tender"], rng)),
        Recipient("bidder", bidder_public_key, ecies.encrypt(
            bidder_public_key, content_key, aad, _INFO_WRAP["bidder"], rng)),
    )  # fmt: skip
    head = EnvelopeHeader(chunk_size, prefix, commitment, tender_id, bidder, recipients).to_bytes()
    envelope_digest = hashlib.sha256(head).digest()
    file_hash = hashlib.sha256(head)
    plain_hash = hashlib.sha256(plaintext_salt(content_key))
    aead = AESGCM(_hkdf(content_key, _INFO_PAYLOAD_KEY))
    _write_all(dst, memoryview(head))

    pbuf = bytearray(chunk_size + 1)
    pview, cview = memoryview(pbuf), memoryview(bytearray(chunk_size + TAG_SIZE))
    index = plain_size = 0
    with _ReadAhead(src, pbuf, chunk_size, plain_hash.update) as chunks:
        while True:
            got = chunks.next()
            if index >= MAX_CHUNKS:
                raise LimitExceeded(
                    f"document: expected at most {MAX_CHUNKS} chunks of {chunk_size} bytes, "
                    "found more"
                )
            final = got <= chunk_size
            n = got if final else chunk_size
            sealed = cview[: n + TAG_SIZE]
            aead.encrypt_into(_nonce(prefix, index, final), pview[:n], envelope_digest, sealed)
            chunks.consumed()
            file_hash.update(sealed)
            _write_all(dst, sealed)
            plain_size += n
            if progress is not None:
                progress(plain_size)
            if final:
                break
            index += 1
    return SealResult(
        file_hash.digest(),
        envelope_digest,
        plain_hash.digest(),
        plain_size,
        len(head) + plain_size + (index + 1) * TAG_SIZE,
    )


def open_stream(
    src: BinaryIO,
    dst: BinaryIO,
    content_key: bytes,
    *,
    progress: Callable[[int], None] | None = None,
) -> OpenResult:
    """Decrypt the envelope in ``src`` (read from its first byte) to ``dst``.

    Each chunk is written to ``dst`` only after it authenticates, but the document
    is complete only if this returns: on an exception ``dst`` holds a prefix that
    the caller MUST discard. Write to a temporary file and rename it on success
    (:func:`open_to_path` does). ``progress`` receives the plaintext bytes so far;
    ``src`` may be read from a helper thread.

    Raises:
        MalformedInput, LimitExceeded: as :func:`read_header`; a key not 32 bytes.
        VerificationFailed: the key does not match ``key_commitment``; "chunk N
            failed authentication"; "envelope ends inside chunk N"; "envelope ends
            without a final chunk"; "data after the final chunk"; an empty final
            chunk after other chunks (docs/sealed-envelope.md, section 7).
        ValueError, OSError: as :func:`seal_stream`.
    """
    header, head = _read_header(src)
    key = _bytes("content key", content_key, KEY_SIZE)
    if _hkdf(key, _INFO_COMMITMENT) != header.key_commitment:
        raise VerificationFailed("content key: does not match the header's key_commitment")
    size, prefix = header.chunk_size, header.nonce_prefix
    envelope_digest = hashlib.sha256(head).digest()
    file_hash = hashlib.sha256(head)
    plain_hash = hashlib.sha256(plaintext_salt(key))
    aead = AESGCM(_hkdf(key, _INFO_PAYLOAD_KEY))

    def authentic(index: int, final: bool, sealed: memoryview, out: memoryview) -> bool:
        try:
            aead.decrypt_into(_nonce(prefix, index, final), sealed, envelope_digest, out)
        except InvalidTag:
            return False
        return True

    full = size + TAG_SIZE
    rbuf = bytearray(full + 1)
    rview, pview = memoryview(rbuf), memoryview(bytearray(size))
    index = plain_size = 0
    with _ReadAhead(src, rbuf, full, file_hash.update) as chunks:
        while True:
            got = chunks.next()
            more = got > full  # a byte follows: this chunk cannot be the final one
            n = full if more else got
            if n == 0:
                raise VerificationFailed(
                    "envelope ends without a final chunk: no chunk follows the header"
                )
            if n < TAG_SIZE:
                raise VerificationFailed(
                    f"envelope ends inside chunk {index}: found {n} bytes, "
                    f"expected at least the {TAG_SIZE}-byte tag"
                )
            sealed, plain = rview[:n], pview[: n - TAG_SIZE]
            if not authentic(index, not more, sealed, plain):
                # Only on failure is the other flag tried, to say what went wrong.
                if more and authentic(index, True, sealed, plain):
                    raise VerificationFailed(
                        f"data after the final chunk: chunk {index} is final, yet more bytes follow"
                    )
                if not more and n == full and authentic(index, False, sealed, plain):
                    raise VerificationFailed(
                        f"envelope ends without a final chunk: chunk {index} is not final "
                        "and nothing follows it"
                    )
                raise VerificationFailed(
                    f"chunk {index} failed authentication: wrong key, or the envelope was "
                    "altered, truncated or extended"
                )
            chunks.consumed()
            if not plain and index > 0:
                raise VerificationFailed(
                    f"chunk {index}: expected a non-empty final chunk after other chunks, "
                    "found an empty one"
                )
            plain_hash.update(plain)
            _write_all(dst, plain)
            plain_size += len(plain)
            if progress is not None:
                progress(plain_size)
            if not more:
                break
            index += 1
            if index >= MAX_CHUNKS:
                raise VerificationFailed(
                    f"envelope: expected at most {MAX_CHUNKS} chunks, found more"
                )
    return OpenResult(plain_size, plain_hash.digest(), file_hash.digest(), envelope_digest)


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
    succeeds; on any failure it is removed and ``dst_path`` is left as it was.

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
