"""Tests for ledger_service.tenders.ocds: releases, merging, packages, schema validation."""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from importlib import resources
from typing import Any

import pytest
import rfc8785

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord
from ledger_service.tenders import ocds
from ledger_service.tenders.ocds import schema as ocds_schema

CENTRE = "service:chainwitness"
T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DEADLINE = int(datetime(2026, 3, 23, 1, 30, tzinfo=UTC).timestamp())
OPENING = int(datetime(2026, 3, 23, 2, 0, tzinfo=UTC).timestamp())
A = ("0x5B38Da6a701c568545dCfcB03FcB875f56beddC4", "华东路桥建设有限公司")
B = ("0xAb8483F64d9C6d1EcF9b849Ae677dD3315835cb2", "江南市政工程集团")
C = ("0x4B20993Bc481177ec7E8f571ceCaE8A9e22C02db", "北方交通设施股份有限公司")
D = ("0x78731D3Ca6b7E34aC0F824c42a7cC18A495cabaB", "西部建工有限责任公司")


def sha(label: str) -> str:
    return hashlib.sha256(label.encode()).hexdigest()


class Story:
    """A tender's evidence records as TenderService._record writes them, with a fake clock."""

    def __init__(self, code: str) -> None:
        self.code = code
        self.records: list[tuple[int, EvidenceRecord]] = []
        self.clock = T0
        self.index = 40  # leaves of other tenders interleave

    def step(self, event: str, actor: str = CENTRE, **payload: Any) -> EvidenceRecord:
        body = {"tender": self.code, "event": event, **payload}
        self.clock += timedelta(hours=1, milliseconds=7)
        record = EvidenceRecord.create(
            f"tender.{event}", f"tender:{self.code}", actor,
            {"sha256": hashlib.sha256(canonicalize(body)).hexdigest()}, body, now=self.clock,
        )  # fmt: skip
        self.records.append((self.index, record))
        self.index += 3
        return record

    def other(self) -> None:
        """A leaf that is not a tender step (skipped by the export)."""
        record = EvidenceRecord.create(
            "bid.sealed", "tender/other", "bidder:x", {"sha256": sha("x")}, now=self.clock
        )
        self.records.append((self.index, record))
        self.index += 1

    def announce(self, title: str = "S-203 省道改建工程施工") -> None:
        self.step("announced", title=title, bid_deadline=DEADLINE, opening_time=OPENING,
                  threshold=2, custodians=[
                      {"index": i, "name": f"custodian {i}", "address": f"0x{i:040x}",
                       "public_key": "02" + sha(f"key {i}")} for i in (1, 2, 3)])  # fmt: skip
        for dealer in (1, 2, 3):
            self.step("key_dealing", actor=f"custodian:{dealer}", dealer=dealer,
                      dealing_sha256=sha(f"dealing {dealer}"))  # fmt: skip
        self.step("key_generated", opening_public_key="02" + sha("group"), qualified=[1, 2, 3],
                  disqualified=[], tx_hash="0x" + sha("tx key"), block_time=DEADLINE - 900_000)  # fmt: skip
        self.step("issue_documents", document="招标文件.pdf", sha256=sha("documents v1"))

    def register(self, *bidders: tuple[str, str]) -> None:
        for address, name in bidders:
            self.step("bidder_registered", bidder=address, name=name, tx_hash="0x" + sha(name))

    def bid(self, bidder: tuple[str, str], nonce: int) -> None:
        address = bidder[0]
        self.step("bid_submitted", actor=f"bidder:{address}", bidder=address, nonce=nonce,
                  ciphertext_sha256=sha(f"ct {address} {nonce}"),
                  plaintext_commitment=sha(f"pt {address} {nonce}"),
                  envelope_digest=sha(f"env {address} {nonce}"), size=48_213,
                  tx_hash="0x" + sha(f"tx {address} {nonce}"), block_time=DEADLINE - 3600 + nonce)  # fmt: skip

    def withdraw(self, bidder: tuple[str, str], nonce: int) -> None:
        self.step("bid_withdrawn", actor=f"bidder:{bidder[0]}", bidder=bidder[0], nonce=nonce,
                  tx_hash="0x" + sha(f"withdraw {nonce}"))  # fmt: skip

    def close(self, active: int) -> None:
        self.step("close_bidding", chain_time=DEADLINE + 2, active_bids=active)

    def open(self) -> None:
        self.step("open", opening_record_sha256=sha("opening record"), tx_hash="0x" + sha("open"),
                  opened=3, flagged=0)  # fmt: skip

    def evaluate(self, valid: list[str], disqualified: list[str], n: int = 1) -> None:
        self.step("report_evaluation", report=f"评标报告-{n}.pdf", sha256=sha(f"report {n}"),
                  valid=valid, disqualified=disqualified)  # fmt: skip

    def publish(self, candidates: list[str], n: int = 1) -> None:
        self.step("publish_candidates", notice=f"中标候选人公示-{n}.pdf", sha256=sha(f"notice {n}"),
                  candidates=candidates, publicity_end=OPENING + 86400 * (3 + 7 * n))  # fmt: skip

    def award(self, supplier: str) -> None:
        self.step("award", supplier=supplier, notice="中标通知书.pdf", sha256=sha("award"),
                  value={"amount": 18_640_000, "currency": "CNY"})  # fmt: skip

    def opened_with_three(self) -> None:
        """Announced, A B C bidding, closed and opened."""
        self.announce()
        self.register(A, B, C)
        for bidder in (A, B, C):
            self.bid(bidder, 1)
        self.close(3)
        self.open()


