"""Field checks shared by the core's wire formats (private to ``ledger_service``).

Each check takes the field's ``name`` (for the message) and a ``value`` from a
constructor or a parsed JSON document, returns the value typed, and raises
:class:`MalformedInput` with "expected X, found Y" otherwise. One home for them,
so every wire object words the same mistake the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Set
from typing import Any, ClassVar

from eth_hash.auto import keccak

from ledger_service.core.canonical import MAX_SAFE_INTEGER
from ledger_service.core.errors import MalformedInput

HEX_DIGITS = "0123456789abcdef"
_HEX_TEXT = re.compile(r"0x[0-9a-f]*")


# ---------------------------------------------------------------- showing a value


def shown(value: object) -> str:
    """``repr(value)``, shortened past 80 characters (a message never carries a blob)."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}... ({len(text)} chars)"


def shown_size(value: object) -> str:
    """Like :func:`shown`, but bytes and sequences shown by their size only."""
    if isinstance(value, bytes):
        return f"{len(value)} bytes"
    if isinstance(value, list | tuple):
        return f"{len(value)} items"
    return shown(value)


# ---------------------------------------------------------------- scalars


def integer(name: str, value: object, low: int, high: int = MAX_SAFE_INTEGER) -> int:
    """An ``int`` (never a ``bool``) with ``low <= value <= high``."""
    if type(value) is not int:
        raise MalformedInput(f"{name}: expected an integer, found {type(value).__name__}")
    if not low <= value <= high:
        raise MalformedInput(f"{name}: expected {low} <= {name} <= {high}, found {value}")
    return value


def is_lower_hex(text: str, digits: int) -> bool:
    """True iff ``text`` is exactly ``digits`` lowercase hex digits."""
    # strip() leaves nothing iff every character is a lowercase hex digit
    return len(text) == digits and not text.strip(HEX_DIGITS)


def lower_hex(
    name: str, value: object, size: int, *, show: Callable[[object], str] = shown
) -> bytes:
    """``2 * size`` lowercase hex digits without ``0x``, decoded; ``show`` renders a bad value."""
    if type(value) is not str or not is_lower_hex(value, 2 * size):
        raise MalformedInput(
            f"{name}: expected {2 * size} lowercase hex digits, found {show(value)}"
        )
    return bytes.fromhex(value)


def hex_text(name: str, value: object, nbytes: int | None = None, *, even: bool = True) -> str:
    """JSON-RPC data: ``0x`` + lowercase hex (an even count unless ``even`` is False),
    of exactly ``nbytes`` bytes when given."""
    if type(value) is not str or not _HEX_TEXT.fullmatch(value) or (even and len(value) % 2):
        raise MalformedInput(f"{name}: expected 0x and lowercase hex bytes, found {value!r}")
    if nbytes is not None and len(value) != 2 + 2 * nbytes:
        raise MalformedInput(f"{name}: expected {nbytes} bytes of hex, found {value!r}")
    return value


def quantity(name: str, value: object) -> int:
    """A JSON-RPC quantity: ``0x`` + lowercase hex without leading zeros, as an int."""
    text = hex_text(name, value, even=False)
    if text == "0x" or (len(text) > 3 and text[2] == "0"):
        raise MalformedInput(f"{name}: expected a hex quantity without leading zeros, found {text}")
    return int(text, 16)


def checksummed(hex40: str) -> str:
    """EIP-55: uppercase each letter whose nibble in keccak256(lowercase hex) is >= 8."""
    lower = hex40.lower()
    nibbles = keccak(lower.encode("ascii")).hex()[: len(lower)]
    return "0x" + "".join(
        c.upper() if int(d, 16) >= 8 else c for c, d in zip(lower, nibbles, strict=True)
    )


def address(name: str, value: object) -> str:
    """An Ethereum address in its EIP-55 checksummed spelling."""
    if type(value) is not str or value[:2] != "0x" or not is_lower_hex(value[2:].lower(), 40):
        raise MalformedInput(f"{name}: expected 0x and 40 hex digits, found {shown(value)}")
    want = checksummed(value[2:])
    if value != want:
        raise MalformedInput(f"{name}: expected the EIP-55 checksummed {want}, found {value}")
    return value


# ---------------------------------------------------------------- objects


def exact_fields(name: str, value: object, fields: Set[str]) -> Mapping[str, Any]:
    """A JSON object with exactly the members ``fields``."""
    if not isinstance(value, Mapping):
        raise MalformedInput(f"{name}: expected an object, found {type(value).__name__}")
    keys = set(value)
    if keys != fields:
        raise MalformedInput(
            f"{name}: expected exactly the fields {sorted(fields)}, found missing "
            f"{sorted(fields - keys)} and unknown {sorted(map(str, keys - fields))}"
        )
    return value


def formatted(
    name: str, value: object, fields: Set[str], fmt: str, version: int
) -> Mapping[str, Any]:
    """:func:`exact_fields`, and its ``format`` and ``version`` members are ``fmt``, ``version``."""
    obj = exact_fields(name, value, fields)
    if obj["format"] != fmt or obj["version"] != version:
        raise MalformedInput(
            f"{name}: expected format {fmt!r} version {version}, "
            f"found {obj['format']!r} version {obj['version']!r}"
        )
    return obj


class Wire:
    """What a versioned wire object declares: its ``format`` name, ``version`` and fields."""

    __slots__ = ()
    FORMAT: ClassVar[str]
    VERSION: ClassVar[int]
    FIELDS: ClassVar[tuple[str, ...]]


def wire_fields(obj: object, cls: type[Wire]) -> Mapping[str, Any]:
    """Check a JSON object's format, version and exact field set for ``cls``."""
    o = exact_fields(cls.FORMAT, obj, {"format", "version", *cls.FIELDS})
    if o["format"] != cls.FORMAT:
        raise MalformedInput(f"format: expected {cls.FORMAT!r}, found {shown(o['format'])}")
    if type(o["version"]) is not int or o["version"] != cls.VERSION:
        raise MalformedInput(
            f"{cls.FORMAT} version: expected {cls.VERSION}, found {shown(o['version'])}"
        )
    return o


def wire_header(cls: type[Wire]) -> dict[str, Any]:
    """The ``format`` and ``version`` members of ``cls``'s JSON."""
    return {"format": cls.FORMAT, "version": cls.VERSION}
