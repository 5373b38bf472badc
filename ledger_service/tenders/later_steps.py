"""The structured data of the later tender steps (evaluation, candidates, award ...).

Each step is recorded with the fields the OCDS export reads (``tenders.ocds``
module docstring): the valid bids best first, the candidates, the winner, the price.
:func:`step_payload` builds a step's payload from what the operator gave and checks
it at input; :func:`check_publishable` then builds the step's OCDS release against
the tender's records so far and refuses the step if it would not give one: a step
that cannot be exported is never recorded, so the export cannot break.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord
from ledger_service.tenders.lifecycle import Event

_ADDRESS = re.compile(r"^0x[0-9a-fA-F]{40}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
MAX_TEXT = 2000

#: event -> (the document's payload key or None, required data fields, optional ones)
FIELDS: dict[Event, tuple[str | None, tuple[str, ...], tuple[str, ...]]] = {
    Event.REPORT_EVALUATION: ("report", ("valid",), ("disqualified",)),
    Event.PUBLISH_CANDIDATES: ("notice", ("candidates", "publicity_end"), ()),
    Event.FILE_COMPLAINT: ("document", ("complainant",), ()),
    Event.RESOLVE_COMPLAINT: ("document", ("decision",), ()),
    Event.AWARD: ("notice", ("supplier",), ("value",)),
    Event.SIGN_CONTRACT: ("contract", (), ("value", "start", "end")),
    Event.CANCEL: (None, ("reason",), ()),
}


def _addresses(event: Event, key: str, value: object, at_least: int) -> list[str]:
    if (
        not isinstance(value, list | tuple)
        or len(value) < at_least
        or not all(isinstance(v, str) and _ADDRESS.match(v) for v in value)
    ):
        raise MalformedInput(
            f"{event.value} {key}: expected a list of bidder addresses (0x + 40 hex)"
            + (f", at least {at_least}" if at_least else "") + f", found {value!r}"
        )  # fmt: skip
    if len({v.lower() for v in value}) != len(value):
        raise MalformedInput(f"{event.value} {key}: expected each bidder once, found {value!r}")
    return [str(v) for v in value]


def _check(event: Event, key: str, value: object) -> Any:
    if key in ("valid", "disqualified"):
        return _addresses(event, key, value, 0)
    if key == "candidates":
        return _addresses(event, key, value, 1)
    if key == "supplier":
        if not isinstance(value, str) or not _ADDRESS.match(value):
            raise MalformedInput(
                f"{event.value} supplier: expected the winning bidder's address, found {value!r}"
            )
        return value
    if key in ("publicity_end", "start", "end"):
        if type(value) is not int or value <= 0:
            raise MalformedInput(f"{event.value} {key}: expected unix seconds, found {value!r}")
        return value
    if key == "value":
        if (not isinstance(value, Mapping) or set(value) != {"amount", "currency"}
                or type(value["amount"]) is not int or value["amount"] < 0
                or not isinstance(value["currency"], str)
                or not _CURRENCY.match(value["currency"])):  # fmt: skip
            raise MalformedInput(
                f'{event.value} value: expected {{"amount": whole units >= 0, "currency": '
                f"ISO 4217 like CNY}}, found {value!r}"
            )
        return {"amount": value["amount"], "currency": value["currency"]}
    if not isinstance(value, str) or not 1 <= len(value) <= MAX_TEXT:
        raise MalformedInput(
            f"{event.value} {key}: expected 1..{MAX_TEXT} characters, found {value!r}"
        )
    return value


def step_payload(
    event: Event, note: str, document: tuple[str, str] | None, data: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, str] | None]:
    """(payload, digests) of a later step; the document (name, sha256) is its digest.

    Raises:
        MalformedInput: a required field or the document is missing, a field does not
            belong to ``event``, or one has the wrong form (the message names it).
    """
    if event not in FIELDS:
        raise MalformedInput(
            f"expected one of the later steps {', '.join(e.value for e in FIELDS)}, found "
            f"{event.value}"
        )
    doc_key, required, optional = FIELDS[event]
    given = {k: v for k, v in data.items() if v is not None}
    if event == Event.CANCEL and "reason" not in given and note:
        given["reason"] = note  # a cancellation's note is its reason
    unknown = sorted(set(given) - set(required) - set(optional))
    if unknown:
        raise MalformedInput(
            f"{event.value}: expected only {', '.join(required + optional) or 'no fields'}, "
            f"found {', '.join(unknown)}"
        )
    missing = [k for k in required if k not in given]
    if missing:
        raise MalformedInput(f"{event.value}: expected {', '.join(missing)}, found none")
    if event == Event.REPORT_EVALUATION:
        given.setdefault("disqualified", [])
    payload: dict[str, Any] = {"note": note}
    payload.update({k: _check(event, k, v) for k, v in given.items()})
    digests = None
    if document is not None:
        name, sha256 = document
        payload.update({doc_key or "document": name, "sha256": sha256})
        digests = {"sha256": sha256}
    elif doc_key is not None:
        raise MalformedInput(
            f"{event.value}: expected the {doc_key} document (name, sha256), found none"
        )
    return payload, digests


def check_publishable(
    record: EvidenceRecord, index: int, previous: Sequence[EvidenceRecord]
) -> None:
    """Refuse a step whose OCDS release cannot be built or is not valid OCDS.

    Raises MalformedInput naming what the export found (e.g. a winner without an
    active bid, an award with no pending candidates).
    """
    from ledger_service.tenders import ocds

    release = ocds.release_for(record, index, previous)
    ocds.validate_release(release)
