"""Combining findings into an alert: points per rule, a threshold, a written explanation.

A tender's score is the sum of the weights of the distinct rules that hit it (a rule
counts once however many times it fires: ten shared IP addresses are one kind of
trace). Weights are whole points; the alert threshold is 100. Every single identifier
weighs less than 100 on purpose: practitioners warn that one matching identifier is a
suspicion, not proof, so an alert needs two independent kinds of trace -- except a
byte-identical bid file or a document changed after the deadline, which the law
itself treats as decisive (招标投标法实施条例 art. 40 item 4) or which breaks the
record. Rationale per weight: ``docs/supervision.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from ledger_service.core.errors import MalformedInput
from ledger_service.supervision.findings import Hit

__all__ = ["ALERT_AT", "DEFAULT_WEIGHTS", "HIGH_AT", "Alert", "Weights", "score"]

ALERT_AT = 100
HIGH_AT = 200
DEFAULT_WEIGHTS: Mapping[str, int] = MappingProxyType({
    # file forensics (one tender)
    "shared_ip": 40, "shared_device": 60, "shared_author": 30, "shared_pdf_id": 80,
    "shared_creation_id": 80, "shared_dongle": 80, "shared_bond_account": 90, "R044": 50,
    # document similarity
    "identical_documents": 100, "near_duplicate_text": 60,
    # timing
    "submission_timing": 40,
    # prices
    "price_screens": 50, "identical_prices": 60, "price_progression": 60,
    # cross-tender history
    "bid_rotation": 60, "fixed_winner": 60, "constant_group": 20,
    # process
    "process_order": 50, "late_change": 100,
    # Cardinal (R028 is identical_prices again, so it adds nothing)
    "R003": 10, "R018": 20, "R028": 0, "R035": 40, "R036": 40, "R038": 20, "R058": 30,
})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Weights:
    """Points per rule and the two thresholds; every rule of :data:`DEFAULT_WEIGHTS` is
    present. Build a variant with :meth:`with_overrides`."""

    points: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_WEIGHTS))
    alert_at: int = ALERT_AT
    high_at: int = HIGH_AT

    def __post_init__(self) -> None:
        if set(self.points) != set(DEFAULT_WEIGHTS):
            raise MalformedInput(f"weights: expected exactly the rules {sorted(DEFAULT_WEIGHTS)}, "
                                 f"found {sorted(self.points)}")  # fmt: skip
        bad = {k: v for k, v in self.points.items() if type(v) is not int or not 0 <= v <= 1000}
        if bad:
            raise MalformedInput(f"weights: expected integers in 0..1000, found {bad}")
        if (
            type(self.alert_at) is not int
            or type(self.high_at) is not int
            or not 0 < self.alert_at <= self.high_at
        ):
            raise MalformedInput(
                f"thresholds: expected 0 < alert_at <= high_at, found {self.alert_at}, {self.high_at}"
            )
        object.__setattr__(self, "points", MappingProxyType(dict(self.points)))

    def with_overrides(self, points: Mapping[str, int], **thresholds: int) -> Weights:
        """These weights with some rules' points (and ``alert_at``/``high_at``) replaced.
        Raises MalformedInput for an unknown rule or a bad value."""
        unknown = sorted(set(points) - set(DEFAULT_WEIGHTS))
        if unknown:
            raise MalformedInput(
                f"weights: expected rules among {sorted(DEFAULT_WEIGHTS)}, found {unknown}"
            )
        return Weights({**self.points, **points}, thresholds.get("alert_at", self.alert_at),
                       thresholds.get("high_at", self.high_at))  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"points": dict(self.points), "alert_at": self.alert_at, "high_at": self.high_at}

    @classmethod
    def from_json(cls, obj: object) -> Weights:
        if not isinstance(obj, Mapping) or set(obj) - {"points", "alert_at", "high_at"}:
            raise MalformedInput(
                f"weights: expected an object with points, alert_at, high_at, found {obj!r}"
            )
        return cls().with_overrides(dict(obj.get("points", {})),
                                    **{k: obj[k] for k in ("alert_at", "high_at") if k in obj})  # fmt: skip


@dataclass(frozen=True, slots=True)
class Alert:
    """The combined finding on one tender.

    ``severity`` is ``high`` (score >= high_at), ``alert`` (>= alert_at) or ``watch``
    (below: shown to a regulator who asks, never pushed). ``points`` gives each rule
    that hit its weight; ``refs`` is the union of the hits' evidence references.
    """

    tender: str
    score: int
    severity: str
    hits: tuple[Hit, ...]
    points: Mapping[str, int]
    refs: tuple[str, ...]
    zh: str
    en: str

    @property
    def is_alert(self) -> bool:
        return self.severity != "watch"

    def to_json(self) -> dict[str, Any]:
        """The alert as JSON fit for an evidence record's metadata (kind ``supervision.alert``)."""
        return {"tender": self.tender, "score": self.score, "severity": self.severity,
                "points": dict(self.points), "refs": list(self.refs), "zh": self.zh, "en": self.en,
                "hits": [h.to_json() for h in self.hits]}  # fmt: skip


def score(tender: str, hits: Sequence[Hit], weights: Weights | None = None) -> Alert | None:
    """The alert for ``tender`` from its ``hits`` (None when there are none).

    Raises MalformedInput for a hit of another tender or of a rule without a weight.
    """
    weights = weights or Weights()
    if not hits:
        return None
    for h in hits:
        if h.tender != tender or h.rule not in weights.points:
            raise MalformedInput(
                f"hit: expected tender {tender!r} and a weighted rule, found {h.tender!r}, {h.rule!r}"
            )
    first: dict[str, Hit] = {}
    for h in hits:
        first.setdefault(h.rule, h)
    points = {rule: weights.points[rule] for rule in sorted(first)}
    total = sum(points.values())
    severity = (
        "high" if total >= weights.high_at else "alert" if total >= weights.alert_at else "watch"
    )
    ranked = sorted(first.values(), key=lambda h: (-points[h.rule], h.rule))
    zh = (f"项目{tender}综合评分{total}分（预警阈值{weights.alert_at}分）。"
          + "".join(f"【{h.rule}，{points[h.rule]}分】{h.zh}" for h in ranked)
          + "以上为疑点提示，不是违法认定，须经人工核查。")  # fmt: skip
    en = (f"Tender {tender} scores {total} points (alert at {weights.alert_at}). "
          + " ".join(f"[{h.rule}, {points[h.rule]}] {h.en}" for h in ranked)
          + " These are grounds for a closer look, not a finding of wrongdoing.")  # fmt: skip
    refs = tuple(sorted({r for h in hits for r in h.refs}))
    return Alert(tender, total, severity, tuple(hits), points, refs, zh, en)
