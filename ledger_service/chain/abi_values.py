"""Checks on values before they are ABI-encoded for a contract call (shared by the wrappers).

web3 would left-pad a short ``bytes32`` or accept a malformed address; a wrong
digest or party must fail here, with a message naming it, before anything is sent.
"""

from __future__ import annotations

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address

from ledger_service.core.errors import MalformedInput


def bytes32(name: str, value: bytes) -> bytes:
    """``value`` if it is exactly 32 bytes; MalformedInput naming ``name`` otherwise."""
    if not isinstance(value, bytes) or len(value) != 32:
        found = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise MalformedInput(f"expected {name} to be 32 bytes, found {found}")
    return value


def address(name: str, value: str) -> ChecksumAddress:
    """The checksummed form of a 20-byte 0x address; MalformedInput otherwise."""
    try:
        return to_checksum_address(value)
    except (ValueError, TypeError) as exc:
        raise MalformedInput(
            f"expected {name} to be a 20-byte 0x address, found {value!r}"
        ) from exc


def uint(name: str, value: int, maximum: int) -> int:
    """``value`` if it is an int in ``[0, maximum]``; MalformedInput otherwise."""
    if type(value) is not int or not 0 <= value <= maximum:
        raise MalformedInput(f"expected {name} in [0, {maximum}], found {value!r}")
    return value
