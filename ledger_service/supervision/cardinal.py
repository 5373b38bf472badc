"""Cardinal's red flags, computed on compiled OCDS releases (ours or anyone's).

Open Contracting Partnership's Cardinal (ocdscardinal 0.0.8, cardinal-rs at commit
b04158abdc7110111863f16c12e99d7e049aa3c8, ``src/indicators/r0*.rs``) defines each flag
below; this is a re-implementation of those definitions with their default settings,
held to Cardinal's own test fixtures and documentation examples
(``tests/unit/supervision/vectors/cardinal/``). The output has Cardinal's shape,
``{"OCID": {ocid: {flag: value}}, "Tenderer": {...}, "Buyer": {...},
"ProcuringEntity": {...}}``, so it can be compared line by line with
``ocdscardinal indicators --no-meta``. Not supported: per-method settings
(``procurement_method_details``, ``no_price_comparison_procurement_methods``).

    R003  submission period (tenderPeriod end - start, whole days) < threshold (15)
    R018  numberOfTenderers == 1 in a competitive method (open, selective)
    R028  different tenderers submitted bids with the same price
    R035  all but the winner's bids disqualified (value: tenderers disqualified)
    R036  the lowest submitted bid disqualified, with an active award and a valid bid
    R038  disqualified/submitted bids per buyer, procuring entity, tenderer >= upper fence
    R058  (second-lowest valid bid - winning bid) / winning bid >= upper fence

The upper fence is Q3 + 1.5 IQR with quartiles by Hyndman and Fan's method 8 (median
unbiased), as statrs 0.16 computes them for Cardinal. R044 (business similarities
between bidders) is not in Cardinal; ours reads declared details (``forensics``).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from ledger_service.core.errors import MalformedInput
from ledger_service.supervision.findings import Hit, ratio

__all__ = ["R003_DAYS", "cardinal_hits", "indicators", "quantile", "upper_fence"]

R003_DAYS = 15
_COMPETITIVE = frozenset({"open", "selective"})
Release = Mapping[str, Any]


def quantile(values: Sequence[float], tau: float) -> float:
    """Quantile ``tau`` in [0, 1] of ``values`` by Hyndman and Fan's method 8 (statrs).

    Raises MalformedInput for no values or ``tau`` outside [0, 1].
    """
    if not values or not 0.0 <= tau <= 1.0:
        raise MalformedInput(
            f"quantile: expected values and 0 <= tau <= 1, found {len(values)} values, tau {tau}"
        )
    s = sorted(values)
    h = (len(s) + 1 / 3) * tau + 1 / 3
    hf = int(h)
    if hf <= 0 or tau == 0.0:
        return s[0]
    if hf >= len(s) or tau == 1.0:
        return s[-1]
    return s[hf - 1] + (h - hf) * (s[hf] - s[hf - 1])


def upper_fence(values: Sequence[float]) -> float:
    """Q3 + 1.5 (Q3 - Q1) of ``values`` (see :func:`quantile`)."""
    q1, q3 = quantile(values, 0.25), quantile(values, 0.75)
    return q3 + 1.5 * (q3 - q1)


def _get(obj: Any, *path: str) -> Any:
    for key in path:
        obj = obj.get(key) if isinstance(obj, Mapping) else None
    return obj


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _num(value: Any) -> float | None:
    return float(value) if type(value) in (int, float) else None


def _details(release: Release) -> list[Any]:
    return _list(_get(release, "bids", "details"))


def _submitted(release: Release) -> list[Mapping[str, Any]]:
    """Cardinal's submitted bids: pending, valid and disqualified (a status, not invited/withdrawn)."""
    return [b for b in _details(release) if isinstance(b, Mapping) and type(b.get("status")) is str
            and b["status"] not in ("invited", "withdrawn")]  # fmt: skip


def _ids(parties: Any) -> set[str]:
    return {p["id"] for p in _list(parties) if isinstance(p, Mapping) and type(p.get("id")) is str}


def _priced(bid: Mapping[str, Any]) -> tuple[float, str] | None:
    amount, currency = _num(_get(bid, "value", "amount")), _get(bid, "value", "currency")
    return (amount, currency) if amount is not None and type(currency) is str else None


def _final_awards(release: Release) -> list[Mapping[str, Any]] | None:
    """Active awards when every award is final (Cardinal: None while one is pending)."""
    awards = release.get("awards")
    if not isinstance(awards, list) or not isinstance(_get(release, "bids", "details"), list):
        return None
    active = []
    for award in awards:
        status = award.get("status") if isinstance(award, Mapping) else None
        if status == "active":
            active.append(award)
        elif type(status) is str and status not in ("cancelled", "unsuccessful"):
            return None
    return active


def _r003(release: Release, days: int) -> bool:
    period = _get(release, "tender", "tenderPeriod")
    try:
        start = datetime.fromisoformat(_get(period, "startDate"))
        end = datetime.fromisoformat(_get(period, "endDate"))
    except (TypeError, ValueError):
        return False
    seconds = (end - start).total_seconds()
    return math.trunc(seconds / 86400) < days


