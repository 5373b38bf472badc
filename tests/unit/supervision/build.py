"""Small tenders for the supervision tests, built from the real signal classes."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from ledger_service.supervision.signals import Bid, Document, Step, Submission, TenderSignals

DEADLINE = 1_780_000_000


def sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def doc(owner: str, **fields: object) -> Document:
    """A document whose identifiers are all its owner's own unless given."""
    base: dict[str, object] = {"sha256": sha(f"file {owner}"), "author": f"{owner} 工程部",
                               "creator_tool": "WPS Office 12.1", "pdf_id": sha(f"pdf {owner}")[:32],
                               "creation_id": sha(f"machine {owner}")[:16],
                               "dongle_serials": (f"GLD-{owner}",)}  # fmt: skip
    base.update(fields)
    return Document(**base)  # type: ignore[arg-type]


def submission(owner: str, at: int, ip: str, **doc_fields: object) -> Submission:
    return Submission(owner, at, ip, f"ref:sub:{owner}", device=sha(f"device {owner}")[:32],
                      documents=(doc(owner, **doc_fields),))  # fmt: skip


def honest(code: str = "T1", n: int = 4, amounts: Sequence[int] | None = None) -> TenderSignals:
    """An honest tender: distinct networks, devices, files; spread-out prices; the lowest wins.
    With ``amounts`` there is one bidder per amount."""
    n = len(amounts) if amounts else n
    names = [f"F{i}" for i in range(n)]
    amounts = list(amounts or [1_000_000 + 37_300 * i + (i * i * 9_100) for i in range(n)])
    subs = tuple(
        submission(b, DEADLINE - 86_400 * (i + 1), f"10.{i}.{i}.{i + 1}")
        for i, b in enumerate(names)
    )
    bids = tuple(Bid(b, a, f"ref:price:{b}", "valid") for b, a in zip(names, amounts, strict=True))
    steps = tuple(Step(e, DEADLINE + k, f"ref:step:{e}") for k, e in enumerate(
        ["announced", "issue_documents", "bid_submitted", "close_bidding", "open",
         "report_evaluation", "publish_candidates", "award"]))  # fmt: skip
    winner = min(zip(amounts, names, strict=True))[1]
    return TenderSignals(code, "B1", DEADLINE, subs, bids, steps=steps, winner=winner)
