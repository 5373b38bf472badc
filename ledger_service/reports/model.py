"""What a witness report (链见证报告) states: frozen values, validated on construction.

:func:`~ledger_service.reports.layout.render_report` lays a :class:`WitnessReport` out
as a PDF; :mod:`ledger_service.reports.build` fills one from the service's stores.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from ledger_service.core.errors import MalformedInput

#: Shown where a row has no transaction (a step recorded off chain).
NO_TX = "—"
#: Most event rows one report may hold (beyond this, issue a package, not a PDF).
MAX_EVENTS = 5000
#: Report serials look like CW-2026-000123.
_NUMBER = re.compile(r"[A-Z]{2,8}-\d{4}-\d{6}")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_TX = re.compile(r"0x[0-9a-f]{64}")
_ADDRESS = re.compile(r"0x[0-9a-fA-F]{40}")


def report_links(base_url: str, number: str) -> tuple[str, str]:
    """(QR target, JSON link) of report ``number`` under the service's public ``base_url``.

    The QR code opens the public verification page, ``<base>/verify?report=<number>``
    (it fetches the report's record and proof and checks them in the browser, and
    hashes a dropped copy of the PDF against the record); the JSON record and proof
    stay at ``<base>/v1/reports/<number>``, printed as a second line under the QR code.
    """
    from urllib.parse import quote

    base, n = base_url.rstrip("/"), quote(number, safe="")
    return f"{base}/verify?report={n}", f"{base}/v1/reports/{n}"


def _check(ok: bool, what: str, expected: str, found: object) -> None:
    if not ok:
        raise MalformedInput(f"{what}: expected {expected}, found {found!r}")


@dataclass(frozen=True)
class ChainRef:
    """The chain and contracts a report's records are anchored on."""

    chain_id: int
    evidence_log: str
    tender_registry: str | None = None

    def __post_init__(self) -> None:
        _check(self.chain_id > 0, "chain_id", "a positive integer", self.chain_id)
        for name in ("evidence_log", "tender_registry"):
            value = getattr(self, name)
            if value is not None:
                _check(bool(_ADDRESS.fullmatch(value)), name, "a 0x address", value)


@dataclass(frozen=True)
class TreeHeadRef:
    """The anchored RFC 9162 tree head every listed record is under."""

    size: int
    root: str  # hex
    tx_hash: str
    block_number: int
    block_time: datetime

    def __post_init__(self) -> None:
        _check(self.size > 0, "head.size", "a positive size", self.size)
        _check(bool(_HEX64.fullmatch(self.root)), "head.root", "64 lowercase hex", self.root)
        _check(bool(_TX.fullmatch(self.tx_hash)), "head.tx_hash", "0x + 64 hex", self.tx_hash)


@dataclass(frozen=True)
class EventRow:
    """One lifecycle step: when, what (bilingual label), who, its digest and record."""

    time: str  # ISO 8601
    event: str
    label_zh: str
    label_en: str
    actor: str
    digest: str  # sha256 hex
    record_index: int
    tx_hash: str = NO_TX

    def __post_init__(self) -> None:
        _check(bool(_HEX64.fullmatch(self.digest)), "event.digest", "64 lowercase hex", self.digest)
        _check(self.record_index >= 0, "event.record_index", "an index >= 0", self.record_index)
        _check(self.tx_hash == NO_TX or bool(_TX.fullmatch(self.tx_hash)),
               "event.tx_hash", f"0x + 64 hex or {NO_TX}", self.tx_hash)  # fmt: skip


@dataclass(frozen=True)
class OpeningSummary:
    """How many bids the opening opened and how many it flagged."""

    opened: int
    flagged: int


@dataclass(frozen=True)
class WitnessReport:
    """Everything one report states; validated on construction.

    Precondition checked: every row's record index is below ``head.size`` (the head
    covers every record listed), 1..MAX_EVENTS rows.
    """

    number: str
    kind: Literal["tender", "contract"]
    subject_code: str
    subject_title: str
    issued_at: datetime
    chain: ChainRef
    head: TreeHeadRef
    events: Sequence[EventRow]
    verify_url: str
    opening: OpeningSummary | None = None
    issuer: str = "链见证 Chain Witness"
    #: the machine-readable record and proof (JSON), printed under the QR code
    data_url: str | None = None

    def __post_init__(self) -> None:
        _check(bool(_NUMBER.fullmatch(self.number)), "number", "like CW-2026-000123", self.number)
        _check(self.kind in ("tender", "contract"), "kind", "'tender' or 'contract'", self.kind)
        _check(0 < len(self.subject_code) <= 64, "subject_code", "1..64 characters",
               self.subject_code)  # fmt: skip
        _check(self.issued_at.tzinfo is not None, "issued_at", "an aware datetime",
               self.issued_at)  # fmt: skip
        _check(self.verify_url.startswith(("https://", "http://")), "verify_url",
               "an http(s) URL", self.verify_url)  # fmt: skip
        _check(self.data_url is None or self.data_url.startswith(("https://", "http://")),
               "data_url", "an http(s) URL", self.data_url)  # fmt: skip
        rows = tuple(self.events)
        _check(0 < len(rows) <= MAX_EVENTS, "events", f"1..{MAX_EVENTS} rows", len(rows))
        late = [r.record_index for r in rows if r.record_index >= self.head.size]
        _check(not late, "events", f"record indices below the head size {self.head.size}", late)
        object.__setattr__(self, "events", rows)


__all__ = [
    "MAX_EVENTS", "NO_TX", "ChainRef", "EventRow", "OpeningSummary", "TreeHeadRef",
    "WitnessReport", "report_links",
]  # fmt: skip
