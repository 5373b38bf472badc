import dataclasses
import random

from ledger_service.supervision.history import bid_rotation, constant_groups
from ledger_service.supervision.process import late_changes, process_order
from ledger_service.supervision.signals import Bid, DocumentChange, Step, TenderSignals
from tests.unit.supervision.build import DEADLINE, honest, sha


def test_honest_steps_are_in_order() -> None:
    assert process_order(honest()) == []


def test_award_before_candidates_is_out_of_order() -> None:
    t = honest()
    steps = list(t.steps)
    steps[-1], steps[-2] = steps[-2], steps[-1]
    hits = process_order(dataclasses.replace(t, steps=tuple(steps)))
    assert [h.detail["event"] for h in hits] == ["publish_candidates"]
    assert hits[0].detail["after"] == "award"


def test_time_running_backwards_is_an_anomaly() -> None:
    t = honest()
    steps = list(t.steps)
    steps[4] = Step("open", DEADLINE - 10, "ref:step:open")
    [hit] = process_order(dataclasses.replace(t, steps=tuple(steps)))
    assert hit.zh.startswith("时间倒序") and hit.refs == ("ref:step:close_bidding", "ref:step:open")


def test_a_bid_changed_after_the_deadline() -> None:
    changes = (DocumentChange("F1", sha("v1"), DEADLINE - 100, "ref:v1"),
               DocumentChange("F1", sha("v2"), DEADLINE + 3600, "ref:v2"))  # fmt: skip
    [hit] = late_changes(dataclasses.replace(honest(), changes=changes))
    assert hit.parties == ("F1",) and hit.detail["late_s"] == 3600 and hit.refs == ("ref:v2",)


def test_versions_before_the_deadline_are_not_late() -> None:
    changes = tuple(
        DocumentChange("F1", sha(f"v{i}"), DEADLINE - 100 + i, f"ref:v{i}") for i in range(3)
    )
    assert late_changes(dataclasses.replace(honest(), changes=changes)) == []


def _tender(i: int, bidders: list[str], winner: str) -> TenderSignals:
    bids = tuple(Bid(b, 1_000_000 + k, f"ref:{i}:{b}", "valid") for k, b in enumerate(bidders))
    return TenderSignals(f"T{i}", "B1", DEADLINE, bids=bids, winner=winner)


def _honest_market() -> list[TenderSignals]:
    # 40 firms, 5 drawn at random for each of 60 tenders: a pair meets about 0.8 times
    rng = random.Random(1)
    draws = [rng.sample([f"H{k}" for k in range(40)], 5) for _ in range(60)]
    return [_tender(100 + i, bidders, bidders[0]) for i, bidders in enumerate(draws)]


def test_rotation_when_a_group_takes_turns() -> None:
    ring = ["R1", "R2", "R3"]
    tenders = _honest_market() + [_tender(i, ring + [f"H{i}"], ring[i % 3]) for i in range(9)]
    hits = bid_rotation(tenders)
    assert set(hits) == {f"T{i}" for i in range(9)}
    assert {h.rule for hs in hits.values() for h in hs} == {"bid_rotation"}
    assert hits["T0"][0].detail == {
        "joint_tenders": 9,
        "distinct_winners": 3,
        "top_share": "0.3333",
    }


def test_fixed_winner_when_the_group_always_loses_to_one() -> None:
    tenders = _honest_market() + [_tender(i, ["R1", "R2", "R3"], "R1") for i in range(6)]
    assert {h.rule for hs in bid_rotation(tenders).values() for h in hs} == {"fixed_winner"}
    assert [h.parties for h in constant_groups(tenders)["T0"]] == [
        ("R1", "R2"),
        ("R1", "R3"),
        ("R2", "R3"),
    ]


def test_an_honest_market_has_no_history_hits() -> None:
    assert bid_rotation(_honest_market()) == {}
    assert constant_groups(_honest_market()) == {}
