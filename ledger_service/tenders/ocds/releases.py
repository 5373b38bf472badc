"""OCDS: the release of each published tender step, from the evidence records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord
from ledger_service.tenders.ocds.steps import STEPS, ReleaseOut, StepMeta, TenderSoFar, ocid


def _parse(record: EvidenceRecord, code: str | None) -> tuple[str, str]:
    """(tender code, event) of a tender step record, checked against ``code`` if given."""
    event = record.kind.removeprefix("tender.")
    if not record.kind.startswith("tender.") or event not in STEPS:
        raise MalformedInput(
            f"expected a tender step kind tender.<{'|'.join(STEPS)}>, found {record.kind!r}"
        )
    found, meta_event = record.metadata.get("tender"), record.metadata.get("event")
    if meta_event != event or type(found) is not str or record.subject != f"tender:{found}":
        raise MalformedInput(
            f"{record.kind}: expected metadata event {event!r} and subject 'tender:<metadata tender>', "
            f"found event {meta_event!r}, tender {found!r}, subject {record.subject!r}"
        )
    if code is not None and found != code:
        raise MalformedInput(
            f"{record.kind}: expected a record of tender {code!r}, found tender {found!r}"
        )
    return found, event


def _apply(t: TenderSoFar, record: EvidenceRecord, index: int | None) -> dict[str, Any] | None:
    """Advance ``t`` by one step; return its release when ``index`` is given and it has one."""
    _, event = _parse(record, t.code)
    tags, handler = STEPS[event]
    if t.status is None and event != "announced":
        raise MalformedInput(
            f"{record.kind}: expected the tender's announced record before it, found none"
        )
    if t.status is not None and event == "announced":
        raise MalformedInput(f"{record.kind}: expected one announcement per tender, found a second")
    out = ReleaseOut(list(tags))
    handler(t, StepMeta(record), out)
    if index is None or not tags:
        return None
    the_ocid = ocid(t.code)
    tender = {"id": t.code, "status": t.status, **out.body.pop("tender", {})}
    return {"ocid": the_ocid, "id": f"{the_ocid}-{index:08d}-{event}", "date": record.submitted_at,
            "tag": out.tags, "initiationType": "tender", **out.body, "tender": tender}  # fmt: skip


def release_for(
    record: EvidenceRecord, index: int, previous: Sequence[EvidenceRecord]
) -> dict[str, Any]:
    """The OCDS release of one tender step.

    Requires: ``index`` is the record's log leaf index (>= 0); ``previous`` holds the
    same tender's earlier records in log order, from its announcement on (other kinds
    are ignored). Returns a fresh release with the fields this step changed.

    Raises:
        MalformedInput: ``record`` is not a tender step with a release (key steps have
            none), a record belongs to another tender, ``previous`` lacks what the
            step refers to (the announcement, a bidder's registration, an active bid,
            a pending award), or a payload field has the wrong type.
    """
    if type(index) is not int or index < 0:
        raise MalformedInput(f"index: expected a log leaf index >= 0, found {index!r}")
    t = TenderSoFar(_parse(record, None)[0])
    for earlier in previous:
        if earlier.kind.startswith("tender."):
            _apply(t, earlier, None)
    release = _apply(t, record, index)
    if release is None:
        raise MalformedInput(
            f"expected a tender step with an OCDS release, found {record.kind!r} (not published)"
        )
    return release


def releases(records: Sequence[tuple[int, EvidenceRecord]]) -> list[dict[str, Any]]:
    """The releases of one tender's records, given as (leaf index, record) in log order.

    Kinds other than ``tender.*`` are skipped, and so are :data:`UNPUBLISHED_EVENTS`.
    Raises MalformedInput as :func:`release_for` does, or for indexes not increasing.
    """
    out: list[dict[str, Any]] = []
    t: TenderSoFar | None = None
    last = -1
    for index, record in records:
        if not record.kind.startswith("tender."):
            continue
        if type(index) is not int or index <= last:
            raise MalformedInput(
                f"index: expected log order (an index above {last}), found {index!r}"
            )
        last = index
        t = t or TenderSoFar(_parse(record, None)[0])
        if (release := _apply(t, record, index)) is not None:
            out.append(release)
    return out
