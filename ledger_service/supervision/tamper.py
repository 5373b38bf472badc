"""Tamper watch (数据异常修改自动预警): the trading system's live records against the log.

The trading system keeps its own database; the evidence log keeps, for each record,
the canonical JSON (RFC 8785) it had when it was recorded, under a proof. Comparing
the two shows every record changed, deleted or added behind the log's back, field by
field. The comparison is pure: the caller hands over the current export and the
recorded versions (with the reference of the evidence record that proves each).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ledger_service.core.canonical import canonicalize, parse_json_strict
from ledger_service.core.errors import MalformedInput

__all__ = ["FieldChange", "Recorded", "TamperFinding", "compare"]


@dataclass(frozen=True, slots=True)
class Recorded:
    """A record's version as the log holds it: canonical JSON bytes and their evidence ref."""

    canonical: bytes
    ref: str


@dataclass(frozen=True, slots=True)
class FieldChange:
    """One field that differs; ``path`` is an RFC 6901 JSON pointer into the record.

    ``kind`` is ``changed``, ``added`` (only in the current record; ``before`` is None)
    or ``removed`` (only in the recorded one; ``after`` is None).
    """

    path: str
    kind: str
    before: Any
    after: Any

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}


@dataclass(frozen=True, slots=True)
class TamperFinding:
    """A record whose live state is not its recorded state.

    ``status``: ``modified`` (fields differ), ``missing`` (recorded, gone from the
    trading system) or ``unrecorded`` (in the trading system, never recorded).
    ``ref`` is the evidence record that proves the recorded version (None if unrecorded).
    """

    record_id: str
    status: str
    changes: tuple[FieldChange, ...]
    ref: str | None

    @property
    def zh(self) -> str:
        if self.status == "missing":
            return f"记录{self.record_id}已从交易系统中删除，链上存证仍保留其原始版本。"
        if self.status == "unrecorded":
            return f"交易系统中的记录{self.record_id}没有任何存证版本。"
        fields = "、".join(c.path for c in self.changes)
        return f"记录{self.record_id}与链上存证版本不一致，被修改的字段：{fields}。"

    @property
    def en(self) -> str:
        if self.status == "missing":
            return f"Record {self.record_id} is gone from the trading system; the log keeps its recorded version."
        if self.status == "unrecorded":
            return f"Record {self.record_id} in the trading system has no recorded version."
        return (f"Record {self.record_id} differs from its recorded version in "
                f"{', '.join(c.path for c in self.changes)}.")  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        return {"record_id": self.record_id, "status": self.status, "ref": self.ref,
                "changes": [c.to_json() for c in self.changes], "zh": self.zh, "en": self.en}  # fmt: skip


def _pointer(path: str, key: str | int) -> str:
    return f"{path}/{str(key).replace('~', '~0').replace('/', '~1')}"


def _same(a: Any, b: Any) -> bool:
    # A JSON number may come back from an export as 100.0 for 100; a boolean is not a number.
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    return type(a) is type(b) and not isinstance(a, dict | list) and a == b


def _diff(before: Any, after: Any, path: str, out: list[FieldChange]) -> None:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        for key in sorted(set(before) | set(after)):
            if key not in after:
                out.append(FieldChange(_pointer(path, key), "removed", before[key], None))
            elif key not in before:
                out.append(FieldChange(_pointer(path, key), "added", None, after[key]))
            else:
                _diff(before[key], after[key], _pointer(path, key), out)
    elif isinstance(before, list) and isinstance(after, list):
        for i in range(max(len(before), len(after))):
            if i >= len(after):
                out.append(FieldChange(_pointer(path, i), "removed", before[i], None))
            elif i >= len(before):
                out.append(FieldChange(_pointer(path, i), "added", None, after[i]))
            else:
                _diff(before[i], after[i], _pointer(path, i), out)
    elif not _same(before, after):
        out.append(FieldChange(path or "/", "changed", before, after))


def compare(
    current: Sequence[Mapping[str, Any]], recorded: Mapping[str, Recorded], *, key: str = "id"
) -> list[TamperFinding]:
    """Every record whose current state differs from its recorded one, in id order.

    ``current`` is the trading system's export: JSON objects, each with a string
    ``key`` field, unique. ``recorded`` maps the same ids to their recorded versions.
    Numbers compare by value (an export may write 100 as 100.0).

    Raises:
        MalformedInput: a current record without a string ``key`` or a duplicate id;
            a recorded version that is not strict canonical JSON (RFC 8785) of an
            object with that id.
    """
    live: dict[str, Mapping[str, Any]] = {}
    for i, record in enumerate(current):
        rid = record.get(key) if isinstance(record, Mapping) else None
        if type(rid) is not str or not rid:
            raise MalformedInput(
                f"current[{i}]: expected an object with a string {key!r}, found {rid!r}"
            )
        if rid in live:
            raise MalformedInput(
                f"current[{i}]: expected unique {key!r} values, found {rid!r} twice"
            )
        live[rid] = record
    findings = []
    for rid in sorted(set(live) | set(recorded)):
        if rid not in recorded:
            findings.append(TamperFinding(rid, "unrecorded", (), None))
            continue
        version = recorded[rid]
        value = parse_json_strict(version.canonical)
        if (
            canonicalize(value) != version.canonical
            or not isinstance(value, dict)
            or value.get(key) != rid
        ):
            raise MalformedInput(
                f"recorded[{rid!r}]: expected the canonical JSON of an object with {key} {rid!r}, "
                f"found {version.canonical[:60]!r}"
            )
        if rid not in live:
            findings.append(TamperFinding(rid, "missing", (), version.ref))
            continue
        changes: list[FieldChange] = []
        _diff(value, live[rid], "", changes)
        if changes:
            findings.append(TamperFinding(rid, "modified", tuple(changes), version.ref))
    return findings
