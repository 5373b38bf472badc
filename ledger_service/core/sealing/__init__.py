"""Sealed bid envelopes: a bid encrypted on the bidder's machine, opened at the opening.

:mod:`.envelope` is the format (preamble, RFC 8785 header, the content key wrapped
to the tender's opening key and to the bidder's own key, key commitment);
:mod:`.stream` the chunked AES-256-GCM STREAM encryption. ``docs/sealed-envelope.md``
is the specification. Pure: randomness injected, no clock, file or thread (the
shell's read-ahead thread and files are ``ledger_service.tenders.envelope_files``).
"""

from ledger_service.core.sealing.envelope import (
    ALG,
    DEFAULT_CHUNK_SIZE,
    MAGIC,
    MAX_CHUNK_SIZE,
    MAX_CHUNKS,
    MAX_HEADER_SIZE,
    MIN_CHUNK_SIZE,
    EnvelopeHeader,
    Recipient,
    RecipientKind,
    plaintext_salt,
    read_header,
    unwrap_key,
)
from ledger_service.core.sealing.stream import (
    ChunkSource,
    ChunkSourceFactory,
    InlineChunks,
    OpenResult,
    SealResult,
    open_stream,
    seal_stream,
)

__all__ = [
    "ALG",
    "DEFAULT_CHUNK_SIZE",
    "MAGIC",
    "MAX_CHUNKS",
    "MAX_CHUNK_SIZE",
    "MAX_HEADER_SIZE",
    "MIN_CHUNK_SIZE",
    "ChunkSource",
    "ChunkSourceFactory",
    "EnvelopeHeader",
    "InlineChunks",
    "OpenResult",
    "Recipient",
    "RecipientKind",
    "SealResult",
    "open_stream",
    "plaintext_salt",
    "read_header",
    "seal_stream",
    "unwrap_key",
]
