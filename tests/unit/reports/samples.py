"""A sample witness report for the tests of ``ledger_service.reports`` (no I/O)."""

from __future__ import annotations

from datetime import UTC, datetime

from ledger_service.reports.model import (
    NO_TX,
    ChainRef,
    EventRow,
    OpeningSummary,
    TreeHeadRef,
    WitnessReport,
)

PASSWORD = "correct horse battery"
NUMBER = "CW-2026-000123"
STEPS = [
    ("announced", "招标公告", "Tender announced"),
    ("bidder_registered", "投标人登记", "Bidder registered"),
    ("bid_submitted", "投标文件递交", "Bid submitted"),
    ("open", "开标", "Bids opened"),
]


def sample_report(rows: int = 60) -> WitnessReport:
    events = [
        EventRow(
            time=f"2026-11-{1 + i // 24:02d}T{i % 24:02d}:00:00Z",
            event=STEPS[i % 4][0],
            label_zh=STEPS[i % 4][1],
            label_en=STEPS[i % 4][2],
            actor=f"bidder:0x{i:040x}" if i % 4 else "service:chainwitness",
            digest=f"{i:02x}" * 32,
            record_index=2 * i,
            tx_hash=f"0x{i + 1:064x}" if i % 2 else NO_TX,
        )  # fmt: skip
        for i in range(rows)
    ]
    return WitnessReport(
        number=NUMBER, kind="tender", subject_code="GC-2026-0417",
        subject_title="某市第一中学教学楼改造工程施工招标 <School building renovation & works>",
        issued_at=datetime(2026, 11, 30, 8, 0, tzinfo=UTC),
        chain=ChainRef(31337, "0x" + "11" * 20, "0x" + "22" * 20),
        head=TreeHeadRef(200, "ee" * 32, "0x" + "ff" * 32, 1234,
                         datetime(2026, 11, 30, 7, 0, tzinfo=UTC)),
        events=events, verify_url="https://witness.example.cn/verify?report=" + NUMBER,
        data_url="https://witness.example.cn/v1/reports/" + NUMBER,
        opening=OpeningSummary(opened=14, flagged=1),
    )  # fmt: skip
