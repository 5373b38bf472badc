"""A seeded generator of synthetic tender corpora with planted collusion rings.

Pure: every draw comes from ``random.Random(params.seed)``, so one set of parameters
gives one corpus, byte for byte. Nothing here is real data; the models below are
written from the forms of bid-rigging the law names (招标投标法实施条例 arts. 39-40)
and the literature describes, and their parameters are in :class:`CorpusParams` and
``docs/supervision.md``.

The market: ``firms`` firms in ``regions`` regions; each tender draws its bidders from
its region (so honest firms meet again and again). Each firm has its own office
network, devices, preparation-tool machine code, pricing dongle, bond account and
declared details. An honest bid is the engineer's estimate times N(0.95, 0.05), rounded
to 100; its document shares ``template_share`` of its shingles with the tender's
bidding documents and the rest is its own.

Honest noise that looks like collusion: two firms in one building share an IP
(``p_shared_office``); an honest agent (代理) prepares two firms' bids on one machine
(``p_agent``); generic author names; a rush of uploads in the last half hour;
disqualifications (``p_disqualified``); short bid periods (``p_short_period``); in each
region three specialist firms are the only ones qualified for ``p_specialist`` of its
tenders, so they bid together often and win by turns, honestly. Ring members also bid
honestly in other tenders of their region.

Collusion models (a ring of 3-5 firms of one region plays ``ring_tenders`` tenders):
    cover_bidding        one member always wins; the others bid 5-12% above it
    bid_rotation         members take turns to win; the others cover as above
    shared_preparer      one member prepares every bid: device, IP, author, creation id,
                         dongle, bond account and contact leak, each with a probability;
                         uploads seconds apart from one network
    identical_documents  members file the same file, or the same text lightly edited
    price_fixing         identical prices, or prices in an arithmetic progression
Every ring tender is labelled with its ring's model; ``p_insider`` of tenders also get
an insider anomaly (a bid changed after the deadline, or steps recorded out of order),
labelled ``insider``. Covers are disqualified on purpose with ``p_cover_disqualified``.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field
from typing import Any

from ledger_service.supervision.signals import (
    Bid,
    Bond,
    Document,
    DocumentChange,
    Party,
    Step,
    Submission,
    TenderSignals,
)
from ledger_service.supervision.similarity import mix, sketch

__all__ = ["MODELS", "Corpus", "CorpusParams", "generate"]

MODELS = ("cover_bidding", "bid_rotation", "shared_preparer", "identical_documents", "price_fixing")
_START = 1_767_225_600  # 2026-01-01T00:00:00Z
_DAY = 86_400
_GENERIC = ("Administrator", "User", "微软用户")
_TOOLS = (
    "WPS Office 12.1",
    "Microsoft Word 16.0",
    "新点投标文件制作工具 V10",
    "广联达计价 GCCP6.0",
)


@dataclass(frozen=True, slots=True)
class CorpusParams:
    """The generator's parameters; ``to_json`` records them next to every figure."""

    seed: int = 14
    tenders: int = 3000
    firms: int = 900
    regions: int = 30
    buyers: int = 90
    min_bidders: int = 3
    max_bidders: int = 8
    rings: int = 40
    ring_tenders: int = 12
    shingles: int = 120
    template_share: float = 0.35
    p_shared_office: float = 0.01
    p_agent: float = 0.005
    p_generic_author: float = 0.3
    p_rush: float = 0.3
    p_disqualified: float = 0.05
    p_cover_disqualified: float = 0.15
    p_short_period: float = 0.05
    p_single_bid: float = 0.02
    p_insider: float = 0.01
    p_leak: float = 0.5
    p_specialist: float = 0.1

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class Corpus:
    """The tenders, their labels (tender code -> models planted; honest: absent), the
    rings (members, model), and each tender's engineer's estimate and period start."""

    params: CorpusParams
    tenders: tuple[TenderSignals, ...]
    labels: dict[str, frozenset[str]]
    rings: tuple[tuple[tuple[str, ...], str], ...]
    starts: dict[str, int] = field(default_factory=dict)


