"""The trading system's records in the log, and the tamper watch over them.

The trading system deposits each record it wants watched as ``trading.record``
(subject ``trading:<source>``, metadata ``{"record_id", "record"}``, digest the SHA-256
of the record's RFC 8785 canonical JSON); a later version of the same id is a new
record, and the newest one recorded is the version watched. ``watch`` compares the
trading system's current records (a JSON export, or rows read from its database with
a read-only query) with those versions (``tamper.compare``) and records every
difference as ``supervision.tamper_alert`` (subject ``supervision:trading:<source>``)
naming the changed fields and the leaf index of the recorded version, whose inclusion
proof the caller attaches.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord
from ledger_service.store.log import LogStore
from ledger_service.supervision.tamper import Recorded, TamperFinding, compare

__all__ = ["DEFAULT_SOURCE", "read_database", "record_versions", "recorded_versions", "watch"]

DEFAULT_SOURCE = "records"
#: most records one deposit or one watch takes
MAX_RECORDS = 10_000


def _subject(source: str) -> str:
    if not source or len(source) > 64 or not source.replace("-", "").replace("_", "").isalnum():
        raise MalformedInput(f"source: expected 1..64 letters, digits, - or _, found {source!r}")
    return f"trading:{source}"


def _check(records: Sequence[Any], key: str) -> list[Mapping[str, Any]]:
    if not isinstance(records, list | tuple) or len(records) > MAX_RECORDS:
        raise MalformedInput(f"records: expected an array of at most {MAX_RECORDS} objects, "
                             f"found {type(records).__name__}")  # fmt: skip
    for i, r in enumerate(records):
        if not isinstance(r, Mapping) or type(r.get(key)) is not str or not r.get(key):
            raise MalformedInput(
                f"records[{i}]: expected an object with a string {key!r}, found {r!r:.80}"
            )
    return list(records)


def record_versions(
    log_store: LogStore, records: Sequence[Any], actor: str, *, source: str = DEFAULT_SOURCE,
    key: str = "id",
) -> list[int]:  # fmt: skip
    """Deposit the trading system's ``records`` (JSON objects with a string ``key``) as
    their recorded versions; returns their leaf indices. Raises MalformedInput for a
    record that is not canonical JSON (e.g. a float) or has no ``key``."""
    subject = _subject(source)
    out = []
    for r in _check(records, key):
        canonical = canonicalize(r)
        out.append(EvidenceRecord.create(
            kind="trading.record", subject=subject, actor=actor,
            digests={"sha256": hashlib.sha256(canonical).hexdigest()},
            metadata={"record_id": r[key], "key": key, "record": dict(r)},
        ))  # fmt: skip
    if not out:
        return []
    first = int(log_store.append(out).first_index)
    return list(range(first, first + len(out)))


def recorded_versions(log_store: LogStore, source: str = DEFAULT_SOURCE) -> dict[str, Recorded]:
    """Record id -> its newest recorded version (canonical JSON, leaf index as ref)."""
    out: dict[str, Recorded] = {}
    for stored in log_store.records_for_subject(_subject(source)):
        meta = stored.record.metadata
        if stored.record.kind == "trading.record":
            out[str(meta["record_id"])] = Recorded(canonicalize(meta["record"]), str(stored.index))
    return out


def watch(
    log_store: LogStore, current: Sequence[Any], actor: str, *, source: str = DEFAULT_SOURCE,
    key: str = "id",
) -> list[tuple[TamperFinding, int]]:  # fmt: skip
    """Compare the trading system's ``current`` records with their recorded versions and
    record one ``supervision.tamper_alert`` per finding; returns (finding, alert index)
    in id order. Raises MalformedInput for a malformed export."""
    findings = compare(_check(current, key), recorded_versions(log_store, source), key=key)
    records = [EvidenceRecord.create(
        kind="supervision.tamper_alert", subject=f"supervision:{_subject(source)}", actor=actor,
        digests={"sha256": hashlib.sha256(canonicalize(f.to_json())).hexdigest()},
        metadata={**f.to_json(), "source": source,
                  "recorded_index": None if f.ref is None else int(f.ref)},
    ) for f in findings]  # fmt: skip
    if not records:
        return []
    first = int(log_store.append(records).first_index)
    return [(f, first + i) for i, f in enumerate(findings)]


def _jsonable(value: Any) -> Any:
    """A column value as canonical JSON holds it: an integral number as an integer, other
    numbers, dates and bytes as text (the export's ``id`` column as text too)."""
    import datetime
    import decimal

    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float | decimal.Decimal) and value == int(value):
        return int(value)
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def read_database(url: str, query: str) -> list[dict[str, Any]]:
    """The rows of ``query`` on the trading system's database, read in a read-only
    transaction (PostgreSQL: ``SET TRANSACTION READ ONLY``; SQLite: opened read-only).
    Raises MalformedInput when the database cannot be read. Column values become JSON
    (:func:`_jsonable`); an integer ``id`` column becomes text."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import SQLAlchemyError

    if url.startswith("sqlite:///") and "mode=ro" not in url:
        url = f"sqlite:///file:{url.removeprefix('sqlite:///')}?mode=ro&uri=true"
    try:
        engine = create_engine(url)
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                conn.execute(text("SET TRANSACTION READ ONLY"))
            rows = [{str(k): _jsonable(v) for k, v in r._mapping.items()}
                    for r in conn.execute(text(query))]  # fmt: skip
        engine.dispose()
        for row in rows:
            if isinstance(row.get("id"), int):
                row["id"] = str(row["id"])
    except SQLAlchemyError as exc:
        raise MalformedInput(
            f"expected a readable trading database, found: {exc}".splitlines()[0]
        ) from exc
    return rows
