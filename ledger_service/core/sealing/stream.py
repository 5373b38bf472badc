"""Sealed bid envelopes: the chunked AES-256-GCM stream (STREAM construction).

The document is encrypted in chunks with AES-256-GCM, STREAM-style (Hoang,
Reyhanitabar, Rogaway, Vizar 2015; as in Tink streaming AEAD and age): the nonce of
chunk ``i`` is ``nonce_prefix || uint32_be(i) || final``, and every chunk's
associated data is the SHA-256 of the header bytes, so reordering, truncation,
splicing and appending all fail.

Both directions run in one pass with two preallocated buffers (about two chunks of
memory whatever the document size). How the input is read and hashed is injected
(:class:`ChunkSource`): inline here, on a helper thread in the shell
(``ledger_service.tenders.envelope_files``), which is where the second core helps.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import BinaryIO, Protocol, Self

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ledger_service.core import ecies
from ledger_service.core._fields import integer as check_int
from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import LimitExceeded, VerificationFailed
from ledger_service.core.sealing.envelope import (
    DEFAULT_CHUNK_SIZE,
    INFO_COMMITMENT,
    INFO_PAYLOAD_KEY,
    INFO_WRAP,
    KEY_SIZE,
    MAX_CHUNK_SIZE,
    MAX_CHUNKS,
    MIN_CHUNK_SIZE,
    NONCE_PREFIX_SIZE,
    NONCE_TAIL,
    TAG_SIZE,
    EnvelopeHeader,
    Recipient,
    check_address,
    check_bytes,
    check_public_key,
    check_tender_id,
    header_context,
    hkdf,
    plaintext_salt,
    read_header_bytes,
    stream_reader,
)


class ChunkSource(Protocol):
    """The input, chunk by chunk, hashed with ``update`` as it is read.

    ``next()`` returns the bytes now in the buffer (a chunk is ``buf[:limit]``, and it
    is the last one iff ``got <= limit``: one byte of lookahead); ``consumed()`` says
    the caller no longer reads the buffer. Used as a context manager: leaving it
    completes (or abandons) the hash.
    """

    def next(self) -> int: ...

    def consumed(self) -> None: ...

    def __enter__(self) -> Self: ...

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


#: builds a :class:`ChunkSource` over ``(src, buf, limit, update)``
ChunkSourceFactory = Callable[[BinaryIO, bytearray, int, Callable[[memoryview], None]], ChunkSource]


class InlineChunks:
    """:class:`ChunkSource` that reads and hashes on the caller's thread."""

    def __init__(
        self, src: BinaryIO, buf: bytearray, limit: int, update: Callable[[memoryview], None]
    ) -> None:
        self._refill, self._view = chunk_filler(src, buf, limit), memoryview(buf)
        self._limit, self._update = limit, update

    def next(self) -> int:
        got = self._refill()
        self._update(self._view[: min(got, self._limit)])
        return got

    def consumed(self) -> None:
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


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


