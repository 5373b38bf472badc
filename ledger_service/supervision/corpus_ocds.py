"""A synthetic tender as the service would record it, and its OCDS record through our export.

Each generated tender becomes the ``tender.<event>`` evidence records the lifecycle
writes (``docs/tenders.md``), which go through :mod:`ledger_service.tenders.ocds`
unchanged: so Cardinal's flags are computed on exactly what our export publishes.
Our export carries no bid prices (bids stay sealed in the log until opening, and the
opening record holds them); :func:`priced_release` adds the prices read at the opening
(``Bid`` signals) and the procurement method the tender was announced with.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord
from ledger_service.supervision.signals import Bid, TenderSignals
from ledger_service.tenders.ocds import compile_release, releases

__all__ = ["CURRENCY", "compiled_release", "priced_release", "tender_records"]

CURRENCY = "CNY"
_DAY = 86_400


def _sha(*parts: object) -> str:
    return hashlib.sha256("|".join(map(str, parts)).encode()).hexdigest()


def tender_records(t: TenderSignals, start: int) -> list[EvidenceRecord]:
    """The lifecycle records of ``t``: announced at ``start - 3600``, documents issued at
    ``start`` (the start of the bid period), one registration and one bid per bidder,
    then closing, and opening to award (or ``fail`` with fewer than 3 bids)."""
    code = t.tender
    out: list[EvidenceRecord] = []

    def step(event: str, at: int, **meta: Any) -> None:
        out.append(EvidenceRecord.create(
            f"tender.{event}", f"tender:{code}", t.buyer, {"sha256": _sha(code, event, len(out))},
            {"tender": code, "event": event, **meta}, now=datetime.fromtimestamp(at, UTC)))  # fmt: skip

    step("announced", start - 3600, title=f"Synthetic tender {code}", bid_deadline=t.deadline,
         opening_time=t.deadline + 3600)  # fmt: skip
    step("issue_documents", start, document=f"{code} bidding documents", sha256=_sha(code, "doc"))
    uploads = sorted(t.submissions, key=lambda s: (s.at, s.bidder))
    for s in uploads:
        step("bidder_registered", start, bidder=s.bidder, name=f"Firm {s.bidder}")
    for nonce, s in enumerate(uploads):
        step("bid_submitted", min(s.at, t.deadline), bidder=s.bidder, nonce=nonce,
             ciphertext_sha256=_sha(code, s.bidder, "ct"), size=1_000_000,
             plaintext_commitment=_sha(code, s.bidder, "pt"), block_time=min(s.at, t.deadline))  # fmt: skip
    step("close_bidding", t.deadline + 1, active_bids=len(uploads))
    if len(uploads) < 3 or not t.bids:
        step("fail", t.deadline + 2, active_bids=len(uploads))
        return out
    step(
        "open",
        t.deadline + 3600,
        opening_record_sha256=_sha(code, "opening"),
        opened=len(t.bids),
        flagged=0,
    )
    valid = [
        b.bidder for b in sorted(t.bids, key=lambda b: (b.amount, b.bidder)) if b.status == "valid"
    ]
    bad = [b.bidder for b in t.bids if b.status == "disqualified"]
    step("report_evaluation", t.deadline + _DAY, report=f"{code} evaluation report", sha256=_sha(code, "eval"),
         valid=valid, disqualified=bad)  # fmt: skip
    if not valid or t.winner is None:
        return out
    step("publish_candidates", t.deadline + 2 * _DAY, notice=f"{code} candidates", sha256=_sha(code, "cand"),
         candidates=valid[:3], publicity_end=t.deadline + 5 * _DAY)  # fmt: skip
    amount = next(b.amount for b in t.bids if b.bidder == t.winner)
    step("award", t.deadline + 6 * _DAY, supplier=t.winner, notice=f"{code} award notice",
         sha256=_sha(code, "award"), value={"amount": amount, "currency": CURRENCY})  # fmt: skip
    return out


def priced_release(
    compiled: Mapping[str, Any], bids: Sequence[Bid], *, method: str = "open"
) -> dict[str, Any]:
    """A copy of a compiled release with each opened bid's price as ``value`` and
    ``tender.procurementMethod`` set (公开招标 is ``open``; 邀请招标 ``selective``).

    A bid detail matches a price by its tenderer's id; withdrawn bids get none.
    Raises MalformedInput for a price whose bidder has no active bid in the release.
    """
    out = copy.deepcopy(dict(compiled))
    out.setdefault("tender", {})["procurementMethod"] = method
    active = {}
    for detail in out.get("bids", {}).get("details", []):
        if detail.get("status") != "withdrawn":
            for tenderer in detail.get("tenderers", []):
                active[tenderer.get("id")] = detail
    for bid in bids:
        if bid.bidder not in active:
            raise MalformedInput(
                f"bids: expected an active bid of {bid.bidder} in {out.get('ocid')}, found none"
            )
        active[bid.bidder]["value"] = {"amount": bid.amount, "currency": CURRENCY}
    return out


def compiled_release(t: TenderSignals, start: int) -> dict[str, Any]:
    """``t`` recorded, exported through our OCDS export, compiled and priced."""
    records = tender_records(t, start)
    return priced_release(compile_release(releases(list(enumerate(records)))), t.bids)
