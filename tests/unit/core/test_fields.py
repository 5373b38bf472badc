"""The shared field checks: exact messages, exact boundaries."""

from __future__ import annotations

import pytest

from ledger_service.core._fields import (
    Wire,
    address,
    exact_fields,
    formatted,
    hex_text,
    integer,
    lower_hex,
    quantity,
    shown,
    shown_size,
    wire_fields,
    wire_header,
)
from ledger_service.core.canonical import MAX_SAFE_INTEGER
from ledger_service.core.errors import MalformedInput

# EIP-55's own test vector (https://eips.ethereum.org/EIPS/eip-55)
EIP55 = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"


def test_shown_shortens_long_values() -> None:
    assert shown("ab") == "'ab'"
    assert shown("x" * 78) == repr("x" * 78)  # 80 characters with the quotes
    assert shown("x" * 79) == repr("x" * 79)[:60] + "... (81 chars)"
    assert (shown_size(b"abc"), shown_size([1, 2]), shown_size("ab")) == (
        "3 bytes",
        "2 items",
        "'ab'",
    )


def test_integer_bounds_are_inclusive() -> None:
    assert integer("n", 1, 1, 3) == 1 and integer("n", 3, 1, 3) == 3
    assert integer("n", MAX_SAFE_INTEGER, 0) == MAX_SAFE_INTEGER
    with pytest.raises(MalformedInput, match="n: expected 1 <= n <= 3, found 4"):
        integer("n", 4, 1, 3)
    with pytest.raises(MalformedInput, match="n: expected an integer, found bool"):
        integer("n", True, 0, 3)


def test_hex_checks() -> None:
    assert lower_hex("h", "00ff", 2) == b"\x00\xff"
    with pytest.raises(MalformedInput, match="h: expected 4 lowercase hex digits, found '00FF'"):
        lower_hex("h", "00FF", 2)
    with pytest.raises(MalformedInput, match="h: expected 4 lowercase hex digits, found 2 items"):
        lower_hex("h", [1, 2], 2, show=shown_size)
    assert hex_text("d", "0x") == "0x" and hex_text("q", "0xabc", even=False) == "0xabc"
    with pytest.raises(
        MalformedInput, match="d: expected 0x and lowercase hex bytes, found '0xabc'"
    ):
        hex_text("d", "0xabc")
    with pytest.raises(MalformedInput, match="d: expected 2 bytes of hex, found '0xab'"):
        hex_text("d", "0xab", 2)
    assert (quantity("q", "0x0"), quantity("q", "0x1c")) == (0, 28)
    for bad in ("0x", "0x01"):
        with pytest.raises(
            MalformedInput, match="q: expected a hex quantity without leading zeros"
        ):
            quantity("q", bad)


def test_address_wants_the_eip55_spelling() -> None:
    assert address("a", EIP55) == EIP55
    with pytest.raises(MalformedInput, match=f"a: expected the EIP-55 checksummed {EIP55}"):
        address("a", EIP55.lower())
    with pytest.raises(MalformedInput, match="a: expected 0x and 40 hex digits, found '0x12'"):
        address("a", "0x12")


def test_object_checks() -> None:
    assert exact_fields("o", {"a": 1}, {"a"}) == {"a": 1}
    with pytest.raises(MalformedInput, match="o: expected an object, found list"):
        exact_fields("o", [], {"a"})
    with pytest.raises(
        MalformedInput,
        match=r"o: expected exactly the fields \['a'\], found missing \['a'\] "
        r"and unknown \['b'\]",
    ):
        exact_fields("o", {"b": 1}, {"a"})
    fields = {"format", "version"}
    with pytest.raises(
        MalformedInput, match="o: expected format 'f' version 1, found 'f' version 2"
    ):
        formatted("o", {"format": "f", "version": 2}, fields, "f", 1)


class Thing(Wire):
    FORMAT = "chainwitness/thing"
    VERSION = 1
    FIELDS = ("n",)


def test_wire_objects() -> None:
    good = {**wire_header(Thing), "n": 1}
    assert wire_fields(good, Thing) == good
    with pytest.raises(MalformedInput, match="format: expected 'chainwitness/thing', found 'x'"):
        wire_fields({**good, "format": "x"}, Thing)
    with pytest.raises(MalformedInput, match="chainwitness/thing version: expected 1, found True"):
        wire_fields({**good, "version": True}, Thing)
