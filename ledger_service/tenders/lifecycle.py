"""The tender lifecycle as a state machine (pure: no I/O, no clock).

Every accepted transition becomes an evidence record; an illegal one is refused
with a message naming the state, the event and what the state allows. Deadline
checks are not made here: the caller passes chain time in, and TenderRegistry
enforces the bid deadline and the opening time on chain.
"""

from __future__ import annotations

from enum import StrEnum

from ledger_service.core.errors import Conflict

#: Fewest valid bids for an opening; fewer means the tender fails (流标) and is re-tendered.
MIN_BIDS = 3


class State(StrEnum):
    ANNOUNCED = "announced"  # 招标公告
    DOCUMENTS_ISSUED = "documents_issued"  # 招标文件发出, bids accepted until the deadline
    BIDS_CLOSED = "bids_closed"  # 投标截止
    OPENED = "opened"  # 开标
    FAILED = "failed"  # 流标 (fewer than MIN_BIDS bids)
    EVALUATED = "evaluated"  # 评标报告
    PUBLICITY = "publicity"  # 中标候选人公示
    COMPLAINT = "complaint"  # 投诉处理中
    AWARDED = "awarded"  # 中标通知
    CONTRACTED = "contracted"  # 合同签订
    CANCELLED = "cancelled"  # 终止


class Event(StrEnum):
    ISSUE_DOCUMENTS = "issue_documents"
    AMEND = "amend"  # 澄清与修改: a new document version
    SUBMIT_BID = "submit_bid"
    WITHDRAW_BID = "withdraw_bid"
    CLOSE_BIDDING = "close_bidding"
    OPEN = "open"
    FAIL = "fail"
    REPORT_EVALUATION = "report_evaluation"
    PUBLISH_CANDIDATES = "publish_candidates"
    FILE_COMPLAINT = "file_complaint"
    RESOLVE_COMPLAINT = "resolve_complaint"
    AWARD = "award"
    SIGN_CONTRACT = "sign_contract"
    CANCEL = "cancel"


S, E = State, Event
#: state -> event -> next state
TRANSITIONS: dict[State, dict[Event, State]] = {
    S.ANNOUNCED: {
        E.ISSUE_DOCUMENTS: S.DOCUMENTS_ISSUED,
        E.AMEND: S.ANNOUNCED,
        E.CANCEL: S.CANCELLED,
    },
    S.DOCUMENTS_ISSUED: {
        E.AMEND: S.DOCUMENTS_ISSUED,
        E.SUBMIT_BID: S.DOCUMENTS_ISSUED,
        E.WITHDRAW_BID: S.DOCUMENTS_ISSUED,
        E.CLOSE_BIDDING: S.BIDS_CLOSED,
        E.CANCEL: S.CANCELLED,
    },
    S.BIDS_CLOSED: {E.OPEN: S.OPENED, E.FAIL: S.FAILED, E.CANCEL: S.CANCELLED},
    S.OPENED: {E.REPORT_EVALUATION: S.EVALUATED, E.CANCEL: S.CANCELLED},
    S.EVALUATED: {E.PUBLISH_CANDIDATES: S.PUBLICITY, E.CANCEL: S.CANCELLED},
    S.PUBLICITY: {E.FILE_COMPLAINT: S.COMPLAINT, E.AWARD: S.AWARDED, E.CANCEL: S.CANCELLED},
    S.COMPLAINT: {
        E.RESOLVE_COMPLAINT: S.PUBLICITY,
        E.REPORT_EVALUATION: S.EVALUATED,  # complaint upheld: re-evaluation
        E.CANCEL: S.CANCELLED,
    },
    S.AWARDED: {E.SIGN_CONTRACT: S.CONTRACTED},
    S.CONTRACTED: {},
    S.FAILED: {},
    S.CANCELLED: {},
}


class IllegalTransition(Conflict):
    """The event is not allowed in the tender's current state."""

    code = "illegal-transition"
    title = "Illegal tender transition"


def next_state(state: State, event: Event) -> State:
    """The state after ``event``; raises IllegalTransition naming what ``state`` allows."""
    allowed = TRANSITIONS[state]
    if event not in allowed:
        options = ", ".join(sorted(allowed)) or "nothing (final state)"
        raise IllegalTransition(
            f"expected one of [{options}] in state {state.value}, found {event.value}"
        )
    return allowed[event]


def opening_outcome(valid_bids: int) -> Event:
    """OPEN with at least MIN_BIDS valid bids, otherwise FAIL (流标, re-tender)."""
    return Event.OPEN if valid_bids >= MIN_BIDS else Event.FAIL