def whole_story() -> Story:
    s = Story("GC-2026-0042")
    s.announce()
    s.step("amend", document="招标文件(第2版).pdf", sha256=sha("documents v2"), version=2)
    s.register(A, B, C, D)
    s.bid(A, 1)
    s.other()
    s.bid(B, 1)
    s.bid(C, 1)
    s.bid(A, 2)  # A replaces its bid
    s.bid(D, 1)
    s.withdraw(D, 2)
    s.close(3)
    s.open()
    s.evaluate(valid=[A[0], B[0]], disqualified=[C[0]])
    s.publish([A[0], B[0]])
    s.step("file_complaint", actor=f"bidder:{C[0]}", complainant=C[0], document="投诉书.pdf",
           sha256=sha("complaint"))  # fmt: skip
    s.step("resolve_complaint", decision="dismissed", document="投诉处理决定书.pdf",
           sha256=sha("decision"))  # fmt: skip
    s.award(A[0])
    s.step("sign_contract", contract="施工合同.pdf", sha256=sha("contract"),
           value={"amount": 18_640_000, "currency": "CNY"}, start=OPENING + 86400 * 30,
           end=OPENING + 86400 * 400)  # fmt: skip
    return s


WHOLE_EVENTS = [
    ("announced", ["tender"], "planned"),
    ("issue_documents", ["tenderUpdate"], "active"),
    ("amend", ["tenderAmendment"], "active"),
    *[("bidder_registered", ["tenderUpdate"], "active")] * 4,
    *[("bid_submitted", ["tenderUpdate"], "active")] * 5,
    ("bid_withdrawn", ["tenderUpdate"], "active"),
    ("close_bidding", ["tenderUpdate"], "active"),
    ("open", ["tenderUpdate"], "active"),
    ("report_evaluation", ["tenderUpdate"], "active"),
    ("publish_candidates", ["award"], "active"),
    ("file_complaint", ["awardUpdate"], "active"),
    ("resolve_complaint", ["awardUpdate"], "active"),
    ("award", ["award"], "complete"),
    ("sign_contract", ["contract"], "complete"),
]


