"""Builds :class:`WitnessReport` objects from the service's stores (the I/O side).

The layout (``layout.py``) only lays out what it is handed; this module fetches a
tender's steps or a contract's records, their log records and the newest confirmed
anchor, from the :class:`ReportSources` it is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

from ledger_service.core.errors import ConfigurationError, MalformedInput, NotFound
from ledger_service.core.records import EvidenceRecord
from ledger_service.reports.model import (
    NO_TX,
    ChainRef,
    EventRow,
    OpeningSummary,
    TreeHeadRef,
    WitnessReport,
    report_links,
)
from ledger_service.store.anchors import AnchorInfo, AnchorStore
from ledger_service.store.log import LogStore


class TenderViews(Protocol):
    """What a tender report reads of the tender service (``TenderService`` has it)."""

    def public_view(self, code: str, full: bool = False) -> dict[str, Any]: ...


@dataclass(frozen=True)
class ReportSources:
    """Where reports read their facts.

    ``tenders`` is None when no TenderRegistry is connected (no tender reports);
    ``chain`` names the chain and contracts the service anchors on, None without a
    chain (no contract reports).
    """

    log_store: LogStore
    anchors: AnchorStore
    tenders: TenderViews | None = None
    chain: ChainRef | None = None


#: Tender step (``tender_events.event``) -> (Chinese, English) label.
EVENT_LABELS: dict[str, tuple[str, str]] = {
    "announced": ("招标公告", "Tender announced"),
    "key_generated": ("开标密钥生成", "Opening key generated"),
    "key_dealing": ("密钥分发", "Key dealing"),
    "key_complaints": ("密钥分发异议", "Key dealing complaints"),
    "key_rerun": ("密钥重新生成", "Key generation rerun"),
    "issue_documents": ("招标文件发出", "Tender documents issued"),
    "amend": ("澄清与修改", "Clarification / amendment"),
    "bidder_registered": ("投标人登记", "Bidder registered"),
    "bid_submitted": ("投标文件递交", "Bid submitted"),
    "bid_withdrawn": ("投标撤回", "Bid withdrawn"),
    "close_bidding": ("投标截止", "Bidding closed"),
    "open": ("开标", "Bids opened"),
    "fail": ("流标", "Tender failed"),
    "report_evaluation": ("评标报告", "Evaluation report"),
    "publish_candidates": ("中标候选人公示", "Candidates published"),
    "file_complaint": ("投诉", "Complaint filed"),
    "resolve_complaint": ("投诉处理", "Complaint resolved"),
    "award": ("中标通知", "Award notice"),
    "sign_contract": ("合同签订", "Contract signed"),
    "cancel": ("终止", "Tender cancelled"),
}


def label(event: str) -> tuple[str, str]:
    """The bilingual label of a step; an unknown step shows its own name twice."""
    return EVENT_LABELS.get(event, (event, event))


def _count(record: EvidenceRecord, key: str) -> int:
    """An integer of the opening record's metadata (0 when absent)."""
    value = record.metadata.get(key, 0)
    if not isinstance(value, int | str):
        raise MalformedInput(f"{key}: expected an integer in the opening record, found {value!r}")
    return int(value)


