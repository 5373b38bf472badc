"""The pure tender state machine: every allowed step, every refused one, by name."""

from __future__ import annotations

import itertools

import pytest

from ledger_service.core.errors import Conflict
from ledger_service.tenders.lifecycle import (
    MIN_BIDS,
    TRANSITIONS,
    Event,
    IllegalTransition,
    State,
    next_state,
    opening_outcome,
)

#: the whole table, written out independently of TRANSITIONS (招标投标法 order)
EXPECTED = {
    ("announced", "issue_documents"): "documents_issued",
    ("announced", "amend"): "announced",
    ("announced", "cancel"): "cancelled",
    ("documents_issued", "amend"): "documents_issued",
    ("documents_issued", "submit_bid"): "documents_issued",
    ("documents_issued", "withdraw_bid"): "documents_issued",
    ("documents_issued", "close_bidding"): "bids_closed",
    ("documents_issued", "cancel"): "cancelled",
    ("bids_closed", "open"): "opened",
    ("bids_closed", "fail"): "failed",
    ("bids_closed", "cancel"): "cancelled",
    ("opened", "report_evaluation"): "evaluated",
    ("opened", "cancel"): "cancelled",
    ("evaluated", "publish_candidates"): "publicity",
    ("evaluated", "cancel"): "cancelled",
    ("publicity", "file_complaint"): "complaint",
    ("publicity", "award"): "awarded",
    ("publicity", "cancel"): "cancelled",
    ("complaint", "resolve_complaint"): "publicity",
    ("complaint", "report_evaluation"): "evaluated",
    ("complaint", "cancel"): "cancelled",
    ("awarded", "sign_contract"): "contracted",
}


@pytest.mark.parametrize(("state", "event"), list(itertools.product(State, Event)))
def test_every_pair_is_allowed_exactly_as_written(state: State, event: Event) -> None:
    expected = EXPECTED.get((state.value, event.value))
    if expected is None:
        with pytest.raises(
            IllegalTransition, match=rf"in state {state.value}, found {event.value}"
        ):
            next_state(state, event)
    else:
        assert next_state(state, event) == State(expected)


def test_the_table_has_no_state_or_event_left_out() -> None:
    assert set(TRANSITIONS) == set(State)


@pytest.mark.parametrize("final", [State.CONTRACTED, State.FAILED, State.CANCELLED])
def test_final_states_allow_nothing_and_say_so(final: State) -> None:
    with pytest.raises(IllegalTransition, match=r"expected one of \[nothing \(final state\)\]"):
        next_state(final, Event.CANCEL)


def test_refusal_names_what_the_state_allows() -> None:
    with pytest.raises(
        IllegalTransition,
        match=r"expected one of \[cancel, open, fail\]|expected one of \[cancel, fail, open\]",
    ):
        next_state(State.BIDS_CLOSED, Event.SUBMIT_BID)


def test_illegal_transition_is_a_conflict_with_its_own_slug() -> None:
    assert issubclass(IllegalTransition, Conflict)
    assert IllegalTransition.code == "illegal-transition" and IllegalTransition.status == 409


def test_no_award_without_opening_and_evaluation() -> None:
    """A bid-rigging shortcut: awarding straight after the deadline is refused."""
    for event in (Event.AWARD, Event.SIGN_CONTRACT, Event.PUBLISH_CANDIDATES):
        with pytest.raises(IllegalTransition):
            next_state(State.BIDS_CLOSED, event)


@pytest.mark.parametrize(("bids", "outcome"), [(0, Event.FAIL), (MIN_BIDS - 1, Event.FAIL),
                                               (MIN_BIDS, Event.OPEN), (100, Event.OPEN)])  # fmt: skip
def test_opening_outcome_boundary(bids: int, outcome: Event) -> None:
    assert MIN_BIDS == 3
    assert opening_outcome(bids) == outcome
