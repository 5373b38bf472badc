"""Process anomalies of one tender: steps out of order, documents changed after the deadline.

The lifecycle (``docs/tenders.md``) fixes the order of steps; the log fixes when each
was recorded. A step recorded before one it must follow, a step dated before the one
logged ahead of it, or a bid uploaded after the deadline means the records and the
process disagree, whoever caused it.
"""

from __future__ import annotations

from ledger_service.supervision.findings import Hit
from ledger_service.supervision.signals import TenderSignals

__all__ = ["STAGE", "late_changes", "process_order"]

#: event -> its stage; a step may not come after a step of a later stage. Steps that
#: can recur (amend, complaints, re-evaluation) share a stage with their neighbours.
STAGE = {
    "announced": 0, "key_dealing": 1, "key_generated": 1, "issue_documents": 2, "amend": 2,
    "bidder_registered": 2, "bid_submitted": 2, "bid_withdrawn": 2, "close_bidding": 3,
    "fail": 4, "open": 4, "report_evaluation": 5, "publish_candidates": 5,
    "file_complaint": 5, "resolve_complaint": 5, "award": 6, "sign_contract": 7, "cancel": 0,
}  # fmt: skip


def process_order(t: TenderSignals) -> list[Hit]:
    """One hit per step (in log order) that comes after a step of a later stage, or whose
    time is earlier than the step logged before it. ``cancel`` and unknown events are
    never out of order."""
    hits = []
    stage, when, last = -1, -1, None
    for step in t.steps:
        s = STAGE.get(step.event)
        if s is not None and step.event != "cancel" and s < stage and last is not None:
            hits.append(Hit("process_order", t.tender, (), {"event": step.event, "after": last.event},
                zh=f"流程顺序异常：{step.event}记录在{last.event}之后。",
                en=f"Steps out of order: {step.event} recorded after {last.event}.",
                refs=(step.ref, last.ref)))  # fmt: skip
        elif last is not None and step.at < when:
            hits.append(Hit("process_order", t.tender, (), {"event": step.event, "after": last.event},
                zh=f"时间倒序：{step.event}的时间早于此前记录的{last.event}。",
                en=f"Time runs backwards: {step.event} is dated before the earlier-logged {last.event}.",
                refs=(step.ref, last.ref)))  # fmt: skip
        if s is not None and step.event != "cancel" and s >= stage:
            stage, last = s, step
        when = max(when, step.at)
        last = last or step
    return hits


def late_changes(t: TenderSignals) -> list[Hit]:
    """A document version recorded after the bid deadline, for an owner that had a
    version before it (a bid or the bidding documents changed after the deadline), and
    a bid uploaded after the deadline. One hit per late version or upload."""
    hits = []
    early = {c.owner for c in t.changes if c.at <= t.deadline}
    for c in t.changes:
        if c.at > t.deadline and c.owner in early:
            hits.append(Hit("late_change", t.tender, (c.owner,), {"sha256": c.sha256, "late_s": c.at - t.deadline},
                zh=f"截止时间后{c.at - t.deadline}秒，{c.owner}的文件被改为新版本（SHA-256 {c.sha256[:16]}…）。",
                en=f"{c.owner}'s document changed {c.at - t.deadline} s after the deadline (SHA-256 {c.sha256[:16]}...).",
                refs=(c.ref,)))  # fmt: skip
    for s in t.submissions:
        if s.at > t.deadline:
            hits.append(Hit("late_change", t.tender, (s.bidder,), {"upload": s.at, "late_s": s.at - t.deadline},
                zh=f"{s.bidder}的投标文件在截止时间后{s.at - t.deadline}秒上传却被接收。",
                en=f"{s.bidder}'s bid was accepted {s.at - t.deadline} s after the deadline.",
                refs=(s.ref,)))  # fmt: skip
    return hits