def by_id(items: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {item["id"]: item for item in items}


def bid_id(bidder: tuple[str, str], nonce: int) -> str:
    return f"{bidder[0]}-{nonce}"


# ------------------------------------------------------------------ the whole tender


def test_whole_tender_releases_validate_with_unique_ids_tags_and_statuses() -> None:
    story = whole_story()
    out = ocds.releases(story.records)
    assert [
        (r["id"].rsplit("-", 1)[1], r["tag"], r["tender"]["status"]) for r in out
    ] == WHOLE_EVENTS
    for release in out:
        ocds.validate_release(release)
        assert release["ocid"] == "ocds-cw0000-GC-2026-0042"
        assert release["initiationType"] == "tender"
        assert release["tender"]["id"] == "GC-2026-0042"
    ids = [r["id"] for r in out]
    assert len(set(ids)) == len(ids)
    first = story.records[0]
    assert out[0]["id"] == f"ocds-cw0000-GC-2026-0042-{first[0]:08d}-announced"
    assert out[0]["date"] == first[1].submitted_at


def test_key_steps_and_other_kinds_are_not_published() -> None:
    story = whole_story()
    kinds = [r.kind for _, r in story.records]
    assert kinds.count("tender.key_dealing") == 3 and "bid.sealed" in kinds
    assert len(ocds.releases(story.records)) == len(kinds) - 3 - 1 - 1
    assert sorted(ocds.UNPUBLISHED_EVENTS) == [
        "key_complaints",
        "key_dealing",
        "key_generated",
        "key_rerun",
    ]
    assert ocds.RELEASE_TAGS["cancel"] == ("tenderCancellation",)


def test_release_for_matches_releases_at_every_step() -> None:
    story = whole_story()
    expected = iter(ocds.releases(story.records))
    steps = [(i, r) for i, r in story.records if r.kind.startswith("tender.")]
    for n, (index, record) in enumerate(steps):
        if record.kind.removeprefix("tender.") in ocds.UNPUBLISHED_EVENTS:
            continue
        previous = [r for _, r in story.records[: story.records.index((index, record))]]
        assert ocds.release_for(record, index, previous) == next(expected), n


def test_whole_tender_compiles_to_bidders_award_and_contract() -> None:
    releases = ocds.releases(whole_story().records)
    compiled = ocds.compile_release(releases)
    ocds.validate_release(compiled)
    assert compiled["tag"] == ["compiled"]
    assert compiled["date"] == releases[-1]["date"]
    assert compiled["id"] == f"ocds-cw0000-GC-2026-0042-{releases[-1]['date']}"
    assert compiled["buyer"] == {"id": CENTRE, "name": CENTRE}
    parties = by_id(compiled["parties"])
    assert {k: v["roles"] for k, v in parties.items()} == {
        CENTRE: ["buyer", "procuringEntity"],
        A[0]: ["tenderer", "supplier"],
        B[0]: ["tenderer"],
        C[0]: ["tenderer"],
        D[0]: ["interestedParty"],  # withdrew its only bid
    }
    assert parties[B[0]]["name"] == B[1]
    bids = by_id(compiled["bids"]["details"])
    assert {k: (v["status"], v.get("rank")) for k, v in bids.items()} == {
        bid_id(A, 1): ("withdrawn", None),
        bid_id(B, 1): ("valid", 2),
        bid_id(C, 1): ("disqualified", None),
        bid_id(A, 2): ("valid", 1),
        bid_id(D, 1): ("withdrawn", None),
    }
    assert bids[bid_id(A, 1)]["description"] == f"Replaced by bid {bid_id(A, 2)}"
    assert bids[bid_id(A, 2)]["documents"][0]["id"] == "sha256:" + sha(f"ct {A[0]} 2")
    assert bids[bid_id(A, 2)]["date"] == "2026-03-23T00:30:02Z"
    assert bids[bid_id(A, 2)]["tenderers"] == [{"id": A[0], "name": A[1]}]
    assert compiled["bids"]["statistics"][0]["value"] == 3
    tender = compiled["tender"]
    assert tender["status"] == "complete"
    assert tender["title"] == "S-203 省道改建工程施工"
    assert tender["numberOfTenderers"] == 3
    assert [t["id"] for t in tender["tenderers"]] == [A[0], B[0], C[0]]
    assert tender["tenderPeriod"]["endDate"] == "2026-03-23T01:30:00Z"
    assert tender["milestones"][0]["status"] == "met"
    assert [d["id"] for d in tender["documents"]] == [
        "sha256:" + sha(x) for x in ("documents v1", "documents v2", "opening record", "report 1")
    ]
    assert tender["amendments"][0]["id"] == "amendment-2"
    [award] = compiled["awards"]
    assert (award["id"], award["status"], award["suppliers"]) == (
        "award-1",
        "active",
        [{"id": A[0], "name": A[1]}],
    )
    assert award["relatedBids"] == [bid_id(A, 2)]
    assert award["value"] == {"amount": 18_640_000, "currency": "CNY"}
    assert [(d["id"], d["documentType"]) for d in award["documents"]] == [
        ("sha256:" + sha("notice 1"), "awardNotice"),
        ("sha256:" + sha("complaint"), "complaints"),
        ("sha256:" + sha("decision"), "complaints"),
        ("sha256:" + sha("award"), "awardNotice"),
    ]
    [contract] = compiled["contracts"]
    assert (contract["id"], contract["awardID"], contract["status"]) == (
        "contract-1",
        "award-1",
        "active",
    )
    assert contract["documents"][0]["id"] == "sha256:" + sha("contract")
    assert contract["period"] == {
        "startDate": "2026-04-22T02:00:00Z",
        "endDate": "2027-04-27T02:00:00Z",
    }


def test_failed_tender_with_two_bids() -> None:
    s = Story("GC-2026-0043")
    s.announce()
    s.register(A, B, C)
    s.bid(A, 1)
    s.bid(B, 1)
    s.close(2)
    s.step("fail", active_bids=2, tx_hash="0x" + sha("fail"))
    out = ocds.releases(s.records)
    for release in out:
        ocds.validate_release(release)
    assert (out[-1]["tag"], out[-1]["tender"]) == (["tenderUpdate"], {
        "id": "GC-2026-0043", "status": "unsuccessful", "numberOfTenderers": 2,
        "milestones": [{"id": "bid-opening", "status": "notMet"}],
    })  # fmt: skip
    compiled = ocds.compile_release(out)
    ocds.validate_release(compiled)
    assert compiled["tender"]["status"] == "unsuccessful"
    assert {b["status"] for b in compiled["bids"]["details"]} == {"pending"}
    assert "awards" not in compiled


@pytest.mark.parametrize("when", ["bidding", "publicity"])
def test_cancelled_tender(when: str) -> None:
    s = Story("GC-2026-0044")
    if when == "bidding":
        s.announce()
        s.register(A)
        s.bid(A, 1)
    else:
        s.opened_with_three()
        s.evaluate([A[0], B[0], C[0]], [])
        s.publish([A[0], B[0]])
    s.step("cancel", reason="项目资金未落实", document="终止公告.pdf", sha256=sha("cancel"))
    out = ocds.releases(s.records)
    for release in out:
        ocds.validate_release(release)
    last = out[-1]
    assert last["tender"]["status"] == "cancelled"
    assert last["tender"]["documents"][0]["documentType"] == "cancellationDetails"
    assert last["tender"]["documents"][0]["description"] == "项目资金未落实"
    compiled = ocds.compile_release(out)
    ocds.validate_release(compiled)
    if when == "bidding":
        assert last["tag"] == ["tenderCancellation"]
        assert compiled["tender"]["milestones"][0]["status"] == "notMet"
    else:
        assert last["tag"] == ["tenderCancellation", "awardCancellation"]
        assert compiled["awards"][0]["status"] == "cancelled"
        assert compiled["tender"]["milestones"][0]["status"] == "met"


def test_cancel_without_a_document_keeps_the_reason() -> None:
    s = Story("GC-2026-0045")
    s.announce()
    s.step("cancel", reason="招标人撤回")
    [doc] = ocds.releases(s.records)[-1]["tender"]["documents"]
    assert (doc["id"], doc["title"], doc["description"]) == (
        "cancellation",
        "Cancellation notice",
        "招标人撤回",
    )


def test_upheld_complaint_re_evaluates_and_replaces_the_candidate() -> None:
    s = Story("GC-2026-0046")
    s.opened_with_three()
    s.evaluate([A[0], B[0]], [C[0]])
    s.publish([A[0], B[0]])
    s.step("file_complaint", complainant=B[0], document="投诉书.pdf", sha256=sha("complaint"))
    s.evaluate([B[0], C[0]], [A[0]], n=2)  # upheld: A disqualified, C reinstated
    s.publish([B[0], C[0]], n=2)
    s.award(B[0])
    out = ocds.releases(s.records)
    for release in out:
        ocds.validate_release(release)
    assert out[-3]["tag"] == ["tenderUpdate", "awardCancellation"]
    compiled = ocds.compile_release(out)
    ocds.validate_release(compiled)
    assert [(a["id"], a["status"]) for a in compiled["awards"]] == [
        ("award-1", "cancelled"),
        ("award-2", "active"),
    ]
    bids = by_id(compiled["bids"]["details"])
    assert bids[bid_id(A, 1)]["status"] == "disqualified"
    assert "rank" not in bids[bid_id(A, 1)] and bids[bid_id(A, 1)]["hasRank"] is False
    assert (bids[bid_id(B, 1)]["rank"], bids[bid_id(C, 1)]["rank"]) == (1, 2)


def test_award_to_a_later_candidate_cancels_the_first() -> None:
    s = Story("GC-2026-0047")
    s.opened_with_three()
    s.evaluate([A[0], B[0]], [])
    s.publish([A[0], B[0]])
    s.award(B[0])  # the first candidate declined
    last = ocds.releases(s.records)[-1]
    ocds.validate_release(last)
    assert last["tag"] == ["award", "awardCancellation"]
    assert [(a["id"], a["status"]) for a in last["awards"]] == [
        ("award-1", "cancelled"),
        ("award-2", "active"),
    ]


# ------------------------------------------------------------------ refused inputs


def test_release_for_refuses_unpublished_and_foreign_records() -> None:
    story = whole_story()
    records = [r for _, r in story.records]
    dealing = records[1]
    assert dealing.kind == "tender.key_dealing"
    with pytest.raises(MalformedInput, match=r"found 'tender.key_dealing' \(not published\)"):
        ocds.release_for(dealing, 1, records[:1])
    with pytest.raises(
        MalformedInput, match=r"expected a tender step kind tender.<announced\|.*found 'bid.sealed'"
    ):
        ocds.release_for(next(r for r in records if r.kind == "bid.sealed"), 1, [])
    with pytest.raises(
        MalformedInput, match=r"expected the tender's announced record before it, found none"
    ):
        ocds.release_for(records[5], 9, [])
    other = Story("GC-2026-9999")
    other.announce()
    with pytest.raises(
        MalformedInput,
        match=r"expected a record of tender 'GC-2026-0042', found tender 'GC-2026-9999'",
    ):
        ocds.release_for(records[5], 9, [other.records[0][1]])
    with pytest.raises(MalformedInput, match=r"index: expected a log leaf index >= 0, found -1"):
        ocds.release_for(records[0], -1, [])


def test_releases_refuses_disorder_and_a_second_tender() -> None:
    story = whole_story()
    swapped = [*story.records[:5], story.records[6], story.records[5], *story.records[7:]]
    with pytest.raises(
        MalformedInput, match=r"index: expected log order \(an index above 58\), found 55"
    ):
        ocds.releases(swapped)
    other = Story("GC-2026-9999")
    other.announce()
    mixed = [*story.records, (10_000, other.records[0][1])]
    with pytest.raises(MalformedInput, match=r"expected a record of tender 'GC-2026-0042'"):
        ocds.releases(mixed)
    again = [*story.records, (10_000, story.records[0][1])]
    with pytest.raises(
        MalformedInput, match=r"expected one announcement per tender, found a second"
    ):
        ocds.releases(again)


Mutation = Callable[[Story], object]
STORY_ERRORS: list[tuple[str, Mutation, str]] = [
    ("bid before registration", lambda s: s.bid(D, 1),
     rf"tender.bid_submitted: expected bidder {D[0]} registered earlier"),
    ("withdraw without a bid", lambda s: s.withdraw(C, 5), rf"expected an active bid of {C[0]}, found none"),
    ("bid count disagrees", lambda s: s.close(3),
     r"expected active_bids to equal the 2 active bids in the tender's records, found 3"),
    ("second announcement", lambda s: s.step("announced", title="x", bid_deadline=1, opening_time=1),
     r"expected one announcement per tender"),
    ("digest not hex", lambda s: s.step("amend", document="x", sha256="ABC", version=2),
     r"tender.amend metadata\['sha256'\]: expected 64 lowercase hex digits, found 'ABC'"),
    ("award without candidates", lambda s: s.award(A[0]), r"tender.award: expected a pending award, found none"),
    ("unknown step", lambda s: s.step("reopen"), r"expected a tender step kind tender.<.*found 'tender.reopen'"),
    ("registered twice", lambda s: s.register(A), rf"expected a new bidder, found {A[0]} registered twice"),
    ("same bid twice", lambda s: s.bid(A, 1), rf"expected a new bid, found bid {A[0]}-1 twice"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("mutate", "message"), [e[1:] for e in STORY_ERRORS], ids=[e[0] for e in STORY_ERRORS]
)
def test_inconsistent_records_are_refused(mutate: Mutation, message: str) -> None:
    s = Story("GC-2026-0048")
    s.announce()
    s.register(A, B, C)
    s.bid(A, 1)
    s.bid(B, 1)
    mutate(s)
    with pytest.raises(MalformedInput, match=message):
        ocds.releases(s.records)


def test_bad_payload_types_name_the_key() -> None:
    s = Story("GC-2026-0049")
    s.step("announced", title="x", bid_deadline="soon", opening_time=OPENING)
    with pytest.raises(
        MalformedInput,
        match=r"tender.announced metadata\['bid_deadline'\]: expected an integer in 0..253402300799, found 'soon'",
    ):
        ocds.releases(s.records)
    s = Story("GC-2026-0049")
    s.opened_with_three()
    s.evaluate([A[0]], [])
    s.publish([A[0]])
    s.step(
        "award",
        supplier=A[0],
        notice="n.pdf",
        sha256=sha("n"),
        value={"amount": "1.5", "currency": "CNY"},
    )
    with pytest.raises(
        MalformedInput,
        match=r"tender.award metadata\['value'\]: expected \{\"amount\": whole units",
    ):
        ocds.releases(s.records)


def test_mismatched_subject_is_refused() -> None:
    body: dict[str, Any] = {
        "tender": "GC-1",
        "event": "announced",
        "title": "x",
        "bid_deadline": 1,
        "opening_time": 2,
    }
    record = EvidenceRecord.create(
        "tender.announced", "tender:GC-2", CENTRE, {"sha256": sha("x")}, body, now=T0
    )
    with pytest.raises(
        MalformedInput, match=r"found event 'announced', tender 'GC-1', subject 'tender:GC-2'"
    ):
        ocds.release_for(record, 0, [])


@pytest.mark.parametrize("code", ["", "GC 1", "GC#1", "GC\n1"])
def test_ocid_refuses_bad_codes(code: str) -> None:
    with pytest.raises(
        MalformedInput, match=r"tender code: expected printable text without space or '#'"
    ):
        ocds.ocid(code)


def test_ocid_uses_the_placeholder_prefix() -> None:
    assert ocds.OCID_PREFIX == "ocds-cw0000"
    assert ocds.ocid("GC-2026-0042") == "ocds-cw0000-GC-2026-0042"


# ------------------------------------------------------------------ schema validation


def a_bid_release() -> dict[str, Any]:
    out = ocds.releases(whole_story().records)
    return copy.deepcopy(next(r for r in out if r["id"].endswith("bid_submitted")))


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(release: dict[str, Any]) -> None:
        *parents, last = path.split("/")
        node: Any = release
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        if value is _DELETE:
            del node[last]
        else:
            node[int(last) if last.isdigit() else last] = value

    return mutate


_DELETE = object()
BROKEN: list[tuple[str, Callable[[dict[str, Any]], None], str]] = [
    ("bad tag", _set("tag/0", "tenderFinished"), r"OCDS release \$\.tag\[0\]: 'tenderFinished' is not one of \['planning'"),
    ("missing ocid", _set("ocid", _DELETE), r"OCDS release \$: 'ocid' is a required property$"),
    ("no tag", _set("tag", []), r"OCDS release \$\.tag: \[\] (should be non-empty|is too short)"),
    ("tender status", _set("tender/status", "open"), r"\$\.tender\.status: 'open' is not one of \['planning', 'planned'"),
    ("bid status", _set("bids/details/0/status", "invalid"), r"\$\.bids\.details\[0\]\.status: 'invalid' is not one of \['invited'"),
    ("bid without id", _set("bids/details/0/id", _DELETE), r"\$\.bids\.details\[0\]: 'id' is a required property"),
    ("date", _set("date", "2026-03-02 09:00"), r"\$\.date: '2026-03-02 09:00' is not a 'date-time'"),
    ("bid date", _set("bids/details/0/date", "2026-02-30T00:00:00Z"), r"\$\.bids\.details\[0\]\.date: '2026-02-30T00:00:00Z' is not a 'date-time'"),
    ("bids not an object", _set("bids", []), r"\$\.bids: \[\] is not of type 'object'"),
    ("initiation", _set("initiationType", "auction"), r"\$\.initiationType: 'auction' is not one of \['tender'\]"),
]  # fmt: skip


@pytest.mark.parametrize(("mutate", "message"), [b[1:] for b in BROKEN], ids=[b[0] for b in BROKEN])
def test_broken_release_fails_with_path_and_message(
    mutate: Callable[[dict[str, Any]], None], message: str
) -> None:
    release = a_bid_release()
    ocds.validate_release(release)
    mutate(release)
    with pytest.raises(MalformedInput, match=message):
        ocds.validate_release(release)


def test_validation_counts_the_other_errors_and_refuses_non_objects() -> None:
    release = a_bid_release()
    del release["ocid"], release["id"]
    with pytest.raises(MalformedInput, match=r"is a required property \(and 1 more\)$"):
        ocds.validate_release(release)
    with pytest.raises(MalformedInput, match=r"release: expected a JSON object, found list"):
        ocds.validate_release([release])


def test_schema_is_1_1_5_extended_with_bids_and_shipped_unpatched() -> None:
    schema = ocds.release_schema()
    assert (
        schema["id"] == "https://standard.open-contracting.org/schema/1__1__5/release-schema.json"
    )
    assert schema["properties"]["bids"]["$ref"] == "#/definitions/Bids"
    assert schema["definitions"]["Bid"]["properties"]["status"]["enum"] == [
        "invited", "pending", "valid", "disqualified", "withdrawn", None,
    ]  # fmt: skip
    award = schema["definitions"]["Award"]
    assert {"relatedBids", "suppliers", "status"} <= set(award["properties"]) and award[
        "required"
    ] == ["id"]
    folder = resources.files("ledger_service.tenders") / "schema"
    raw = json.loads((folder / "release-schema-1.1.5.json").read_text("utf-8"))
    assert (
        "bids" not in raw["properties"]
        and "relatedBids" not in raw["definitions"]["Award"]["properties"]
    )
    assert (folder / "SOURCE.md").read_text("utf-8").startswith("# OCDS schemas")
    schema["properties"].clear()  # a copy: the validator's schema is untouched
    assert "bids" in ocds.release_schema()["properties"]


# RFC 7386 Appendix A, every example
MERGE_PATCH_VECTORS = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "result"), MERGE_PATCH_VECTORS)
def test_merge_patch_rfc7386_appendix_a(target: Any, patch: Any, result: Any) -> None:
    before = copy.deepcopy(target)
    assert ocds_schema.merge_patch(target, patch) == result
    assert target == before