@dataclass
class _Firm:
    fid: str
    region: int
    net: str
    device: str
    machine: str
    dongle: str | None
    account: str
    address: str
    contact: str
    staff: tuple[str, ...]


def _money(amount: float, unit: int = 100) -> int:
    """An amount rounded to ``unit`` yuan, at least one unit."""
    return max(unit, round(amount / unit) * unit)


def _hex(rng: random.Random, n: int) -> str:
    return f"{rng.getrandbits(4 * n):0{n}x}"


def _firms(rng: random.Random, p: CorpusParams) -> list[_Firm]:
    out = []
    for i in range(p.firms):
        region = i % p.regions
        out.append(_Firm(
            fid=f"F{i:05d}", region=region,
            net=f"10.{region}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
            device=_hex(rng, 32), machine=_hex(rng, 16),
            dongle=f"GLD-{rng.randrange(10**8):08d}" if rng.random() < 0.6 else None,
            account=f"6222{rng.randrange(10**12):012d}", address=f"{region}区{rng.randrange(1, 500)}路{rng.randrange(1, 300)}号",
            contact=f"13{rng.randrange(10**9):09d}", staff=tuple(f"{i}号员工{k}" for k in range(3)),
        ))  # fmt: skip
    return out


class _Tender:
    """One tender under construction: bids, uploads and the labels planted in it."""

    def __init__(self, rng: random.Random, p: CorpusParams, index: int, firms: list[_Firm]) -> None:
        self.rng, self.p, self.firms = rng, p, firms
        self.code = f"T{index:06d}"
        self.buyer = f"B{rng.randrange(p.buyers):03d}"
        self.start = _START + index * 6 * 3600
        days = rng.randint(5, 14) if rng.random() < p.p_short_period else rng.randint(20, 30)
        self.deadline = self.start + days * _DAY
        self.estimate = rng.randrange(1_000, 50_000) * 1_000
        self.template = [rng.getrandbits(52) for _ in range(int(p.shingles * p.template_share))]
        self.price: dict[str, int] = {}
        self.doc: dict[str, Document] = {}
        self.shingles: dict[str, list[int]] = {}
        self.upload: dict[str, tuple[int, str, str]] = {}  # bidder -> (at, ip, device)
        self.bond: dict[str, str] = {}
        self.party: dict[str, Party] = {}
        self.disqualified: set[str] = set()
        self.labels: set[str] = set()
        self.winner_hint: str | None = None

    def ref(self, kind: str, who: str) -> str:
        return f"sim:{self.code}:{kind}:{who}"

    def honest(self, f: _Firm) -> None:
        rng, p = self.rng, self.p
        self.price[f.fid] = _money(self.estimate * rng.gauss(0.95, 0.05))
        own = [rng.getrandbits(52) for _ in range(p.shingles - len(self.template))]
        self.shingles[f.fid] = self.template + own
        author = rng.choice(_GENERIC) if rng.random() < p.p_generic_author else rng.choice(f.staff)
        self.doc[f.fid] = Document(
            sha256=_hex(rng, 64), author=author, creator_tool=rng.choice(_TOOLS), pdf_id=_hex(rng, 32),
            creation_id=f.machine, dongle_serials=(f.dongle,) if f.dongle else (),
            sketch=sketch(mix(h) for h in self.template + own))  # fmt: skip
        late = rng.random() < p.p_rush
        at = (
            self.deadline - rng.randrange(60, 1800)
            if late
            else rng.randrange(self.start + 3600, self.deadline - 1800)
        )
        self.upload[f.fid] = (at, f.net, f.device)
        self.bond[f.fid] = f.account
        self.party[f.fid] = Party(f.fid, self.ref("party", f.fid), address=f.address, contact=f.contact,
                                  project_manager=rng.choice(f.staff))  # fmt: skip
        if rng.random() < p.p_disqualified:
            self.disqualified.add(f.fid)

    def signals(self) -> TenderSignals:
        bidders = sorted(self.price)
        subs = tuple(Submission(b, self.upload[b][0], self.upload[b][1], self.ref("submission", b),
                                device=self.upload[b][2], documents=(self.doc[b],)) for b in bidders)  # fmt: skip
        opened = len(bidders) >= 3
        bids = tuple(Bid(b, self.price[b], self.ref("price", b),
                         "disqualified" if b in self.disqualified else "valid") for b in bidders) if opened else ()  # fmt: skip
        valid = sorted((self.price[b], b) for b in bidders if b not in self.disqualified)
        winner = valid[0][1] if opened and valid else None
        steps = [Step("announced", self.start - 3600, self.ref("step", "announced")),
                 Step("issue_documents", self.start, self.ref("step", "issue_documents"))]  # fmt: skip
        steps += [Step("bid_submitted", at, self.ref("step", f"bid:{b}")) for at, _, b in
                  sorted((self.upload[b][0], 0, b) for b in bidders)]  # fmt: skip
        after = ["close_bidding", "open", "report_evaluation", "publish_candidates", "award"]
        if not opened or winner is None:
            after = ["close_bidding", "fail"]
        steps += [
            Step(e, self.deadline + 1 + k * _DAY, self.ref("step", e)) for k, e in enumerate(after)
        ]
        changes = [
            DocumentChange(b, self.doc[b].sha256, self.upload[b][0], self.ref("document", b))
            for b in bidders
        ]
        if "insider" in self.labels and winner is not None:
            if self.rng.random() < 0.5:
                changes.append(DocumentChange(winner, _hex(self.rng, 64), self.deadline + 7200,
                                              self.ref("document", f"{winner}:v2")))  # fmt: skip
            else:
                steps[-1], steps[-2] = steps[-2], steps[-1]
        return TenderSignals(
            self.code, self.buyer, self.deadline, subs, bids,
            tuple(Bond(b, self.bond[b], self.ref("bond", b)) for b in bidders),
            tuple(self.party[b] for b in bidders), tuple(steps), tuple(changes), winner,
        )  # fmt: skip


