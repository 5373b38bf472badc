"""Records entering the log: a client's deposit, and the one rule for recording a step.

Every domain (tenders, electronic contracts, notarization) records its steps with
:func:`record_step`, so that a step's body, digest, kind and subject follow one rule:
the body is ``{<id field>: <id>, <event field>: <event>, **payload}``, its digest the
SHA-256 of its RFC 8785 canonical encoding.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord

_RECORD_FIELDS = {"kind", "subject", "digests", "metadata"}


class Appender(Protocol):
    """Where records go: :class:`ledger_service.store.log.LogStore` or a test double."""

    def append(self, records: Sequence[EvidenceRecord]) -> Any: ...


@dataclass(frozen=True)
class StepDomain:
    """How one domain names its step records.

    ``prefix`` gives the record kind (``<prefix>.<event>``) and subject
    (``<prefix>:<id>``); ``id_field`` and ``event_field`` name the body's fields.
    """

    prefix: str
    id_field: str
    event_field: str = "event"


TENDER = StepDomain("tender", "tender")
CONTRACT = StepDomain("contract", "contract")
NOTARY = StepDomain("notary", "request", "step")


def step_record(
    domain: StepDomain,
    ident: str | int,
    event: str,
    payload: Mapping[str, Any],
    *,
    actor: str,
    digests: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> EvidenceRecord:
    """The evidence record of one step; ``digests`` default to the body's canonical SHA-256.

    Raises MalformedInput when the payload is not canonical JSON (floats, bad text).
    """
    body = {domain.id_field: ident, domain.event_field: event, **payload}
    if digests is None:
        digests = {"sha256": hashlib.sha256(canonicalize(body)).hexdigest()}
    return EvidenceRecord.create(
        kind=f"{domain.prefix}.{event}",
        subject=f"{domain.prefix}:{ident}",
        actor=actor,
        digests=digests,
        metadata=body,
        now=now,
    )


def record_step(
    log: Appender,
    domain: StepDomain,
    ident: str | int,
    event: str,
    payload: Mapping[str, Any],
    *,
    actor: str,
    digests: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> int:
    """Append the record of one step (see :func:`step_record`); returns its leaf index."""
    record = step_record(domain, ident, event, payload, actor=actor, digests=digests, now=now)
    index: int = log.append([record]).first_index
    return index


def record_from_request(obj: Any, actor: str, where: str = "record") -> EvidenceRecord:
    """Build a record from a client's JSON object; the actor comes from the caller's token.

    Raises MalformedInput naming the field when the object has the wrong shape.
    """
    if not isinstance(obj, Mapping):
        raise MalformedInput(f"{where}: expected a JSON object, found {type(obj).__name__}")
    unknown = set(obj) - _RECORD_FIELDS
    if unknown:
        raise MalformedInput(
            f"{where}: expected only fields {sorted(_RECORD_FIELDS)}, found {sorted(unknown)}"
        )
    missing = {"kind", "subject", "digests"} - set(obj)
    if missing:
        raise MalformedInput(f"{where}: expected fields {sorted(missing)}, found them missing")
    try:
        return EvidenceRecord.create(
            kind=obj["kind"],
            subject=obj["subject"],
            actor=actor,
            digests=obj["digests"],
            metadata=obj.get("metadata", {}),
        )
    except MalformedInput as exc:  # LimitExceeded stays LimitExceeded (413)
        raise type(exc)(f"{where}: {exc}") from exc
