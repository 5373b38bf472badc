"""tender_report: rows from the tender view and the log, head from the newest confirmed anchor;
every step the tender service records has a bilingual label."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

import pytest

from ledger_service.core.errors import ConfigurationError, NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.reports.build import (
    EVENT_LABELS,
    ReportSources,
    contract_report,
    label,
    tender_report,
)
from ledger_service.reports.layout import render_report
from ledger_service.reports.model import NO_TX, ChainRef
from ledger_service.store.anchors import AnchorInfo
from ledger_service.tenders import ocds
from ledger_service.tenders.lifecycle import Event

TX = "0x" + "ab" * 32
STEPS = [("announced", {}), ("bid_submitted", {"tx_hash": TX}),
         ("open", {"tx_hash": TX, "opened": 3, "flagged": 1}), ("award", {})]  # fmt: skip


@dataclass
class _Stored:
    record: EvidenceRecord
    index: int = 0


@dataclass
class _Log:
    records: dict[int, EvidenceRecord]

    def record(self, i: int) -> _Stored:
        return _Stored(self.records[i], i)

    def records_for_subject(self, subject: str) -> list[_Stored]:
        return [_Stored(r, i) for i, r in sorted(self.records.items()) if r.subject == subject]


@dataclass
class _Anchors:
    head: AnchorInfo | None

    def latest_confirmed(self) -> AnchorInfo | None:
        return self.head


@dataclass
class _Tenders:
    view: dict[str, Any]
    calls: list[tuple[str, bool]] = field(default_factory=list)

    def public_view(self, code: str, full: bool = False) -> dict[str, Any]:
        self.calls.append((code, full))
        return self.view


def _services(tree_size: int = 10) -> Any:
    records, events = {}, []
    for n, (event, extra) in enumerate(STEPS):
        index = 2 * n  # an OCDS release record sits between steps
        records[index] = EvidenceRecord.create(
            kind=f"tender.{event}", subject="tender:GC-1", actor="service:chainwitness",
            digests={"sha256": f"{n:02x}" * 32}, metadata={"tender": "GC-1", "event": event, **extra},
        )  # fmt: skip
        events.append({"seq": n, "event": event, "state_after": "x",
                       "chain_time": 1_790_000_000 + 60 * n, "record_index": index})  # fmt: skip
    view = {"code": "GC-1", "title": "道路维修 Road repair", "events": events,
            "chain": {"chain_id": 31337, "evidence_log": "0x" + "11" * 20,
                      "tender_registry": "0x" + "22" * 20}}  # fmt: skip
    anchor = AnchorInfo(tree_size, b"\xee" * 32, 31337, "0x" + "11" * 20, "0x" + "cd" * 32, 77,
                        "0x" + "00" * 32, 1_790_001_000, 3, "confirmed")  # fmt: skip
    return ReportSources(_Log(records), _Anchors(anchor), _Tenders(view))


def test_rows_labels_opening_and_head() -> None:
    s = _services()
    r = tender_report(s, "GC-1", "CW-2026-000001", "https://w.example.cn/")
    assert s.tenders.calls == [("GC-1", True)]
    assert [(e.label_zh, e.record_index, e.tx_hash) for e in r.events] == [
        ("招标公告", 0, NO_TX),
        ("投标文件递交", 2, TX),
        ("开标", 4, TX),
        ("中标通知", 6, NO_TX),
    ]
    assert r.events[0].time == "2026-09-21T14:13:20Z"
    assert r.events[1].digest == "01" * 32
    assert r.opening is not None and (r.opening.opened, r.opening.flagged) == (3, 1)
    assert (r.head.size, r.head.root, r.head.block_number) == (10, "ee" * 32, 77)
    # the QR opens the public page; the JSON record and proof are the second line
    assert r.verify_url == "https://w.example.cn/verify?report=CW-2026-000001"
    assert r.data_url == "https://w.example.cn/v1/reports/CW-2026-000001"
    assert r.chain.tender_registry == "0x" + "22" * 20
    render_report(r)  # renders


def _recordable_steps() -> set[str]:
    """Every step kind the tender service records (``tender.<step>``), from the OCDS
    compiler's step table, which refuses any other kind."""
    return set(ocds.RELEASE_TAGS) | set(ocds.UNPUBLISHED_EVENTS)


_CJK = re.compile(r"[\u4e00-\u9fff]")


def _unlabelled(steps: Iterable[str]) -> list[str]:
    """The steps ``label`` gives no Chinese and English label (only the step's own name)."""
    missing = []
    for step in sorted(steps):
        zh, en = label(step)
        if not (_CJK.search(zh) and en.isascii() and en.strip() and step not in (zh, en)):
            missing.append(step)
    return missing