def _ring_play(t: _Tender, members: list[_Firm], model: str, turn: int) -> None:
    """Overwrite the ring members' honest bids by ``model``; ``turn`` counts the ring's tenders."""
    rng, p = t.rng, t.p
    t.labels.add(model)
    leader = members[turn % len(members)] if model == "bid_rotation" else members[0]
    low = _money(t.estimate * rng.uniform(0.93, 1.0))
    for f in members:
        t.price[f.fid] = low if f is leader else _money(low * rng.uniform(1.05, 1.12))
        if f is not leader and rng.random() < p.p_cover_disqualified:
            t.disqualified.add(f.fid)
        elif f is leader:
            t.disqualified.discard(f.fid)
    others = [f for f in members if f is not leader]
    if model == "price_fixing":
        if rng.random() < 0.4:
            same = rng.sample(others, 2) if len(others) >= 2 else others
            for f in same:
                t.price[f.fid] = t.price[same[0].fid]
        else:
            step = _money(low * rng.uniform(0.01, 0.03), 1000)
            for k, f in enumerate(others, start=1):
                t.price[f.fid] = low + k * step
    if model == "identical_documents":
        base = t.doc[leader.fid]
        for f in others:
            if rng.random() < 0.5:
                t.doc[f.fid] = Document(base.sha256, base.author, base.creator_tool, base.pdf_id,
                                        base.creation_id, base.dongle_serials, base.sketch)  # fmt: skip
            else:  # the leader's text with about one shingle in twenty edited
                text = [
                    h if rng.random() < 0.95 else rng.getrandbits(52)
                    for h in t.shingles[leader.fid]
                ]
                own = t.doc[f.fid]
                t.doc[f.fid] = Document(_hex(rng, 64), own.author, base.creator_tool, _hex(rng, 32),
                                        own.creation_id, own.dongle_serials, sketch(mix(h) for h in text))  # fmt: skip
    if model == "shared_preparer":
        leak = {
            k: rng.random() < p.p_leak
            for k in ("device", "ip", "author", "machine", "dongle", "bond", "contact")
        }
        at = t.deadline - rng.randrange(300, 7200)
        for k, f in enumerate(members):
            d, (_, ip, device) = t.doc[f.fid], t.upload[f.fid]
            t.doc[f.fid] = Document(d.sha256, leader.staff[0] if leak["author"] else d.author, d.creator_tool,
                d.pdf_id, leader.machine if leak["machine"] else d.creation_id,
                (leader.dongle,) if leak["dongle"] and leader.dongle else d.dongle_serials, d.sketch)  # fmt: skip
            t.upload[f.fid] = (at + k * rng.randrange(20, 90), leader.net if leak["ip"] else ip,
                               leader.device if leak["device"] else device)  # fmt: skip
            if leak["bond"]:
                t.bond[f.fid] = leader.account
            if leak["contact"]:
                q = t.party[f.fid]
                t.party[f.fid] = Party(
                    q.bidder, q.ref, q.address, leader.contact, q.project_manager
                )