def _r018(release: Release) -> bool:
    tender = release.get("tender")
    n = _get(tender, "numberOfTenderers")
    return _get(tender, "procurementMethod") in _COMPETITIVE and type(n) is int and n == 1


def _r028(release: Release) -> set[str]:
    prices: dict[tuple[float, str], set[str]] = {}
    flagged: set[str] = set()
    for bid in _submitted(release):
        price, ids = _priced(bid), _ids(bid.get("tenderers"))
        if price is None or not ids:
            continue
        other = prices.get(price)
        if other is not None and other != ids:
            flagged |= ids | other
        prices[price] = ids
    return flagged


def _r035(release: Release, threshold: int = 1) -> tuple[int, str] | None:
    awards = _final_awards(release)
    if awards is None:
        return None
    suppliers = set().union(*(_ids(a.get("suppliers")) for a in awards))
    valid, disqualified = set(), set()
    for bid in _details(release):
        status = bid.get("status") if isinstance(bid, Mapping) else None
        if status == "valid":
            valid |= _ids(bid.get("tenderers"))
        elif status == "disqualified":
            disqualified |= _ids(bid.get("tenderers"))
    n = len(disqualified - valid)
    if len(valid) == 1 and valid == suppliers and n >= threshold:
        return n, next(iter(valid))
    return None


def _r036(release: Release, currency: str | None) -> bool:
    if not any(_get(a, "status") == "active" for a in _list(release.get("awards"))):
        return False
    lowest: float | None = None
    lowest_disqualified = has_valid = False
    for bid in _submitted(release):
        price = _priced(bid)
        if price is None or price[1] != currency:
            continue
        if lowest is None or price[0] < lowest:
            lowest, lowest_disqualified = price[0], bid["status"] == "disqualified"
        has_valid = has_valid or bid["status"] == "valid"
    return has_valid and lowest_disqualified


def _second_lowest_ratio(release: Release, currency: str | None) -> tuple[float, str] | None:
    awards = _final_awards(release)
    if awards is None or len(awards) != 1:
        return None
    suppliers = _list(awards[0].get("suppliers"))
    if len(suppliers) != 1 or type(_get(suppliers[0], "id")) is not str:
        return None
    winner_id = suppliers[0]["id"]
    winner: float | None = None
    other: float | None = None
    for bid in _details(release):
        tenderers, price = (
            _list(_get(bid, "tenderers")),
            _priced(bid) if isinstance(bid, Mapping) else None,
        )
        if (price is None or _get(bid, "status") != "valid" or len(tenderers) != 1
                or type(_get(tenderers[0], "id")) is not str or price[1] != currency):  # fmt: skip
            continue
        if tenderers[0]["id"] == winner_id:
            winner = price[0] if winner is None else min(winner, price[0])
        else:
            other = price[0] if other is None else min(other, price[0])
    if winner is None or other is None or other < winner or winner == 0:
        return None
    return (other - winner) / winner, winner_id


def _first_currency(releases: Iterable[Release]) -> str | None:
    for release in releases:
        for bid in _details(release):
            if isinstance(bid, Mapping) and (price := _priced(bid)) is not None:
                return price[1]
    return None


def _fenced(ratios: Mapping[str, float]) -> dict[str, float]:
    if not ratios:
        return {}
    fence = upper_fence(list(ratios.values()))
    return {k: v for k, v in ratios.items() if fence > 0 and v >= fence}


def _counted(
    releases: Sequence[Release], exclude: frozenset[str], no_price: frozenset[str]
) -> Iterable[tuple[Release, bool]]:
    """Cardinal's filter: a string ocid, not cancelled, method details not excluded;
    with whether prices may be compared (method details not in ``no_price``)."""
    for r in releases:
        details = _get(r, "tender", "procurementMethodDetails")
        if (type(r.get("ocid")) is str and _get(r, "tender", "status") != "cancelled"
                and details not in exclude):  # fmt: skip
            yield r, details not in no_price


