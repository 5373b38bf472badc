"""The key hand-over file: what a party gives the operator (no secret in it)."""

from __future__ import annotations

import json

import pytest

from ledger_service.core.errors import MalformedInput
from ledger_service.tenders.handover import MAX_BYTES, Handover

ADDR = "0x5aAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"  # EIP-55 test vector
PUB = "02" + "11" * 32


def test_round_trip_and_known_bytes() -> None:
    h = Handover("bidder", "某建设公司", ADDR.lower(), PUB, {"GC-1": ADDR})
    assert h.address == ADDR  # normalised to the checksum form
    again = Handover.from_bytes(h.to_bytes())
    assert again == h
    assert json.loads(h.to_bytes()) == {
        "format": "chainwitness/key-handover", "version": 1, "role": "bidder",
        "name": "某建设公司", "address": ADDR, "public_key": PUB, "pseudonyms": {"GC-1": ADDR},
    }  # fmt: skip
    assert h.pseudonym("GC-1") == ADDR


@pytest.mark.parametrize(
    ("mutate", "match"),
    [
        ({"role": "king"}, "role: expected one of bidder, custodian, notary, found 'king'"),
        ({"name": ""}, "name: expected 1..128 characters"),
        ({"address": "0x1234"}, "address: expected a 0x address"),
        ({"address": "0x5AAeb6053F3E94C9b9A09f33669435E7Ef1BeAed"}, "EIP-55 checksum"),
        ({"public_key": "04" + "11" * 32}, "public_key: expected a compressed secp256k1 key"),
        ({"pseudonyms": {"bad code!": ADDR}}, "pseudonyms: expected tender codes"),
        ({"format": "other"}, "expected format chainwitness/key-handover version 1"),
        ({"secret": "x"}, r"unexpected fields \['secret'\]"),
    ],
)
def test_refuses_malformed(mutate: dict[str, object], match: str) -> None:
    body = {**Handover("custodian", "公证处", ADDR, PUB).to_json(), **mutate}
    with pytest.raises(MalformedInput, match=match):
        Handover.from_bytes(json.dumps(body).encode())


def test_missing_pseudonym_says_what_to_run() -> None:
    h = Handover("bidder", "b", ADDR, PUB)
    with pytest.raises(MalformedInput, match=r"found none: the bidder runs `chainwitness key show"):
        h.pseudonym("GC-2")


def test_limits_and_garbage() -> None:
    with pytest.raises(MalformedInput, match=f"at most {MAX_BYTES} bytes"):
        Handover.from_bytes(b" " * (MAX_BYTES + 1))
    with pytest.raises(MalformedInput, match="expected JSON"):
        Handover.from_bytes(Handover("bidder", "b", ADDR, PUB).to_bytes() + b"x")
    with pytest.raises(MalformedInput, match="expected a JSON object, found list"):
        Handover.from_bytes(b"[]")
