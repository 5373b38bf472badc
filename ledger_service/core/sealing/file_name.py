"""A sealed bid's original file name, sealed under the envelope's own content key.

Evaluators need the bid's file name (``投标文件-商务标.pdf``), but before opening it
must stay as secret as the bid. The bidder's client encrypts it with AES-256-GCM
under ``HKDF-SHA256(ikm=content key, salt=envelope digest, info=INFO)`` with the
envelope digest as associated data, so only a holder of the content key (the bidder,
or anyone after opening) reads it, and it belongs to that one envelope. Blob:
``nonce (12) || ciphertext || tag (16)``.

The name is a label, not evidence: it is not committed on chain, and whoever holds
the content key after opening could seal another one. The bid's bytes are what its
commitments prove.

Pure: randomness injected. Raises MalformedInput for a bad name or blob and
VerificationFailed for a blob that does not open under the key.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ledger_service.core.errors import MalformedInput, VerificationFailed

INFO = b"chainwitness/sealed-envelope/file-name/v1"
NONCE_SIZE = 12
TAG_SIZE = 16
#: A file name of at most 255 UTF-8 bytes (ext4, NTFS and APFS limits).
MAX_NAME_BYTES = 255
MAX_BLOB_BYTES = NONCE_SIZE + MAX_NAME_BYTES + TAG_SIZE


def check_name(name: object) -> str:
    """``name`` if it is a plain file name: 1..255 UTF-8 bytes, no path, no control
    character, not ``.`` or ``..``. Raises MalformedInput naming the fault."""
    if not isinstance(name, str):
        raise MalformedInput(f"file name: expected text, found {type(name).__name__}")
    size = len(name.encode("utf-8", "surrogatepass"))
    if not 1 <= size <= MAX_NAME_BYTES:
        raise MalformedInput(f"file name: expected 1..{MAX_NAME_BYTES} UTF-8 bytes, found {size}")
    if "/" in name or "\\" in name or name in (".", "..") or name != name.strip():
        raise MalformedInput(f"file name: expected a name without a path, found {name!r}")
    if any(ord(c) < 0x20 or ord(c) == 0x7F or 0xD800 <= ord(c) <= 0xDFFF for c in name):
        raise MalformedInput(f"file name: expected no control characters, found {name!r}")
    return name


def _aead(content_key: bytes, envelope_digest: bytes) -> AESGCM:
    if len(content_key) != 32 or len(envelope_digest) != 32:
        raise MalformedInput(
            f"expected a 32-byte content key and envelope digest, found {len(content_key)} "
            f"and {len(envelope_digest)} bytes"
        )
    key = HKDF(hashes.SHA256(), 32, salt=envelope_digest, info=INFO).derive(content_key)
    return AESGCM(key)


def seal_name(
    content_key: bytes, envelope_digest: bytes, name: str,
    rng: Callable[[int], bytes] = os.urandom,
) -> bytes:  # fmt: skip
    """The sealed ``name`` for the envelope with ``envelope_digest``."""
    nonce = rng(NONCE_SIZE)
    data = check_name(name).encode()
    return nonce + _aead(content_key, envelope_digest).encrypt(nonce, data, envelope_digest)


def open_name(content_key: bytes, envelope_digest: bytes, blob: bytes) -> str:
    """The file name sealed in ``blob`` for that envelope (checked by :func:`check_name`)."""
    if not NONCE_SIZE + 1 + TAG_SIZE <= len(blob) <= MAX_BLOB_BYTES:
        raise MalformedInput(
            f"sealed file name: expected {NONCE_SIZE + 1 + TAG_SIZE}..{MAX_BLOB_BYTES} bytes, "
            f"found {len(blob)}"
        )
    try:
        data = _aead(content_key, envelope_digest).decrypt(
            blob[:NONCE_SIZE], blob[NONCE_SIZE:], envelope_digest
        )
    except InvalidTag:
        raise VerificationFailed(
            "sealed file name: expected it to open under the envelope's content key, found "
            "it does not (another envelope's, or altered)"
        ) from None
    try:
        return check_name(data.decode("utf-8"))
    except UnicodeDecodeError:
        raise MalformedInput("sealed file name: expected UTF-8, found other bytes") from None
