"""Step 10 of ``docs/evidence-package.md``: bids on time by witnessed time, not chain time.

The chain's deadline check binds nobody on a chain the operator runs (it can set
the chain's clock back and take a late bid). What it cannot do is make k
witnesses cosign, by their own clocks, a checkpoint holding the bid before the
deadline. So with a pinned policy, each ``tender.bid_submitted`` record of a
package is on time when the first witnessed head that holds it (the heads form
one history, step 4) was witnessed at or before the bid deadline of the
tender's ``tender.announced`` record in the same package; otherwise the package
fails, naming the bid, both times and the head.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime

from ledger_service.core.checkpoints import Witnessed
from ledger_service.core.errors import VerificationFailed
from ledger_service.core.packages.verdicts import Verdict
from ledger_service.core.records import EvidenceRecord

__all__ = ["BID_KIND", "check_bid_deadlines", "first_witnessed"]

BID_KIND = "tender.bid_submitted"
ANNOUNCED_KIND = "tender.announced"


def _utc(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def first_witnessed(index: int, witnessed: Mapping[int, Witnessed]) -> Witnessed | None:
    """The witnessed head of the smallest size that holds leaf ``index``."""
    sizes = [s for s in witnessed if s > index]
    return witnessed[min(sizes)] if sizes else None


def _deadlines(records: Mapping[int, EvidenceRecord]) -> dict[str, int]:
    out: dict[str, int] = {}
    for i in sorted(records):
        r = records[i]
        if r.kind == ANNOUNCED_KIND and r.subject not in out:
            deadline = r.metadata.get("bid_deadline")
            if type(deadline) is not int:
                raise VerificationFailed(
                    f"records/{i}.json: expected the announcement's bid_deadline as an "
                    f"integer, found {deadline!r}"
                )
            out[r.subject] = deadline
    return out


def check_bid_deadlines(
    records: Mapping[int, EvidenceRecord], witnessed: Mapping[int, Witnessed], trust: str
) -> list[Verdict]:
    """Step 10 (with a policy only: ``witnessed`` empty gives no verdict). ``trust``
    labels the verdicts (the pinned witnesses'; see ``core.pinned.witness_trust``).

    Raises:
        VerificationFailed: a bid first witnessed after its tender's deadline (late),
            or held by no witnessed head.
    """
    bids = {i: r for i, r in records.items() if r.kind == BID_KIND}
    if not witnessed or not bids:
        return []
    deadlines = _deadlines(records)
    out = []
    for i in sorted(bids):
        rec, path = bids[i], f"records/{i}.json"
        w = first_witnessed(i, witnessed)
        if w is None:
            raise VerificationFailed(
                f"{path}: expected the bid in a checkpoint cosigned by pinned witnesses, "
                "found no witnessed head holding it"
            )
        seen = (f"first witnessed at {w.time} ({_utc(w.time)}) by {w.k} of {w.n} witnesses "
                f"(checkpoint of size {w.checkpoint.size})")  # fmt: skip
        deadline = deadlines.get(rec.subject)
        if deadline is None:
            out.append(Verdict(path, f"bid by {rec.actor!r} {seen}; the tender's announcement "
                               "is not in this package, so its deadline is not checked",
                               trust))  # fmt: skip
            continue
        if not w.on_time(deadline):
            raise VerificationFailed(
                f"{path}: expected the bid by {rec.actor!r} witnessed by the bid deadline "
                f"{deadline} ({_utc(deadline)}), found it {seen}: a late bid, whatever the "
                "chain's clock said"
            )
        out.append(Verdict(path, f"on time: bid by {rec.actor!r} {seen}, by the deadline "
                           f"{deadline} ({_utc(deadline)})", trust))  # fmt: skip
    return out
