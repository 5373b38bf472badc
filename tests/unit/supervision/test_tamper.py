import pytest

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import MalformedInput
from ledger_service.supervision.tamper import FieldChange, Recorded, compare

BID = {"id": "bid-7", "bidder": "F1", "price": 1_000_000, "items": [{"n": 1}], "open": True}


def _recorded(*records: dict) -> dict[str, Recorded]:
    return {r["id"]: Recorded(canonicalize(r), f"leaf:{r['id']}") for r in records}


def test_unchanged_records_give_no_finding() -> None:
    assert compare([dict(BID), {"id": "bid-8"}], _recorded(BID, {"id": "bid-8"})) == []


def test_a_changed_price_shows_before_and_after() -> None:
    live = {**BID, "price": 900_000, "items": [{"n": 1}, {"n": 2}], "note": "x"}
    del live["open"]
    [finding] = compare([live], _recorded(BID))
    assert (finding.record_id, finding.status, finding.ref) == ("bid-7", "modified", "leaf:bid-7")
    assert finding.changes == (
        FieldChange("/items/1", "added", None, {"n": 2}),
        FieldChange("/note", "added", None, "x"),
        FieldChange("/open", "removed", True, None),
        FieldChange("/price", "changed", 1_000_000, 900_000),
    )
    assert (
        finding.zh
        == "记录bid-7与链上存证版本不一致，被修改的字段：/items/1、/note、/open、/price。"
    )


def test_deleted_and_unrecorded_records() -> None:
    findings = compare([{"id": "new-1"}], _recorded(BID))
    assert [(f.record_id, f.status, f.ref) for f in findings] == [("bid-7", "missing", "leaf:bid-7"),
                                                                  ("new-1", "unrecorded", None)]  # fmt: skip


def test_numbers_compare_by_value_but_booleans_are_not_numbers() -> None:
    assert compare([{**BID, "price": 1_000_000.0}], _recorded(BID)) == []
    [finding] = compare([{**BID, "open": 1}], _recorded(BID))
    assert finding.changes == (FieldChange("/open", "changed", True, 1),)


def test_pointer_escapes_slash_and_tilde() -> None:
    [finding] = compare([{"id": "r", "a/b~": 2}], _recorded({"id": "r", "a/b~": 1}))
    assert finding.changes[0].path == "/a~1b~0"


def test_bad_inputs_are_refused() -> None:
    with pytest.raises(
        MalformedInput, match=r"current\[1\]: expected unique 'id' values, found 'bid-7' twice"
    ):
        compare([BID, BID], {})
    with pytest.raises(
        MalformedInput, match=r"current\[0\]: expected an object with a string 'id', found None"
    ):
        compare([{"price": 1}], {})
    with pytest.raises(MalformedInput, match=r"recorded\['bid-7'\]: expected the canonical JSON"):
        compare([BID], {"bid-7": Recorded(b'{"price": 1, "id": "bid-7"}', "leaf")})