def test_every_recordable_step_has_a_bilingual_label() -> None:
    steps = _recordable_steps()
    # each lifecycle event is recorded under its own name, except bids (bid_submitted, bid_withdrawn)
    moved = {e.value for e in Event} - {Event.SUBMIT_BID.value, Event.WITHDRAW_BID.value}
    assert moved <= steps
    assert {"announced", "key_generated", "key_dealing", "bid_submitted", "bid_withdrawn"} <= steps
    assert _unlabelled(steps) == []
    assert label("key_dealing") == ("密钥分发", "Key dealing")


def test_a_missing_or_monolingual_label_is_found(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(EVENT_LABELS, "key_dealing")
    monkeypatch.setitem(EVENT_LABELS, "award", ("award", "Award notice"))
    monkeypatch.setitem(EVENT_LABELS, "cancel", ("终止", ""))
    assert label("key_dealing") == ("key_dealing", "key_dealing")
    assert _unlabelled(_recordable_steps()) == ["award", "cancel", "key_dealing"]


def test_head_must_cover_the_last_step() -> None:
    with pytest.raises(
        NotFound, match="covering record 6 of tender GC-1, found the newest confirmed tree size 6"
    ):
        tender_report(_services(tree_size=6), "GC-1", "CW-2026-000001", "https://w.example.cn")
    tender_report(_services(tree_size=7), "GC-1", "CW-2026-000001", "https://w.example.cn")


def test_no_anchor_or_no_tenders() -> None:
    s = _services()
    s.anchors.head = None
    with pytest.raises(NotFound, match="found the newest confirmed tree size 0"):
        tender_report(s, "GC-1", "CW-2026-000001", "https://w.example.cn")
    with pytest.raises(ConfigurationError, match="expected a connected TenderRegistry"):
        tender_report(replace(s, tenders=None), "GC-1", "CW-2026-000001", "https://w.example.cn")


def _contract_sources(tree_size: int = 10) -> Any:
    steps = [("registered", {"document_name": "采购合同 Purchase contract", "tx_hash": TX}),
             ("signed", {"tx_hash": TX}), ("completed", {})]  # fmt: skip
    records = {
        3 * n + 1: EvidenceRecord.create(
            kind=f"contract.{event}",
            subject="contract:HT-1",
            actor="service:chainwitness",
            digests={"sha256": f"{n:02x}" * 32},
            metadata=meta,
        )  # fmt: skip
        for n, (event, meta) in enumerate(steps)
    }
    anchor = AnchorInfo(tree_size, b"\xee" * 32, 31337, "0x" + "11" * 20, "0x" + "cd" * 32, 77,
                        "0x" + "00" * 32, 1_790_001_000, 3, "confirmed")  # fmt: skip
    chain = ChainRef(31337, "0x" + "11" * 20, "0x" + "22" * 20)
    return ReportSources(_Log(records), _Anchors(anchor), None, chain)


def test_contract_report_rows_title_and_chain() -> None:
    s = _contract_sources()
    r = contract_report(s, "HT-1", "CW-2026-000002", "https://w.example.cn")
    assert [(e.event, e.label_zh, e.record_index, e.tx_hash) for e in r.events] == [
        ("registered", "合同登记", 1, TX),
        ("signed", "当事人签署", 4, TX),
        ("completed", "签署完成", 7, NO_TX),
    ]
    assert r.kind == "contract" and r.subject_title == "采购合同 Purchase contract"
    assert r.chain == s.chain and r.head.size == 10
    # the QR opens the public page; the JSON record and proof are the second line
    assert r.verify_url == "https://w.example.cn/verify?report=CW-2026-000002"
    assert r.data_url == "https://w.example.cn/v1/reports/CW-2026-000002"


def test_contract_report_refusals() -> None:
    with pytest.raises(NotFound, match="covering record 7 of contract HT-1, found the newest"):
        contract_report(_contract_sources(tree_size=7), "HT-1", "CW-2026-000002", "https://w.cn")
    with pytest.raises(NotFound, match="expected records of contract 'HT-2', found none"):
        contract_report(_contract_sources(), "HT-2", "CW-2026-000002", "https://w.cn")
    with pytest.raises(ConfigurationError, match="expected a chain connection"):
        contract_report(replace(_contract_sources(), chain=None), "HT-1", "CW-2026-000002",
                        "https://w.cn")  # fmt: skip