def chunk_filler(src: BinaryIO, buf: bytearray, size: int) -> Callable[[], int]:
    """Return ``refill()``: carry ``buf[size]`` (the lookahead byte) to ``buf[0]``, read
    until ``buf`` is full or the stream ends, and return the bytes now in ``buf``.

    A chunk is final iff no byte follows it, so each chunk is read with one byte of
    lookahead; the first call, with nothing to carry, starts at 0.
    """
    read, view = stream_reader(src), memoryview(buf)
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
    return prefix + NONCE_TAIL.pack(index, final)


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
    chunks: ChunkSourceFactory = InlineChunks,
    max_chunks: int = MAX_CHUNKS,
) -> SealResult:
    """Encrypt ``src`` to ``dst`` as an envelope; read each byte once, hold ~2 chunks.

    ``rng`` is called for the content key (32 bytes), the nonce prefix (7), then by
    ``ecies.encrypt`` for the tender's wrap and the bidder's wrap, in that order.
    ``progress``, if given, receives the plaintext bytes sealed so far after each
    chunk. ``chunks`` reads the input (default inline; the shell passes a read-ahead
    thread); ``max_chunks`` is the format's limit, smaller only in tests.

    Raises:
        MalformedInput: a bad argument (chunk size out of range, tender id, bidder
            address, a public key that is not a compressed secp256k1 point).
        LimitExceeded: the document needs more than :data:`MAX_CHUNKS` chunks.
        ValueError: a non-blocking stream; OSError and the like from the streams
            pass through unchanged.
    """
    check_int("chunk_size", chunk_size, MIN_CHUNK_SIZE, MAX_CHUNK_SIZE)
    check_public_key("tender public_key", tender_public_key)
    check_public_key("bidder public_key", bidder_public_key)
    content_key = check_bytes("rng output", rng(KEY_SIZE), KEY_SIZE)
    prefix = check_bytes("rng output", rng(NONCE_PREFIX_SIZE), NONCE_PREFIX_SIZE)
    commitment = hkdf(content_key, INFO_COMMITMENT)
    aad = canonicalize(
        header_context(
            chunk_size, prefix, commitment, check_tender_id(tender_id), check_address(bidder)
        ),
        name="header",
    )
    recipients = (
        Recipient("tender", tender_public_key, ecies.encrypt(
            tender_public_key, content_key, aad, INFO_WRAP["tender"], rng)),
        Recipient("bidder", bidder_public_key, ecies.encrypt(
            bidder_public_key, content_key, aad, INFO_WRAP["bidder"], rng)),
    )  # fmt: skip
    head = EnvelopeHeader(chunk_size, prefix, commitment, tender_id, bidder, recipients).to_bytes()
    envelope_digest = hashlib.sha256(head).digest()
    file_hash = hashlib.sha256(head)
    plain_hash = hashlib.sha256(plaintext_salt(content_key))
    aead = AESGCM(hkdf(content_key, INFO_PAYLOAD_KEY))
    _write_all(dst, memoryview(head))

    pbuf = bytearray(chunk_size + 1)
    pview, cview = memoryview(pbuf), memoryview(bytearray(chunk_size + TAG_SIZE))
    index = plain_size = 0
    with chunks(src, pbuf, chunk_size, plain_hash.update) as source:
        while True:
            got = source.next()
            if index >= max_chunks:
                raise LimitExceeded(
                    f"document: expected at most {max_chunks} chunks of {chunk_size} bytes, "
                    "found more"
                )
            final = got <= chunk_size
            n = got if final else chunk_size
            sealed = cview[: n + TAG_SIZE]
            aead.encrypt_into(_nonce(prefix, index, final), pview[:n], envelope_digest, sealed)
            source.consumed()
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
    chunks: ChunkSourceFactory = InlineChunks,
    max_chunks: int = MAX_CHUNKS,
) -> OpenResult:
    """Decrypt the envelope in ``src`` (read from its first byte) to ``dst``.

    Each chunk is written to ``dst`` only after it authenticates, but the document
    is complete only if this returns: on an exception ``dst`` holds a prefix that
    the caller MUST discard. Write to a temporary file and rename it on success
    (``ledger_service.tenders.envelope_files.open_to_path`` does). ``progress``
    receives the plaintext bytes so far; ``chunks`` and ``max_chunks`` as in
    :func:`seal_stream`.

    Raises:
        MalformedInput, LimitExceeded: as :func:`read_header`; a key not 32 bytes.
        VerificationFailed: the key does not match ``key_commitment``; "chunk N
            failed authentication"; "envelope ends inside chunk N"; "envelope ends
            without a final chunk"; "data after the final chunk"; an empty final
            chunk after other chunks (docs/sealed-envelope.md, section 7).
        ValueError, OSError: as :func:`seal_stream`.
    """
    header, head = read_header_bytes(src)
    key = check_bytes("content key", content_key, KEY_SIZE)
    if hkdf(key, INFO_COMMITMENT) != header.key_commitment:
        raise VerificationFailed("content key: does not match the header's key_commitment")
    size, prefix = header.chunk_size, header.nonce_prefix
    envelope_digest = hashlib.sha256(head).digest()
    file_hash = hashlib.sha256(head)
    plain_hash = hashlib.sha256(plaintext_salt(key))
    aead = AESGCM(hkdf(key, INFO_PAYLOAD_KEY))

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
    with chunks(src, rbuf, full, file_hash.update) as source:
        while True:
            got = source.next()
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
            source.consumed()
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
            if index >= max_chunks:
                raise VerificationFailed(
                    f"envelope: expected at most {max_chunks} chunks, found more"
                )
    return OpenResult(plain_size, plain_hash.digest(), file_hash.digest(), envelope_digest)
