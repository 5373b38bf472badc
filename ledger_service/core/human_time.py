"""Chain seconds for people: ISO 8601 in UTC (``Z``) beside the Unix seconds.

Evidence keeps Unix seconds (what the chain and the records hold); every line a person
reads shows the same instant as ``2026-12-03T13:15:28Z`` beside it. Pure.
"""

from __future__ import annotations

from datetime import UTC, datetime

#: the last second a 4-digit year can show (9999-12-31T23:59:59Z)
MAX_SECONDS = 253_402_300_799


def iso_utc(seconds: int) -> str:
    """``seconds`` (Unix) as ISO 8601 UTC, e.g. ``2026-12-03T13:15:28Z``; out-of-range
    values (before 1970, after 9999) are shown as ``out of range``."""
    if type(seconds) is not int or not 0 <= seconds <= MAX_SECONDS:
        return "out of range"
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def with_iso(seconds: int) -> str:
    """``1796304528 (2026-12-03T13:15:28Z)``: the chain's seconds, and the time they mean."""
    return f"{seconds} ({iso_utc(seconds)})"
