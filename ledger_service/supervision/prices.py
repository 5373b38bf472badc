"""Price rules within one tender: the screens, identical prices, arithmetic progressions.

招标投标法实施条例 art. 40 item 4 and 政府采购货物和服务招标投标管理办法 art. 37
item 4 deem it collusion (视为串通投标) when bid prices differ by a regular pattern
(投标报价呈规律性差异) or documents are abnormally alike; art. 39 item 1 of the former
names bidders agreeing their prices. The thresholds are named constants and documented in ``docs/supervision.md``.
"""

from __future__ import annotations

import itertools
from collections import defaultdict

from ledger_service.supervision.findings import Hit, ratio
from ledger_service.supervision.screens import screens
from ledger_service.supervision.signals import Bid, TenderSignals

__all__ = [
    "CV_MAX",
    "PROGRESSION_MIN",
    "RD_MIN",
    "SCREEN_MIN_BIDS",
    "identical_prices",
    "price_progression",
    "price_screens",
]

#: a coefficient of variation at or below this is an implausibly tight set of bids
CV_MAX = 0.005
#: relative distance at or above which the lowest bid stands apart from a tight cluster
RD_MIN = 3.0
#: the screens are read from this many bids on (kurtosis needs 4)
SCREEN_MIN_BIDS = 4
#: bids in an exact arithmetic progression that make a pattern
PROGRESSION_MIN = 3


def _priced(t: TenderSignals) -> list[Bid]:
    return [b for b in t.bids if b.amount > 0]


def price_screens(t: TenderSignals) -> list[Hit]:
    """Huber & Imhof's screens: a hit when CV <= :data:`CV_MAX` (bids too alike) or
    RD >= :data:`RD_MIN` (one bid far below a tight cluster: the cover-bidding shape),
    from :data:`SCREEN_MIN_BIDS` bids on. The detail carries all seven screens."""
    bids = _priced(t)
    if len(bids) < SCREEN_MIN_BIDS:
        return []
    s = screens([b.amount for b in bids])
    if not (s.cv <= CV_MAX or s.rd >= RD_MIN):
        return []
    detail: dict[str, str | int] = {
        "n": s.n, "cv": ratio(s.cv), "spread": ratio(s.spread), "diffp": ratio(s.diffp),
        "rd": ratio(s.rd) if s.rd != float("inf") else "inf", "skewness": ratio(s.skewness),
        "kurtosis": ratio(s.kurtosis) if s.kurtosis is not None else "n/a", "ks": ratio(s.ks),
    }  # fmt: skip
    why_zh = (
        f"变异系数CV={s.cv:.4f}≤{CV_MAX}"
        if s.cv <= CV_MAX
        else f"相对距离RD={detail['rd']}≥{RD_MIN}"
    )
    why_en = f"CV={s.cv:.4f} <= {CV_MAX}" if s.cv <= CV_MAX else f"RD={detail['rd']} >= {RD_MIN}"
    return [Hit("price_screens", t.tender, tuple(b.bidder for b in bids), detail,
                zh=f"{s.n}个报价的统计筛查异常：{why_zh}（最低两价差DIFFP={s.diffp:.4f}）。"
                   "报价分布与竞争性投标不符，需结合其他线索判断。",
                en=f"The {s.n} bids fail a statistical screen: {why_en} (DIFFP={s.diffp:.4f}). "
                   "The price pattern is unlike competitive bidding; read it with the other signals.",
                refs=tuple(b.ref for b in bids))]  # fmt: skip


def identical_prices(t: TenderSignals) -> list[Hit]:
    """Different bidders quoting exactly the same amount; one hit per shared amount."""
    by_amount: dict[int, list[Bid]] = defaultdict(list)
    for b in _priced(t):
        by_amount[b.amount].append(b)
    return [Hit("identical_prices", t.tender, tuple(b.bidder for b in same), {"amount": amount},
                zh=f"{len({b.bidder for b in same})}家投标人报价完全相同：{amount}。",
                en=f"{len({b.bidder for b in same})} bidders quoted exactly {amount}.",
                refs=tuple(b.ref for b in same))
            for amount, same in sorted(by_amount.items())
            if len({b.bidder for b in same}) >= 2]  # fmt: skip


def price_progression(t: TenderSignals) -> list[Hit]:
    """The longest run of sorted distinct bid amounts with one common nonzero difference,
    when it holds :data:`PROGRESSION_MIN` or more bids (报价呈等差规律)."""
    bids = sorted({b.amount: b for b in _priced(t)}.values(), key=lambda b: b.amount)
    best: list[Bid] = []
    run: list[Bid] = bids[:1]
    for a, b in itertools.pairwise(bids):
        if len(run) >= 2 and b.amount - a.amount == run[1].amount - run[0].amount:
            run.append(b)
        else:
            run = [a, b]
        if len(run) > len(best):
            best = list(run)
    if len(best) < PROGRESSION_MIN:
        return []
    step = best[1].amount - best[0].amount
    amounts = ", ".join(str(b.amount) for b in best)
    return [Hit("price_progression", t.tender, tuple(b.bidder for b in best),
                {"step": step, "bids": len(best), "first": best[0].amount},
                zh=f"{len(best)}个报价呈等差数列（公差{step}）：{amounts}。",
                en=f"{len(best)} bids form an arithmetic progression (step {step}): {amounts}.",
                refs=tuple(b.ref for b in best))]  # fmt: skip
