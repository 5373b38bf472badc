"""What is withheld before a tender is opened, and from whom (招标投标法 art. 22: no
disclosure of the names or number of bidders before opening).

One rule, used by the tender views, ``GET /v1/records/{index}`` and the public
``GET /v1/verify/{sha256}``: until a tender leaves the sealed states, the records of its
bidder steps (registrations, bids, withdrawals, the close of bidding that counts them)
are readable only by the bidder they concern and by the roles that run or oversee the
tender. The operator sees them anyway (it holds the database); other bidders and the
public must not.

Supervision records (``supervision.capture``) follow the same rule: the signals of a
tender (uploads, submissions, prices, bonds) are bidder steps. Alerts, dispositions and
tamper alerts are never public: a suspicion is not a finding, so only the oversight
roles read them (the leaf hashes stay in the public tree, as every record's do).
"""

from __future__ import annotations

from collections.abc import Callable

from ledger_service.core.errors import NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.store.tenders import TenderStore
from ledger_service.store.tokens import TokenInfo
from ledger_service.supervision.capture import SIGNAL_EVENTS
from ledger_service.tenders.lifecycle import State

#: Steps that name or count bidders.
BIDDER_STEPS = frozenset({"bidder_registered", "bid_submitted", "bid_withdrawn", "close_bidding"})
#: Roles that see bidders before opening.
SEES_BIDDERS = frozenset({"admin", "operator", "regulator", "court"})
#: States in which bids are still sealed.
SEALED = frozenset({State.ANNOUNCED, State.DOCUMENTS_ISSUED, State.BIDS_CLOSED})

_PREFIX = "tender."
_SUPERVISION = "supervision."


def disclosed(state: State) -> bool:
    """Whether a tender in ``state`` has its bidders public."""
    return state not in SEALED


def bidder_step_of(record: EvidenceRecord) -> str | None:
    """The tender code when ``record`` is one of its bidder steps (or supervision
    signals), else None."""
    if record.kind.startswith(_SUPERVISION) and record.subject.startswith("supervision:"):
        if record.kind[len(_SUPERVISION) :] not in SIGNAL_EVENTS:
            return None
        return record.subject.removeprefix("supervision:")
    if not record.kind.startswith(_PREFIX) or record.kind[len(_PREFIX) :] not in BIDDER_STEPS:
        return None
    if not record.subject.startswith("tender:"):
        return None
    return record.subject.removeprefix("tender:")


def concerns(record: EvidenceRecord, bidder: str) -> bool:
    """Whether ``record`` is a step of ``bidder`` (an address, as bidder tokens are named)."""
    named = record.metadata.get("bidder")
    return (isinstance(named, str) and named.lower() == bidder.lower()) or (
        record.actor.lower() == f"bidder:{bidder}".lower()
    )


def withheld(
    record: EvidenceRecord, state_of: Callable[[str], State | None], viewer: TokenInfo | None
) -> bool:
    """Whether ``record`` must be kept from ``viewer`` (None: the public).

    ``state_of(code)`` answers a tender's state, None for a tender this service does not
    run (its records are not withheld: there is nothing sealed here to protect).
    """
    if viewer is not None and viewer.role in SEES_BIDDERS:
        return False
    if record.kind.startswith(_SUPERVISION) and bidder_step_of(record) is None:
        return True  # an alert, a disposition: oversight only
    code = bidder_step_of(record)
    if code is None:
        return False
    state = state_of(code)
    if state is None or disclosed(state):
        return False
    return not (viewer is not None and viewer.role == "bidder" and concerns(record, viewer.name))


def states(store: TenderStore) -> Callable[[str], State | None]:
    """``state_of`` for :func:`withheld` over the tenders ``store`` holds."""

    def state_of(code: str) -> State | None:
        try:
            return State(store.tender(code).state)
        except NotFound:
            return None

    return state_of