def _iso(unix_seconds: int) -> str:
    return datetime.fromtimestamp(unix_seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _covering_anchor(anchors: AnchorStore, last: int, what: str) -> AnchorInfo:
    anchor = anchors.latest_confirmed()
    if anchor is None or anchor.tree_size <= last:
        have = 0 if anchor is None else anchor.tree_size
        raise NotFound(
            f"expected a confirmed anchor covering record {last} of {what},"
            f" found the newest confirmed tree size {have}"
        )
    return anchor


def tender_report(
    sources: ReportSources, code: str, number: str, verify_base_url: str, *,
    now: datetime | None = None,
) -> WitnessReport:  # fmt: skip
    """The witness report of tender ``code``: every step, its record, the anchored head.

    Raises:
        ConfigurationError: no chain with a TenderRegistry is connected.
        NotFound: unknown tender (from the tender service); no confirmed anchor yet,
            or the newest confirmed anchor does not cover the tender's last record
            (anchor first, then issue the report).
        MalformedInput: ``number`` or ``verify_base_url`` malformed.
    """
    if sources.tenders is None:
        raise ConfigurationError(
            "expected a connected TenderRegistry for tender reports, found none"
        )
    view = sources.tenders.public_view(code, full=True)
    if view.get("chain") is None:
        raise ConfigurationError("expected the tender view to name its chain, found none")
    events = view["events"]
    last = max((int(e["record_index"]) for e in events), default=-1)
    anchor = _covering_anchor(sources.anchors, last, f"tender {code}")
    rows = []
    opening = None
    for e in events:
        index = int(e["record_index"])
        record = sources.log_store.record(index).record
        zh, en = label(str(e["event"]))
        tx = record.metadata.get("tx_hash")
        rows.append(EventRow(
            time=_iso(int(e["chain_time"])), event=str(e["event"]), label_zh=zh, label_en=en,
            actor=record.actor, digest=record.digests["sha256"], record_index=index,
            tx_hash=str(tx) if isinstance(tx, str) and tx else NO_TX,
        ))  # fmt: skip
        if e["event"] == "open":
            opening = OpeningSummary(_count(record, "opened"), _count(record, "flagged"))
    chain = view["chain"]
    links = report_links(verify_base_url, number)
    return WitnessReport(
        number=number, kind="tender", subject_code=code, subject_title=str(view["title"]),
        issued_at=(now or datetime.now(UTC)).replace(microsecond=0),
        chain=ChainRef(int(chain["chain_id"]), str(chain["evidence_log"]),
                       chain.get("tender_registry")),
        head=TreeHeadRef(anchor.tree_size, anchor.root.hex(), anchor.tx_hash, anchor.block_number,
                         datetime.fromtimestamp(anchor.block_time, UTC)),
        events=rows, opening=opening,
        verify_url=links[0], data_url=links[1],
    )  # fmt: skip


#: Contract step (record kind ``contract.<event>``) -> (Chinese, English) label.
CONTRACT_LABELS: dict[str, tuple[str, str]] = {
    "registered": ("合同登记", "Contract registered"),
    "signed": ("当事人签署", "Signed by a party"),
    "completed": ("签署完成", "All parties signed"),
    "amended": ("合同变更", "Amended"),
}


def contract_report(
    sources: ReportSources, code: str, number: str, verify_base_url: str, *,
    now: datetime | None = None,
) -> WitnessReport:  # fmt: skip
    """The witness report of electronic contract ``code`` (电子合同见证): registration,
    each party's signature, completion and amendments, with the anchored head."""
    if sources.chain is None:
        raise ConfigurationError("expected a chain connection for contract reports, found none")
    stored = sources.log_store.records_for_subject(f"contract:{code}")
    if not stored:
        raise NotFound(f"expected records of contract {code!r}, found none")
    anchor = _covering_anchor(sources.anchors, stored[-1].index, f"contract {code}")
    rows = []
    title = code
    for s in stored:
        rec = s.record
        event = rec.kind.removeprefix("contract.")
        zh, en = CONTRACT_LABELS.get(event, (event, event))
        if event == "registered":
            title = str(rec.metadata.get("document_name", code))
        tx = rec.metadata.get("tx_hash")
        rows.append(EventRow(
            time=rec.submitted_at[:19] + "Z", event=event, label_zh=zh, label_en=en,
            actor=rec.actor, digest=rec.digests["sha256"], record_index=s.index,
            tx_hash=str(tx) if isinstance(tx, str) and tx else NO_TX,
        ))  # fmt: skip
    links = report_links(verify_base_url, number)
    return WitnessReport(
        number=number, kind="contract", subject_code=code, subject_title=title,
        issued_at=(now or datetime.now(UTC)).replace(microsecond=0),
        chain=sources.chain,
        head=TreeHeadRef(anchor.tree_size, anchor.root.hex(), anchor.tx_hash, anchor.block_number,
                         datetime.fromtimestamp(anchor.block_time, UTC)),
        events=rows, opening=None,
        verify_url=links[0], data_url=links[1],
    )  # fmt: skip