def indicators(
    releases: Sequence[Release], *, r003_days: int = R003_DAYS,
    exclude_method_details: frozenset[str] = frozenset(),
    no_price_comparison: frozenset[str] = frozenset(),
) -> dict[str, Any]:  # fmt: skip
    """Cardinal's flags on compiled releases (one per ocid), in Cardinal's output shape.

    Values as Cardinal gives them: 1.0 for R003/R018/R028/R036, the number of
    disqualified tenderers for R035, the ratio for R038 and R058 (the winner gets 0.0).
    Skipped as by Cardinal: releases without a string ``ocid``, cancelled tenders, and
    ``tender.procurementMethodDetails`` in ``exclude_method_details``; R028, R036 and
    R058 also skip details in ``no_price_comparison`` (prices fixed by the buyer).
    """
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(lambda: defaultdict(dict))
    counted = list(_counted(releases, exclude_method_details, no_price_comparison))
    currency = _first_currency(r for r, _ in counted)
    tenderer: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    buyer: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    entity: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    second: dict[str, tuple[float, str]] = {}
    for r, prices in counted:
        ocid = str(r.get("ocid"))
        flags = {
            "R003": _r003(r, r003_days),
            "R018": _r018(r),
            "R036": prices and _r036(r, currency),
        }
        for flag in (f for f, on in flags.items() if on):
            out["OCID"][ocid][flag] = 1.0
        if prices and (same := _r028(r)):
            out["OCID"][ocid]["R028"] = 1.0
            for t in same:
                out["Tenderer"][t]["R028"] = 1.0
        if (r035 := _r035(r)) is not None:
            out["OCID"][ocid]["R035"] = float(r035[0])
            out["Tenderer"][r035[1]]["R035"] = 0.0
        if prices and (pair := _second_lowest_ratio(r, currency)) is not None:
            second[ocid] = pair
        bids = _submitted(r)
        bad = sum(1 for b in bids if b["status"] == "disqualified")
        for b in bids:
            for t in _ids(b.get("tenderers")):
                tenderer[t][0] += b["status"] == "disqualified"
                tenderer[t][1] += 1
        for group, path in (
            (buyer, ("buyer", "id")),
            (entity, ("tender", "procuringEntity", "id")),
        ):
            if bids and type(key := _get(r, *path)) is str:
                group[key][0] += bad
                group[key][1] += len(bids)
    for name, group in (("Buyer", buyer), ("ProcuringEntity", entity), ("Tenderer", tenderer)):
        ratios = {k: d / n for k, (d, n) in group.items() if n >= 2}
        for k, v in _fenced(ratios).items():
            out[name][k]["R038"] = v
    for ocid, v in _fenced({o: p[0] for o, p in second.items()}).items():
        out["OCID"][ocid]["R058"] = v
        out["Tenderer"][second[ocid][1]]["R058"] = 0.0
    return {k: {i: dict(f) for i, f in v.items()} for k, v in out.items() if v}


_EXPLAIN = {
    "R003": ("投标期过短（少于{days}天）。", "The submission period is shorter than {days} days."),
    "R018": ("竞争性程序只收到一份投标。", "A competitive procedure received a single bid."),
    "R028": ("不同投标人报价相同。", "Different tenderers submitted the same price."),
    "R035": ("除中标人外的投标全部被否决（{value}家）。", "Every bid but the winner's was disqualified ({value})."),
    "R036": ("最低报价被否决而授予他人。", "The lowest bid was disqualified and another awarded."),
    "R038": ("被否决投标比例异常高（高于四分位上界）：{who}。",
             "An excessive share of disqualified bids (above the upper fence): {who}."),
    "R058": ("中标价比次低有效报价低{value}（高于四分位上界）。",
             "The winning bid is {value} below the second-lowest valid bid (above the upper fence)."),
}  # fmt: skip


def cardinal_hits(
    releases: Sequence[Release], *, r003_days: int = R003_DAYS
) -> dict[str, list[Hit]]:
    """Tender code (``tender.id``) -> a hit per Cardinal flag on its compiled release.

    R038 is a flag on organisations; it lands on the tenders where a flagged tenderer's
    bid, or any bid to a flagged buyer or procuring entity, was disqualified (Cardinal's
    ``--map`` output). Each hit's ref is the compiled release's ``id``.
    """
    result = indicators(releases, r003_days=r003_days)
    flagged_orgs = {k for g in ("Buyer", "ProcuringEntity") for k in result.get(g, {})
                    if "R038" in result[g][k]}  # fmt: skip
    flagged_tenderers = {k for k, f in result.get("Tenderer", {}).items() if "R038" in f}
    out: dict[str, list[Hit]] = defaultdict(list)
    for r in releases:
        code, ocid, ref = (
            str(_get(r, "tender", "id")),
            str(r.get("ocid")),
            str(r.get("id", r.get("ocid"))),
        )
        flags = dict(result.get("OCID", {}).get(ocid, {}))
        bad = {
            t
            for b in _submitted(r)
            if b["status"] == "disqualified"
            for t in _ids(b.get("tenderers"))
        }
        who = bad & flagged_tenderers
        orgs = {_get(r, "buyer", "id"), _get(r, "tender", "procuringEntity", "id")} & flagged_orgs
        if bad and (who or orgs):
            flags["R038"] = 1.0
        for flag, value in sorted(flags.items()):
            zh, en = _EXPLAIN[flag]
            shown = ratio(value) if flag == "R058" else str(int(value))
            names = "、".join(sorted(who | {str(o) for o in orgs}))
            parties = tuple(sorted(who)) if flag == "R038" else ()
            out[code].append(Hit(flag, code, parties, {"value": shown},
                                 zh=zh.format(days=r003_days, value=shown, who=names),
                                 en=en.format(days=r003_days, value=shown, who=names), refs=(ref,)))  # fmt: skip
    return out
