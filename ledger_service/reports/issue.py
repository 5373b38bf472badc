"""Issuing witness reports: number, render, sign, store, record.

A report is numbered ``CW-<year>-<serial>``; its signed PDF is stored by digest and
recorded in the log under subject ``report:<number>`` (what the QR code points at),
so anyone can prove a copy genuine by its SHA-256.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

from ledger_service.core.errors import MalformedInput, NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.reports.build import (
    ReportSources,
    contract_report,
    tender_report,
)
from ledger_service.reports.ca import load_witness_signer
from ledger_service.reports.layout import render_report
from ledger_service.reports.model import WitnessReport
from ledger_service.reports.pades import sign_report
from ledger_service.store.blobs import BlobStore
from ledger_service.store.log import LogStore

REPORT_KIND = "witness.report"
ISSUER = "service:chainwitness"


class _Builder(Protocol):
    def __call__(
        self, sources: ReportSources, code: str, number: str, verify_base_url: str, *,
        now: datetime | None = None,
    ) -> WitnessReport: ...  # fmt: skip


def next_number(log_store: LogStore, now: datetime) -> str:
    """The next free report number of ``now``'s year (serials count per year)."""
    year = now.year
    serial = 1
    while log_store.records_for_subject(f"report:CW-{year}-{serial:06d}", limit=1):
        serial += 1
    return f"CW-{year}-{serial:06d}"


def report_record(log_store: LogStore, number: str) -> tuple[int, EvidenceRecord]:
    """The evidence record of report ``number`` and its index; raises NotFound."""
    found = log_store.records_for_subject(f"report:{number}", limit=1)
    if not found:
        raise NotFound(f"expected a witness report numbered {number!r}, found none")
    return found[0].index, found[0].record


class ReportService:
    """Issues signed witness reports from ``sources`` into ``blobs`` and the log.

    ``data_dir`` holds the witness CA (``<data_dir>/witness/``, see ``ca.init_witness_ca``).
    """

    def __init__(self, sources: ReportSources, blobs: BlobStore, data_dir: Path) -> None:
        self._sources = sources
        self._blobs = blobs
        self._data_dir = data_dir

    def issue(
        self, subject: str, password: str, verify_base_url: str, *,
        tsa_url: str | None = None, now: datetime | None = None,
    ) -> tuple[str, bytes, int]:  # fmt: skip
        """Render, sign and record the witness report of ``tender:<code>`` or ``contract:<code>``.

        Returns (number, signed PDF, evidence record index). Raises as ``tender_report`` /
        ``contract_report`` (e.g. NotFound when the last record is not anchored yet),
        MalformedInput for another subject, and ConfigurationError when the witness CA is
        missing or the password is wrong.
        """
        kind, _, code = subject.partition(":")
        builders: dict[str, _Builder] = {"tender": tender_report, "contract": contract_report}
        if kind not in builders or not code:
            raise MalformedInput(f"expected tender:<code> or contract:<code>, found {subject!r}")
        now = now or datetime.now(UTC)
        log_store = self._sources.log_store
        signer = load_witness_signer(self._data_dir, password)
        number = next_number(log_store, now)
        report = builders[kind](self._sources, code, number, verify_base_url, now=now)
        pdf = sign_report(render_report(report), signer, reason=f"链见证报告 {number}",
                          location="Chain Witness", tsa_url=tsa_url)  # fmt: skip
        blob = self._blobs.put_bytes(pdf)
        record = EvidenceRecord.create(
            kind=REPORT_KIND, subject=f"report:{number}", actor=ISSUER,
            digests=blob.digests,
            metadata={"number": number, "subject": subject, "size": len(pdf),
                      "head_size": report.head.size, "head_root": report.head.root},
        )  # fmt: skip
        index = log_store.append([record]).first_index
        return number, pdf, index


__all__ = ["ISSUER", "REPORT_KIND", "ReportService", "next_number", "report_record"]
