"""WitnessReport and its parts refuse malformed fields on construction."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from ledger_service.core.errors import MalformedInput
from tests.unit.reports.samples import sample_report


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"number": "2026-123"}, "number: expected like CW-2026-000123"),
        ({"kind": "auction"}, "kind: expected 'tender' or 'contract'"),
        ({"events": []}, "events: expected 1..5000 rows"),
        ({"verify_url": "javascript:alert(1)"}, "verify_url: expected an http"),
        ({"issued_at": datetime(2026, 11, 30)}, "issued_at: expected an aware datetime"),
    ],
)
def test_report_rejects_malformed_fields(change: dict[str, Any], match: str) -> None:
    with pytest.raises(MalformedInput, match=match):
        replace(sample_report(2), **change)


def test_report_requires_the_head_to_cover_every_row() -> None:
    r = sample_report(2)
    with pytest.raises(MalformedInput, match="record indices below the head size 2, found"):
        replace(r, head=replace(r.head, size=2))
    replace(r, head=replace(r.head, size=3))  # last index 2: size 3 covers it


def test_event_row_rejects_bad_digest_and_tx() -> None:
    row = sample_report(1).events[0]
    with pytest.raises(MalformedInput, match="event.digest: expected 64 lowercase hex"):
        replace(row, digest="AB" * 32)
    with pytest.raises(MalformedInput, match="event.tx_hash: expected 0x"):
        replace(row, tx_hash="0x1234")
