"""Chain seconds shown with the ISO 8601 UTC time they mean, exact at the limits."""

from __future__ import annotations

from ledger_service.core.human_time import MAX_SECONDS, iso_utc, with_iso


def test_known_answers_and_limits() -> None:
    assert iso_utc(0) == "1970-01-01T00:00:00Z"
    assert iso_utc(1796000010) == "2026-11-30T00:53:30Z"
    assert iso_utc(MAX_SECONDS) == "9999-12-31T23:59:59Z"
    assert iso_utc(MAX_SECONDS + 1) == "out of range"
    assert iso_utc(-1) == "out of range"
    assert iso_utc(True) == "out of range"  # type: ignore[arg-type]
    assert with_iso(1796000010) == "1796000010 (2026-11-30T00:53:30Z)"