def _noise(t: _Tender, chosen: list[_Firm]) -> None:
    rng, p = t.rng, t.p
    if len(chosen) >= 2 and rng.random() < p.p_shared_office:
        a, b = rng.sample(chosen, 2)
        t.upload[b.fid] = (t.upload[b.fid][0], t.upload[a.fid][1], t.upload[b.fid][2])
    if len(chosen) >= 2 and rng.random() < p.p_agent:
        a, b = rng.sample(chosen, 2)
        d = t.doc[b.fid]
        t.doc[b.fid] = Document(d.sha256, t.doc[a.fid].author, d.creator_tool, d.pdf_id,
                                t.doc[a.fid].creation_id, d.dongle_serials, d.sketch)  # fmt: skip
        t.upload[b.fid] = (
            t.upload[a.fid][0] + rng.randrange(30, 600),
            t.upload[a.fid][1],
            t.upload[a.fid][2],
        )


def generate(params: CorpusParams | None = None) -> Corpus:
    """The corpus for ``params`` (defaults: :class:`CorpusParams`); the same params give
    the same corpus."""
    p = params or CorpusParams()
    rng = random.Random(p.seed)
    firms = _firms(rng, p)
    by_region: dict[int, list[_Firm]] = {}
    for f in firms:
        by_region.setdefault(f.region, []).append(f)
    rings: list[tuple[list[_Firm], str]] = []
    ringed: set[str] = set()
    for i in range(p.rings):
        pool = [f for f in by_region[i % p.regions] if f.fid not in ringed]
        members = rng.sample(pool, rng.randint(3, 5))
        ringed |= {f.fid for f in members}
        rings.append((members, MODELS[i % len(MODELS)]))
    specialists = {
        r: rng.sample([f for f in fs if f.fid not in ringed], 3) for r, fs in by_region.items()
    }
    plays: dict[int, tuple[int, int]] = {}  # tender index -> (ring, turn)
    slots = rng.sample(range(p.tenders), min(p.tenders, p.rings * p.ring_tenders))
    for k, index in enumerate(slots):
        plays[index] = (k % p.rings, k // p.rings)
    tenders, labels, starts = [], {}, {}
    for index in range(p.tenders):
        t = _Tender(rng, p, index, firms)
        ring = rings[plays[index][0]] if index in plays else None
        region = ring[0][0].region if ring else rng.randrange(p.regions)
        honest_pool = [f for f in by_region[region] if ring is None or f not in ring[0]]
        n = (
            1
            if ring is None and rng.random() < p.p_single_bid
            else rng.randint(p.min_bidders, p.max_bidders)
        )
        chosen = list(ring[0]) if ring else []
        if ring is None and rng.random() < p.p_specialist:
            chosen = specialists[region]  # the only firms qualified: together, honestly
        else:
            chosen += rng.sample(
                honest_pool, max(0, min(n - len(chosen), rng.randint(0, 2) if ring else n))
            )
        for f in chosen:
            t.honest(f)
        _noise(t, [f for f in chosen if ring is None or f not in ring[0]])
        if ring is not None:
            _ring_play(t, ring[0], ring[1], plays[index][1])
        if len(chosen) >= 3 and rng.random() < p.p_insider:
            t.labels.add("insider")
        tenders.append(t.signals())
        starts[t.code] = t.start
        if t.labels:
            labels[t.code] = frozenset(t.labels)
    return Corpus(p, tuple(tenders), labels,
                  tuple((tuple(f.fid for f in m), model) for m, model in rings), starts)  # fmt: skip