# ------------------------------------------------------------------ merging


def release(rid: str, date: str, **fields: Any) -> dict[str, Any]:
    return {
        "ocid": "ocds-x-1",
        "id": rid,
        "date": date,
        "tag": ["tender"],
        "initiationType": "tender",
        **fields,
    }


def test_merge_rules_on_a_known_example() -> None:
    first = release(
        "1", "2026-01-01T00:00:00Z",
        parties=[{"id": "P1", "name": "Buyer", "roles": ["buyer"]}],
        tender={"id": "T", "title": "Roads", "description": "draft", "status": "planned",
                "submissionMethod": ["electronicSubmission", "written"],
                "documents": [{"id": "d1", "title": "Notice", "format": "pdf"}],
                "items": [{"description": "no id: replaced whole"}]},
    )  # fmt: skip
    second = release(
        "2", "2026-01-02T08:00:00+08:00",  # 2026-01-02T00:00:00Z
        parties=[{"id": "P2", "name": "Bidder", "roles": ["tenderer"]},
                 {"id": "P1", "roles": ["buyer", "procuringEntity"]}],
        tender={"id": "T", "description": None, "status": "active", "submissionMethod": ["electronicSubmission"],
                "documents": [{"id": "d2", "title": "Spec"}, {"id": "d1", "title": "Notice v2", "format": None}],
                "items": [{"description": "the only item"}], "tenderPeriod": {"endDate": "2026-02-01T00:00:00Z"}},
    )  # fmt: skip
    third = release(
        "3", "2026-01-03T00:00:00Z", tag=["award"], awards=[{"id": "a1", "status": "pending"}]
    )
    compiled = ocds.compile_release([third, first, second])  # merged in date order
    assert compiled == {
        "ocid": "ocds-x-1", "id": "ocds-x-1-2026-01-03T00:00:00Z", "date": "2026-01-03T00:00:00Z",
        "tag": ["compiled"], "initiationType": "tender",
        "parties": [{"id": "P1", "name": "Buyer", "roles": ["buyer", "procuringEntity"]},
                    {"id": "P2", "name": "Bidder", "roles": ["tenderer"]}],
        "tender": {"id": "T", "title": "Roads", "status": "active", "submissionMethod": ["electronicSubmission"],
                   "documents": [{"id": "d1", "title": "Notice v2"}, {"id": "d2", "title": "Spec"}],
                   "items": [{"description": "the only item"}], "tenderPeriod": {"endDate": "2026-02-01T00:00:00Z"}},
        "awards": [{"id": "a1", "status": "pending"}],
    }  # fmt: skip
    assert first["tender"]["documents"][0]["format"] == "pdf"  # inputs untouched


