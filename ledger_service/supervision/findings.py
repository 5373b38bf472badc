"""A rule's finding: what it saw, about whom, why it matters, and the evidence it rests on."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ledger_service.core.errors import MalformedInput

__all__ = ["Hit", "ratio"]


def ratio(value: float) -> str:
    """A measured figure as text with 4 decimals: findings become evidence, which holds no floats."""
    return f"{value:.4f}"


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule firing on one tender.

    Fields:
        rule: the rule's id (a key of ``scoring.DEFAULT_WEIGHTS``).
        tender: the tender code.
        parties: the bidders the finding names, sorted.
        detail: what was measured, as text or integers (e.g. the shared identifier).
        zh, en: the explanation, Chinese first, for a regulator to read.
        refs: the evidence references (``ref`` of each signal) the finding rests on, sorted.
    """

    rule: str
    tender: str
    parties: tuple[str, ...]
    detail: Mapping[str, str | int]
    zh: str
    en: str
    refs: tuple[str, ...] = ()
    _key: tuple[str, str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for name in ("rule", "tender", "zh", "en"):
            if type(getattr(self, name)) is not str or not getattr(self, name):
                raise MalformedInput(
                    f"Hit.{name}: expected a non-empty string, found {getattr(self, name)!r}"
                )
        if any(type(v) not in (str, int) for v in self.detail.values()):
            raise MalformedInput(
                f"Hit.detail: expected text or integer values, found {dict(self.detail)!r}"
            )
        object.__setattr__(self, "parties", tuple(sorted(set(self.parties))))
        object.__setattr__(self, "refs", tuple(sorted(set(self.refs))))
        object.__setattr__(self, "detail", dict(self.detail))
        object.__setattr__(self, "_key", (self.rule, self.tender))

    def to_json(self) -> dict[str, Any]:
        """The finding as a JSON object that fits an evidence record's metadata."""
        return {"rule": self.rule, "tender": self.tender, "parties": list(self.parties),
                "detail": dict(self.detail), "zh": self.zh, "en": self.en, "refs": list(self.refs)}  # fmt: skip
