"""Typed answers of the tender and supervision routes (see ``models`` for the base)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, RootModel

from ledger_service.api.models import Answer, EvidenceRecordOut, InclusionProofOut

_HEX32 = r"^[0-9a-f]{64}$"

# -- tenders ----------------------------------------------------------------------------


class TenderSummary(Answer):
    code: str
    title: str
    state: str
    bid_deadline: int = Field(description="chain time, Unix seconds")
    bid_deadline_utc: str = Field(description="the same, ISO 8601 UTC")
    opening_time: int = Field(description="chain time, Unix seconds")
    opening_time_utc: str = Field(description="the same, ISO 8601 UTC")


class TenderPage(Answer):
    tenders: list[TenderSummary]
    total: int = Field(description="tenders on all pages")
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null: last")


class CustodianOut(Answer):
    index: int = Field(description="1-based, the custodian's share index")
    name: str
    address: str
    public_key: str = Field(description="compressed secp256k1 key, hex")


class TenderChain(Answer):
    chain_id: int
    evidence_log: str = Field(description="EvidenceLog address")
    tender_registry: str = Field(description="TenderRegistry address")


class BidderOut(Answer):
    address: str
    name: str
    public_key: str = Field(description="compressed secp256k1 key, hex")


class BidOut(Answer):
    bidder: str
    nonce: int
    ciphertext_sha256: str = Field(pattern=_HEX32)
    plaintext_commitment: str
    envelope_digest: str
    size: int = Field(description="ciphertext bytes")
    status: str
    tx_hash: str
    block_time: int = Field(description="chain time of the commitment, Unix seconds")
    record_index: int


class TenderEventOut(Answer):
    seq: int = Field(description="position among the events shown, from 0")
    event: str
    state_after: str
    chain_time: int
    record_index: int


class BidOutcomeOut(Answer):
    bidder: str
    nonce: int
    ciphertext_sha256: str
    result: str = Field(description="opened, or why the bid was flagged")
    detail: str
    plaintext_size: int | None


class OpeningRecord(Answer):
    """The opening record (开标记录): its SHA-256 over canonical JSON is on chain."""

    format: str = Field(examples=["chainwitness/opening-record"])
    version: int
    tender: str
    opening_public_key: str
    shares_released: list[int] = Field(description="custodian indices whose shares were used")
    shares_invalid: list[int] = Field(description="custodian indices whose shares failed")
    bids: list[BidOutcomeOut]


class OpeningFailed(Answer):
    """Too few bids were revealed: the tender failed (流标) instead of opening."""

    result: Literal["failed"]
    revealed_bids: int


class OpeningAnswer(RootModel[OpeningRecord | OpeningFailed]):
    """The opening record, or the failure when too few bids were revealed."""


class TenderView(Answer):
    """A tender's state, keys, commitments and evidence records. Before opening, only
    oversight roles see bidders and bids (``bidder_details_withheld`` says which)."""

    code: str
    tender_id: str = Field(description="bytes32 id on chain, 0x-hex")
    title: str
    state: str
    bid_deadline: int = Field(description="chain time, Unix seconds")
    opening_time: int = Field(description="chain time, Unix seconds")
    threshold: int = Field(description="shares needed to open")
    custodians: list[CustodianOut]
    opening_public_key: str | None = Field(description="the tender key, once finalized")
    chain: TenderChain
    bidders: list[BidderOut]
    bids: list[BidOut]
    events: list[TenderEventOut]
    bidder_details_withheld: bool
    opening_record: OpeningRecord | None


class DealingRelayed(Answer):
    tender: str
    dealer: int


class ComplaintsRelayed(Answer):
    tender: str
    accuser: int


class ApprovalRelayed(Answer):
    tender: str
    approver: int


class BidderRegistered(Answer):
    tender: str
    bidder: str


class BidReceiptOut(Answer):
    """What a bidder gets back for an accepted sealed bid."""

    tender: str
    bidder: str
    nonce: int
    ciphertext_sha256: str = Field(pattern=_HEX32)
    plaintext_commitment: str
    envelope_digest: str
    size: int
    tx_hash: str = Field(description="the relayed commitment's transaction")
    block_time: int = Field(description="chain time of the commitment, Unix seconds")
    record_index: int


class Withdrawn(Answer):
    tender: str
    bidder: str
    record_index: int


class OpenedFileOut(Answer):
    bidder: str
    nonce: int
    file_name: str = Field(description="the bid's original file name, unsealed at opening")
    size: int
    path: str = Field(description="relative to the tender's opening directory")
    note: str


class OcdsEvidence(Answer):
    release_id: str
    record_index: int | None = Field(description="the record of the release's digest")
    sha256: str = Field(description="the release's digest in the log ('' if not logged)")


class OcdsAnswer(Answer):
    release_package: dict[str, Any] = Field(description="OCDS 1.1 release package")
    record_package: dict[str, Any] = Field(description="OCDS 1.1 record package")
    evidence: list[OcdsEvidence]


# -- supervision ------------------------------------------------------------------------


class HitOut(Answer):
    rule: str
    tender: str
    parties: list[str]
    detail: dict[str, str | int]
    zh: str
    en: str
    refs: list[str] = Field(description="indices of the records it rests on, as text")


class WeightsOut(Answer):
    points: dict[str, int] = Field(description="rule -> points")
    alert_at: int
    high_at: int


class AlertOut(Answer):
    """A recorded alert: a suspicion, not a finding."""

    record_index: int
    submitted_at: str
    tender: str
    score: int
    severity: Literal["watch", "alert", "high"]
    points: dict[str, int] = Field(description="the points of each rule that hit")
    zh: str
    en: str
    hits: list[HitOut]
    evidence: list[int] = Field(description="indices of the records the alert rests on")
    weights: WeightsOut | None = None


class Disposition(Answer):
    record_index: int
    submitted_at: str
    actor: str
    tender: str
    alert_record: int
    decision: Literal["confirmed", "dismissed"]
    reason: str
    regulator: str


class ScanAnswer(Answer):
    tender: str
    recorded: bool = Field(description="false: the alert equals the last one recorded")
    alert: AlertOut | None = Field(description="null: no rule hit")


class AlertList(Answer):
    alerts: list[AlertOut]


class ProvenRecord(Answer):
    record_index: int
    record: EvidenceRecordOut
    proof: InclusionProofOut


class AlertDetail(AlertOut):
    proof: InclusionProofOut
    evidence_records: list[ProvenRecord]
    dispositions: list[Disposition]


class Disposed(Answer):
    alert_record: int
    decision: Literal["confirmed", "dismissed"]
    record_index: int


class PartyAlert(AlertOut):
    dispositions: list[Disposition]


class PartyHistory(Answer):
    party: str
    tenders: list[str] = Field(description="codes of the tenders it left signals in")
    alerts: list[PartyAlert]


class BondRecorded(Answer):
    tender: str
    bidder: str
    record_index: int


class TradingRecorded(Answer):
    source: str
    record_indices: list[int]


class FieldChangeOut(Answer):
    path: str = Field(description="RFC 6901 JSON pointer")
    kind: Literal["changed", "added", "removed"]
    before: Any = Field(description="recorded value; null when added")
    after: Any = Field(description="current value; null when removed")


class TamperFindingOut(Answer):
    record_id: str
    status: Literal["modified", "missing", "unrecorded"]
    ref: str | None = Field(description="index of the recorded version's record, as text")
    changes: list[FieldChangeOut]
    zh: str
    en: str
    alert_record: int
    recorded_proof: InclusionProofOut | None


class TamperWatch(Answer):
    source: str
    checked: int
    findings: list[TamperFindingOut]
