"""File forensics within one tender: identifiers, files and uploads that bidders share.

招标投标法实施条例 art. 40 deems bids to be in collusion (视为串通投标) when, among
others, the bid documents of different bidders were prepared by the same unit or person
(item 1), are abnormally alike (异常一致, item 4), or the bid bonds came from the same
account (item 6); art. 39 lists the cases that are collusion outright. Regulators read
these from the machine and file traces below. One shared identifier is a reason to
look, not proof: a shared office network, a consultant who prepares for several
honest firms, or a default author name can explain it. Hence each rule here carries
a weight below the alert threshold on its own (``scoring``).
"""

from __future__ import annotations

import functools
import ipaddress
import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable

from ledger_service.supervision.findings import Hit, ratio
from ledger_service.supervision.signals import Document, Submission, TenderSignals
from ledger_service.supervision.similarity import resemblance

__all__ = [
    "GENERIC_AUTHORS",
    "IDENTIFIERS",
    "NEAR_DUPLICATE",
    "TIMING_WINDOW_S",
    "identical_documents",
    "near_duplicates",
    "shared_identifiers",
    "shared_party_details",
    "submission_timing",
]

#: default author names office software writes: shared by strangers, so never a signal
GENERIC_AUTHORS = frozenset({"", "admin", "administrator", "user", "microsoft office user",
                             "微软用户", "作者", "author", "unknown", "owner"})  # fmt: skip
#: resemblance at or above which two bids' texts count as near-duplicates
NEAR_DUPLICATE = 0.8
#: seconds within which two uploads from one network count as one sitting
TIMING_WINDOW_S = 120

_Extract = Callable[[TenderSignals], Iterable[tuple[str, str, str]]]  # (bidder, value, ref)


def _uploads(read: Callable[[Submission], Iterable[str | None]]) -> _Extract:
    return lambda t: ((s.bidder, v, s.ref) for s in t.submissions for v in read(s) if v)


def _docs(read: Callable[[Document], Iterable[str | None]]) -> _Extract:
    return lambda t: ((s.bidder, v, s.ref) for s in t.submissions
                      for d in s.documents for v in read(d) if v)  # fmt: skip


def _author(d: Document) -> Iterable[str | None]:
    author = d.author
    return [author] if author and author.strip().lower() not in GENERIC_AUTHORS else []


#: rule id -> (Chinese name, English name, extractor)
IDENTIFIERS: dict[str, tuple[str, str, _Extract]] = {
    "shared_ip": ("上传IP地址", "uploader IP address", _uploads(lambda s: [s.ip])),
    "shared_device": ("设备指纹（网卡/CPU/硬盘）", "device fingerprint (MAC/CPU/disk)",
                      _uploads(lambda s: [s.device])),
    "shared_author": ("文档作者", "document author", _docs(_author)),
    "shared_pdf_id": ("PDF文件标识 /ID", "PDF /ID", _docs(lambda d: [d.pdf_id])),
    "shared_creation_id": ("文件制作机器码/创建标识码", "file-creation id", _docs(lambda d: [d.creation_id])),
    "shared_dongle": ("造价软件加密锁序列号", "pricing-software dongle serial",
                      _docs(lambda d: d.dongle_serials)),
    "shared_bond_account": ("投标保证金付款账户", "bid-bond payer account",
                            lambda t: ((b.bidder, b.payer_account, b.ref) for b in t.bonds)),
}  # fmt: skip


def _shared(
    t: TenderSignals, rule: str, zh_name: str, en_name: str, found: Iterable[tuple[str, str, str]]
) -> list[Hit]:
    by_value: dict[str, tuple[set[str], set[str]]] = defaultdict(lambda: (set(), set()))
    for bidder, value, ref in found:
        by_value[value][0].add(bidder)
        by_value[value][1].add(ref)
    hits = []
    for value, (bidders, refs) in sorted(by_value.items()):
        if len(bidders) < 2:
            continue
        names = "、".join(sorted(bidders))
        hits.append(Hit(rule, t.tender, tuple(bidders), {"identifier": value, "bidders": len(bidders)},
            zh=f"{len(bidders)}家投标人（{names}）的{zh_name}相同：{value}。"
               "同一标识只是疑点，不是串标的证明（可能是共用网络或同一代理）。",
            en=f"{len(bidders)} bidders ({', '.join(sorted(bidders))}) share the {en_name} {value}. "
               "One shared identifier is a suspicion, not proof (a shared network or agent can explain it).",
            refs=tuple(refs)))  # fmt: skip
    return hits


