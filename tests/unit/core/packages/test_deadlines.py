"""Step 8a: bids on time by witnessed time (``core/packages/deadlines.py``)."""

from __future__ import annotations

import pytest

from ledger_service.core.checkpoints import Witnessed, WitnessQuorum, verify_witnessed
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.packages.deadlines import check_bid_deadlines, first_witnessed
from ledger_service.core.records import EvidenceRecord
from tests.unit.core.packages.test_witnessed import LOG, NOW, ORIGIN, WITNESSES, checkpoint

SUBJECT = "tender:GC-1"
QUORUM = WitnessQuorum(tuple(w.verifier_key for w in WITNESSES), 2)


def _witnessed(size: int, at: int) -> Witnessed:
    return verify_witnessed(checkpoint(size, at=at), LOG.verifier_key, ORIGIN, QUORUM, NOW)


def _rec(kind: str, **meta: object) -> EvidenceRecord:
    return EvidenceRecord.create(kind=kind, subject=SUBJECT, actor="bidder:acme",
                                 digests={"sha256": "ab" * 32}, metadata=meta)  # fmt: skip


def test_a_bid_is_judged_by_the_first_witnessed_head_holding_it() -> None:
    heads = {3: _witnessed(3, NOW - 100), 6: _witnessed(6, NOW - 10)}
    assert first_witnessed(1, heads) is heads[3] and first_witnessed(4, heads) is heads[6]
    assert first_witnessed(6, heads) is None
    records = {0: _rec("tender.announced", bid_deadline=NOW - 50), 1: _rec("tender.bid_submitted")}
    [line] = check_bid_deadlines(records, heads, "pinned")
    assert line.item == "records/1.json" and line.trust == "pinned"
    assert line.text.startswith("on time: bid by 'bidder:acme' first witnessed at ")
    assert f"by the deadline {NOW - 50}" in line.text


def test_a_bid_first_witnessed_after_the_deadline_fails_naming_both_times() -> None:
    heads = {3: _witnessed(3, NOW - 100), 6: _witnessed(6, NOW - 10)}
    records = {0: _rec("tender.announced", bid_deadline=NOW - 50), 4: _rec("tender.bid_submitted")}
    with pytest.raises(VerificationFailed) as caught:
        check_bid_deadlines(records, heads, "pinned")
    text = str(caught.value)
    assert text.startswith("records/4.json: expected the bid by 'bidder:acme' witnessed by the")
    assert f"found it first witnessed at {NOW - 10}" in text and "(checkpoint of size 6)" in text
    assert "a late bid" in text


def test_without_the_announcement_the_deadline_is_not_checked_and_said_so() -> None:
    heads = {6: _witnessed(6, NOW - 10)}
    [line] = check_bid_deadlines({4: _rec("tender.bid_submitted")}, heads, "pinned")
    assert "its deadline is not checked" in line.text


def test_no_policy_no_verdict_and_a_bad_deadline_is_named() -> None:
    assert check_bid_deadlines({4: _rec("tender.bid_submitted")}, {}, "x") == []
    heads = {6: _witnessed(6, NOW - 10)}
    records = {0: _rec("tender.announced", bid_deadline="soon"), 4: _rec("tender.bid_submitted")}
    with pytest.raises(VerificationFailed, match="records/0.json: expected the announcement's"):
        check_bid_deadlines(records, heads, "pinned")