def test_merge_edge_cases() -> None:
    base = release("1", "2026-01-01T00:00:00Z", parties=[{"id": "P", "roles": ["buyer"]}])
    empty_list = release("2", "2026-01-02T00:00:00Z", parties=[])
    assert ocds.compile_release([base, empty_list])["parties"] == [{"id": "P", "roles": ["buyer"]}]
    emptied = release("2", "2026-01-02T00:00:00Z", parties=[{"id": "P", "roles": []}])
    assert ocds.compile_release([base, emptied])["parties"] == [{"id": "P", "roles": []}]
    fresh_nulls = release("2", "2026-01-02T00:00:00Z", tender={"id": "T", "title": None})
    assert ocds.compile_release([base, fresh_nulls])["tender"] == {"id": "T"}
    same_date = release("2", "2026-01-01T00:00:00Z", parties=[{"id": "P", "roles": ["payer"]}])
    assert ocds.compile_release([base, same_date])["parties"][0]["roles"] == [
        "payer"
    ]  # ties keep order
    assert ocds.compile_release([same_date, base])["parties"][0]["roles"] == ["buyer"]


@pytest.mark.parametrize(
    ("releases", "message"),
    [
        ([], r"releases: expected at least one release, found none"),
        ([release("1", "2026-01-01T00:00:00Z"), {**release("2", "2026-01-01T00:00:00Z"), "ocid": "o-2"}],
         r"releases: expected one ocid, found \['o-2', 'ocds-x-1'\]"),
        ([release("1", "yesterday")], r"release '1': expected an RFC 3339 date, found 'yesterday'"),
    ],
)  # fmt: skip
def test_compile_refuses(releases: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(MalformedInput, match=message):
        ocds.compile_release(releases)


# ------------------------------------------------------------------ packages


PUBLISHED = datetime(2026, 5, 1, 9, 30, 15, 999, tzinfo=UTC)


def test_release_package() -> None:
    out = ocds.releases(whole_story().records)
    package = ocds.release_package(out, PUBLISHED, "某市公共资源交易中心")
    assert {k: v for k, v in package.items() if k != "releases"} == {
        "uri": f"urn:chainwitness:ocds:release-package:ocds-cw0000-GC-2026-0042:{out[-1]['id']}",
        "version": "1.1",
        "extensions": [ocds.BID_EXTENSION_URL],
        "publishedDate": "2026-05-01T09:30:15Z",
        "publisher": {"name": "某市公共资源交易中心"},
    }
    assert package["releases"] == out
    package["releases"][0]["tag"].append("x")  # a copy
    assert out[0]["tag"] == ["tender"]
    served = ocds.release_package(
        out, PUBLISHED, "p", uri="https://example.org/ocds/GC-2026-0042.json"
    )
    assert served["uri"] == "https://example.org/ocds/GC-2026-0042.json"


def test_record_package() -> None:
    out = ocds.releases(whole_story().records)
    package = ocds.record_package(out, PUBLISHED, "某市公共资源交易中心")
    [record] = package["records"]
    assert record["ocid"] == "ocds-cw0000-GC-2026-0042"
    assert record["releases"] == out
    assert record["compiledRelease"] == ocds.compile_release(out)
    assert (
        package["uri"] == f"urn:chainwitness:ocds:record-package:{record['compiledRelease']['id']}"
    )
    assert package["version"] == "1.1" and package["publisher"] == {"name": "某市公共资源交易中心"}


@pytest.mark.parametrize(
    ("published", "publisher", "message"),
    [
        (datetime(2026, 5, 1), "p", r"published_date: expected a timezone-aware datetime"),
        (PUBLISHED, " ", r"publisher_name: expected a non-empty name, found ' '"),
    ],
)
def test_package_refuses(published: datetime, publisher: str, message: str) -> None:
    out = ocds.releases(whole_story().records)
    with pytest.raises(MalformedInput, match=message):
        ocds.release_package(out, published, publisher)
    with pytest.raises(MalformedInput, match=message):
        ocds.record_package(out, published, publisher)
    with pytest.raises(MalformedInput, match=r"releases: expected at least one release"):
        ocds.release_package([], PUBLISHED, "p")


# ------------------------------------------------------------------ canonical digest


def kat_announcement() -> EvidenceRecord:
    body: dict[str, Any] = {"tender": "GC-2026-0042", "event": "announced", "title": "S-203 省道改建工程施工",
            "bid_deadline": 1_774_229_400, "opening_time": 1_774_231_200, "threshold": 2,
            "custodians": [{"index": 1, "name": "custodian 1", "address": "0x" + "11" * 20,
                            "public_key": "02" + "ab" * 32}]}  # fmt: skip
    return EvidenceRecord.create(
        "tender.announced", "tender:GC-2026-0042", CENTRE,
        {"sha256": hashlib.sha256(canonicalize(body)).hexdigest()}, body,
        now=datetime(2026, 3, 2, 1, 0, 0, 123000, tzinfo=UTC),
    )  # fmt: skip


KAT_RELEASE = {
    "ocid": "ocds-cw0000-GC-2026-0042",
    "id": "ocds-cw0000-GC-2026-0042-00000007-announced",
    "date": "2026-03-02T01:00:00.123Z",
    "tag": ["tender"],
    "initiationType": "tender",
    "parties": [{"id": CENTRE, "name": CENTRE, "roles": ["buyer", "procuringEntity"]}],
    "buyer": {"id": CENTRE, "name": CENTRE},
    "tender": {
        "id": "GC-2026-0042", "status": "planned", "title": "S-203 省道改建工程施工",
        "procuringEntity": {"id": CENTRE, "name": CENTRE},
        "tenderPeriod": {"endDate": "2026-03-23T01:30:00Z"},
        "milestones": [{"id": "bid-opening", "title": "Bid opening (开标)", "type": "assessment",
                        "dueDate": "2026-03-23T02:00:00Z", "status": "scheduled"}],
    },
}  # fmt: skip
KAT_DIGEST = "4d16d2b40b7bf303c95fb4857f86a66e4d85e3bf1ad69c18f10db0ad4ff20ed9"


def test_canonical_digest_known_answer() -> None:
    release = ocds.release_for(kat_announcement(), 7, [])
    assert release == KAT_RELEASE
    ocds.validate_release(release)
    data = canonicalize(release)
    assert data == rfc8785.dumps(release)  # the reference JCS agrees
    assert hashlib.sha256(data).hexdigest() == KAT_DIGEST
    assert (
        hashlib.sha256(canonicalize(ocds.release_for(kat_announcement(), 7, []))).hexdigest()
        == KAT_DIGEST
    )
