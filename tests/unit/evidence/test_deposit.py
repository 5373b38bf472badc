"""The one rule for step records, and client deposits."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import MalformedInput
from ledger_service.evidence.deposit import (
    CONTRACT,
    NOTARY,
    TENDER,
    record_from_request,
    record_step,
    step_record,
)

NOW = datetime(2026, 12, 2, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("domain", "ident", "id_field", "event_field"),
    [(TENDER, "GC-1", "tender", "event"), (CONTRACT, "HT-1", "contract", "event"),
     (NOTARY, 7, "request", "step")],
)  # fmt: skip
def test_step_body_kind_subject_and_canonical_digest(domain, ident, id_field, event_field):
    rec = step_record(domain, ident, "x_done", {"note": "说明", "n": 3}, actor="op", now=NOW)
    body = {id_field: ident, event_field: "x_done", "note": "说明", "n": 3}
    assert rec.kind == f"{domain.prefix}.x_done"
    assert rec.subject == f"{domain.prefix}:{ident}"
    assert dict(rec.metadata) == body
    assert rec.digests["sha256"] == hashlib.sha256(canonicalize(body)).hexdigest()


def test_notary_step_digest_is_canonical_not_python_json():
    # the old notary workflow digested json.dumps(sort_keys=True): ", " and ": " separators
    rec = step_record(NOTARY, 3, "review", {"ok": True}, actor="notary", now=NOW)
    body = {"request": 3, "step": "review", "ok": True}
    legacy = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    assert rec.digests["sha256"] != legacy
    assert (
        rec.digests["sha256"]
        == hashlib.sha256(b'{"ok":true,"request":3,"step":"review"}').hexdigest()
    )


def test_given_digests_are_kept():
    rec = step_record(TENDER, "GC-1", "amend", {}, actor="op", digests={"sha256": "ab" * 32})
    assert rec.digests == {"sha256": "ab" * 32}


def test_float_payload_refused():
    with pytest.raises(MalformedInput, match="float"):
        step_record(TENDER, "GC-1", "amend", {"price": 1.5}, actor="op")


class _Log:
    def __init__(self) -> None:
        self.records = []

    def append(self, records):
        self.records.extend(records)

        class R:
            first_index = len(self.records) - 1

        return R()


def test_record_step_appends_and_returns_index():
    log = _Log()
    assert record_step(log, TENDER, "GC-1", "a", {}, actor="op") == 0
    assert record_step(log, TENDER, "GC-1", "b", {}, actor="op") == 1
    assert [r.kind for r in log.records] == ["tender.a", "tender.b"]


def test_record_from_request_names_the_bad_field():
    with pytest.raises(MalformedInput, match=r"records\[2\]: expected only fields"):
        record_from_request({"kind": "k", "subject": "s", "digests": {}, "x": 1}, "a", "records[2]")
    with pytest.raises(MalformedInput, match="expected a JSON object, found list"):
        record_from_request([], "a")
