"""Cross-tender history: groups that always bid together, and who wins among them.

A ring shows over time what no single tender shows (招标投标法实施条例 art. 39 item 2:
bidders agreeing who wins; rotation is its common form): its members bid together
again and again, and either one of them always wins (the others cover) or they take
turns. Both rules read the whole corpus and report on each tender that fits.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence

from ledger_service.supervision.findings import Hit, ratio
from ledger_service.supervision.signals import TenderSignals

__all__ = ["GROUP_WINS", "MIN_JOINT", "TOGETHER", "bid_rotation", "constant_groups"]

#: tenders a group must share before history says anything
MIN_JOINT = 6
#: share of the tenders of the pair's less active member in which both bid ("always together")
TOGETHER = 0.5
#: share of the group's joint tenders won inside the group
GROUP_WINS = 0.6


def _edges(tenders: Sequence[TenderSignals]) -> tuple[dict[str, set[int]], set[tuple[str, str]]]:
    seen: dict[str, set[int]] = defaultdict(set)
    pairs: Counter[tuple[str, str]] = Counter()
    for i, t in enumerate(tenders):
        bidders = sorted(t.bidders)
        for b in bidders:
            seen[b].add(i)
        pairs.update((a, b) for j, a in enumerate(bidders) for b in bidders[j + 1 :])
    together = {p for p, n in pairs.items()
                if n >= MIN_JOINT and n >= TOGETHER * min(len(seen[p[0]]), len(seen[p[1]]))}  # fmt: skip
    return seen, together


def constant_groups(tenders: Sequence[TenderSignals]) -> dict[str, list[Hit]]:
    """Tender code -> hits for each pair of its bidders that bid together in at least
    :data:`MIN_JOINT` tenders and in at least :data:`TOGETHER` of the tenders of the
    one of them that bids less (when it bids, the other is there)."""
    seen, together = _edges(tenders)
    out: dict[str, list[Hit]] = defaultdict(list)
    for t in tenders:
        bidders = sorted(t.bidders)
        pairs = [(a, b) for j, a in enumerate(bidders) for b in bidders[j + 1 :]]
        for a, b in (p for p in pairs if p in together):
            joint = len(seen[a] & seen[b])
            out[t.tender].append(Hit("constant_group", t.tender, (a, b), {"joint_tenders": joint},
                zh=f"{a}与{b}在{joint}个项目中同时投标（占其中投标较少一方所投项目的{TOGETHER:.0%}以上）。",
                en=f"{a} and {b} bid together in {joint} tenders (at least {TOGETHER:.0%} of the less active one's tenders).",
                refs=tuple(s.ref for s in t.submissions if s.bidder in (a, b))))  # fmt: skip
    return out


def bid_rotation(tenders: Sequence[TenderSignals]) -> dict[str, list[Hit]]:
    """Tender code -> a hit when its winner and two or more other bidders form a group
    (every pair "always together", see :func:`constant_groups`) whose joint tenders
    (at least :data:`MIN_JOINT`) were won inside the group at least :data:`GROUP_WINS`
    of the time: by one member (``fixed_winner``: the others cover) or by turns
    (``bid_rotation``)."""
    seen, together = _edges(tenders)
    out: dict[str, list[Hit]] = defaultdict(list)
    for t in tenders:
        if t.winner is None:
            continue
        group = [t.winner]
        for b in sorted(t.bidders - {t.winner}):
            if all((min(b, g), max(b, g)) in together for g in group):
                group.append(b)
        if len(group) < 3:
            continue
        joint = set.intersection(*(seen[g] for g in group))
        winners = Counter(tenders[i].winner for i in joint if tenders[i].winner in group)
        if len(joint) < MIN_JOINT or sum(winners.values()) < GROUP_WINS * len(joint):
            continue
        rule = "bid_rotation" if len(winners) >= 2 else "fixed_winner"
        members = "、".join(sorted(group))
        shares = ratio(max(winners.values()) / len(joint))
        out[t.tender].append(Hit(rule, t.tender, tuple(group),
            {"joint_tenders": len(joint), "distinct_winners": len(winners), "top_share": shares},
            zh=(f"{members}共同投标{len(joint)}次，其中{sum(winners.values())}次由组内成员中标，由{len(winners)}家轮流中标。"
                if rule == "bid_rotation" else
                f"{members}共同投标{len(joint)}次，每次都由{t.winner}中标，其余陪标。"),
            en=(f"{', '.join(sorted(group))} bid together {len(joint)} times; {sum(winners.values())} were won "
                f"inside the group, {len(winners)} taking turns." if rule == "bid_rotation" else
                f"{', '.join(sorted(group))} bid together {len(joint)} times and {t.winner} won every time."),
            refs=tuple(b.ref for b in t.bids if b.bidder in group)))  # fmt: skip
    return out