def shared_identifiers(t: TenderSignals) -> list[Hit]:
    """One hit per identifier value that two or more bidders of ``t`` share, per kind of
    :data:`IDENTIFIERS`; generic author names (:data:`GENERIC_AUTHORS`) are ignored."""
    return [h for rule, (zh, en, f) in IDENTIFIERS.items() for h in _shared(t, rule, zh, en, f(t))]


def shared_party_details(t: TenderSignals) -> list[Hit]:
    """Cardinal/OCP red flag R044 on declared details: two or more bidders giving the same
    address, contact or project manager (项目负责人). Values are compared after
    whitespace is removed and letters lowercased."""
    hits = []
    for key, zh, en in (("address", "地址", "address"), ("contact", "联系人/电话", "contact"),
                        ("project_manager", "项目负责人", "project manager")):  # fmt: skip
        found = [(p.bidder, "".join(str(getattr(p, key) or "").split()).lower(), p.ref)
                 for p in t.parties]  # fmt: skip
        hits += [
            Hit("R044", h.tender, h.parties, {**h.detail, "field": key}, h.zh, h.en, h.refs)
            for h in _shared(t, "R044", f"申报{zh}", f"declared {en}", [f for f in found if f[1]])
        ]
    return hits


def identical_documents(t: TenderSignals) -> list[Hit]:
    """Files of different bidders with the same SHA-256: byte-identical bid documents
    (异常一致, art. 40 item 4). One hit per shared digest."""
    found = ((s.bidder, d.sha256, s.ref) for s in t.submissions for d in s.documents)
    return _shared(
        t,
        "identical_documents",
        "投标文件（SHA-256完全相同）",
        "bid file (identical SHA-256)",
        found,
    )


def near_duplicates(t: TenderSignals, threshold: float = NEAR_DUPLICATE) -> list[Hit]:
    """Pairs of bidders whose documents' texts resemble at ``threshold`` or above
    (Broder's estimate from their sketches), byte-identical files excepted (those are
    :func:`identical_documents`). One hit per pair, the most alike documents named."""
    docs = [(s.bidder, s.ref, d) for s in t.submissions for d in s.documents if d.sketch]
    best: dict[tuple[str, str], tuple[float, set[str]]] = {}
    for i, (a, ref_a, da) in enumerate(docs):
        for b, ref_b, db in docs[i + 1 :]:
            if a == b or da.sha256 == db.sha256:
                continue
            r = resemblance(da.sketch, db.sketch)
            pair = (min(a, b), max(a, b))
            if r >= threshold and r > best.get(pair, (-1.0, set()))[0]:
                best[pair] = (r, {ref_a, ref_b})
    return [Hit("near_duplicate_text", t.tender, pair, {"resemblance": ratio(r)},
                zh=f"{pair[0]}与{pair[1]}的投标文件文本相似度约{r:.0%}（MinHash估计），高于{threshold:.0%}。",
                en=f"The bid texts of {pair[0]} and {pair[1]} resemble at about {r:.0%} "
                   f"(MinHash estimate), above {threshold:.0%}.", refs=tuple(refs))
            for pair, (r, refs) in sorted(best.items())]  # fmt: skip


@functools.lru_cache(maxsize=65536)
def _network(ip: str) -> str:
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip
    prefix = 24 if address.version == 4 else 48
    return str(ipaddress.ip_network(f"{address}/{prefix}", strict=False))


def submission_timing(t: TenderSignals, window: int = TIMING_WINDOW_S) -> list[Hit]:
    """Uploads of different bidders from one network (IPv4 /24, IPv6 /48) within
    ``window`` seconds of each other: one sitting at one place. One hit per network."""
    by_net: dict[str, list[Submission]] = defaultdict(list)
    for s in t.submissions:
        by_net[_network(s.ip)].append(s)
    hits = []
    for net, subs in sorted(by_net.items()):
        subs.sort(key=lambda s: s.at)
        close: set[tuple[str, str]] = set()
        for a, b in itertools.pairwise(subs):
            if b.at - a.at <= window and a.bidder != b.bidder:
                close |= {(a.bidder, a.ref), (b.bidder, b.ref)}
        bidders = {b for b, _ in close}
        if len(bidders) >= 2:
            hits.append(Hit("submission_timing", t.tender, tuple(bidders), {"network": net, "window_s": window},
                zh=f"{len(bidders)}家投标人（{'、'.join(sorted(bidders))}）在{window}秒内从同一网络{net}上传投标文件。",
                en=f"{len(bidders)} bidders uploaded from one network {net} within {window} s of each other.",
                refs=tuple(r for _, r in close)))  # fmt: skip
    return hits
