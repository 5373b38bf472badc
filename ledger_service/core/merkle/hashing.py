"""RFC 9162 section 2.1 hashing: leaves, interior nodes, the empty tree."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

HASH_SIZE = 32
#: MTH({}) = SHA-256() (RFC 9162 section 2.1.1)
EMPTY_ROOT = hashlib.sha256(b"").digest()

LEAF_PREFIX = b"\x00"
NODE_PREFIX = b"\x01"
sha256 = hashlib.sha256

#: ``get(level, index)`` returns the hash of one perfect subtree
NodeGetter = Callable[[int, int], bytes]


def leaf_hash(data: bytes) -> bytes:
    """Return the RFC 9162 leaf hash ``SHA-256(0x00 || data)``."""
    return sha256(LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """Return the RFC 9162 interior node hash ``SHA-256(0x01 || left || right)``."""
    return sha256(NODE_PREFIX + left + right).digest()


def is_size(value: object) -> bool:
    # bool is an int subclass; True must not pass for a size of 1
    return type(value) is int


def describe(value: object) -> str:
    """How a would-be hash looks, for error messages (never echoes secrets or megabytes)."""
    return f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
