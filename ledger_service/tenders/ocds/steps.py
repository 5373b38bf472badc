"""OCDS: what each tender step adds to the tender so far and to its release."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord

OCID_PREFIX = "ocds-cw0000"
OCDS_VERSION = "1.1"
BID_EXTENSION_URL = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "018e0a92aa0e0918ab0e4be138195f120e858c99/extension.json"
)
_RELEASE_SCHEMA = "release-schema-1.1.5.json"
_BID_EXTENSION = "bid-extension-release-schema.json"
#: the last second a 4-digit year can show
_MAX_UNIX_SECONDS = 253_402_300_799
_SHA256 = re.compile(r"[0-9a-f]{64}")
OPENING = "bid-opening"


def ocid(code: str) -> str:
    """The tender's OCID. Raises MalformedInput for an empty code or one with space or '#'."""
    if type(code) is not str or not code or not code.isprintable() or re.search(r"[\s#]", code):
        raise MalformedInput(
            f"tender code: expected printable text without space or '#', found {code!r}"
        )
    return f"{OCID_PREFIX}-{code}"


def iso_time(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def stamp(moment: datetime) -> str:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise MalformedInput(
            f"published_date: expected a timezone-aware datetime, found {moment!r}"
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ one tender's state


class StepMeta:
    """A step's metadata with typed accessors whose errors name the record kind and key."""

    def __init__(self, record: EvidenceRecord) -> None:
        self.record, self.m, self.kind = record, record.metadata, record.kind
        self.date = record.submitted_at

    def _bad(self, key: str, expected: str) -> MalformedInput:
        return MalformedInput(
            f"{self.kind} metadata[{key!r}]: expected {expected}, found {self.m.get(key)!r}"
        )

    def text(self, key: str) -> str:
        value = self.m.get(key)
        if type(value) is not str or not value:
            raise self._bad(key, "a non-empty string")
        return value

    def count(self, key: str) -> int:
        value = self.m.get(key)
        if type(value) is not int or not 0 <= value <= _MAX_UNIX_SECONDS:
            raise self._bad(key, f"an integer in 0..{_MAX_UNIX_SECONDS}")
        return value

    def sha256(self, key: str = "sha256") -> str:
        value = self.m.get(key)
        if type(value) is not str or not _SHA256.fullmatch(value):
            raise self._bad(key, "64 lowercase hex digits")
        return value

    def addresses(self, key: str, *, empty: bool = False) -> list[str]:
        value = self.m.get(key)
        if (
            not isinstance(value, list | tuple)
            or not (value or empty)
            or not all(type(v) is str and v for v in value)
        ):
            raise self._bad(key, "a list of addresses" + ("" if empty else " (at least one)"))
        return [str(v) for v in value]

    def optional(self, key: str, read: Callable[[str], Any]) -> Any:
        return None if self.m.get(key) is None else read(key)

    def value(self) -> dict[str, Any] | None:
        value = self.m.get("value")
        if value is None:
            return None
        if (not isinstance(value, Mapping) or set(value) != {"amount", "currency"}
                or type(value["amount"]) is not int or type(value["currency"]) is not str):  # fmt: skip
            raise self._bad("value", '{"amount": whole units (int), "currency": str}')
        return {"amount": value["amount"], "currency": value["currency"]}

    def document(
        self, key: str, kind: str | None, description: str, sha: str | None = None
    ) -> dict[str, Any]:
        sha = sha or self.sha256()
        doc = {"id": f"sha256:{sha}", "title": self.text(key), "description": description,
               "datePublished": self.date}  # fmt: skip
        return doc if kind is None else {**doc, "documentType": kind}


@dataclass
class ReleaseOut:
    """The release body a step produces; ``tender.id`` and ``status`` are added after."""

    tags: list[str]
    body: dict[str, Any] = field(default_factory=dict)

    def tender(self, **fields: Any) -> None:
        self.body.setdefault("tender", {}).update(fields)

    def add(self, array: str, item: dict[str, Any], within: str | None = None) -> None:
        node = self.body if within is None else self.body.setdefault(within, {})
        node.setdefault(array, []).append(item)


@dataclass
class TenderSoFar:
    code: str
    status: str | None = None
    centre: dict[str, str] | None = None
    bidders: dict[str, tuple[str, str]] = field(default_factory=dict)  # lower -> (address, name)
    active: dict[str, str] = field(default_factory=dict)  # lower address -> bid id
    bid_ids: set[str] = field(default_factory=set)
    ranked: set[str] = field(default_factory=set)
    bidding_documents: str | None = None
    opened: bool = False
    awards: int = 0
    award_status: str | None = None
    award_supplier: str | None = None  # lower address
    contracts: int = 0

    def bidder(self, address: str, kind: str) -> str:
        if address.lower() not in self.bidders:
            raise MalformedInput(
                f"{kind}: expected bidder {address} registered earlier, found no bidder_registered record"
            )
        return address.lower()

    def ref(self, key: str) -> dict[str, str]:
        address, name = self.bidders[key]
        return {"id": address, "name": name}

    def party(self, out: ReleaseOut, key: str, roles: list[str]) -> None:
        out.add("parties", {**self.ref(key), "roles": roles})

    def bid_of(self, address: str, kind: str) -> tuple[str, str]:
        key = self.bidder(address, kind)
        if key not in self.active:
            raise MalformedInput(f"{kind}: expected an active bid of {address}, found none")
        return key, self.active[key]

    def award_id(self, kind: str, status: str) -> str:
        if self.award_status != status:
            raise MalformedInput(
                f"{kind}: expected a {status} award, found {self.award_status or 'none'}"
            )
        return f"award-{self.awards}"

    def cancel_award(self, out: ReleaseOut) -> None:
        if self.award_status == "pending":
            out.add("awards", {"id": f"award-{self.awards}", "status": "cancelled"})
            out.tags.append("awardCancellation")
            self.award_status = "cancelled"

    def opening(self, out: ReleaseOut, **fields: str) -> None:
        out.tender(milestones=[{"id": OPENING, **fields}])


# ------------------------------------------------------------------ one handler per step


def _announced(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    centre = {"id": m.record.actor, "name": m.record.actor}
    t.centre, t.status = centre, "planned"
    out.add("parties", {**centre, "roles": ["buyer", "procuringEntity"]})
    out.body["buyer"] = dict(centre)
    out.tender(title=m.text("title"), procuringEntity=dict(centre),
               tenderPeriod={"endDate": iso_time(m.count("bid_deadline"))})  # fmt: skip
    t.opening(out, title="Bid opening (开标)", type="assessment",
              dueDate=iso_time(m.count("opening_time")), status="scheduled")  # fmt: skip


def _key_step(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    pass


def _issue_documents(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    sha = m.sha256()
    t.status, t.bidding_documents = "active", f"sha256:{sha}"
    out.add(
        "documents",
        m.document("document", "biddingDocuments", f"Bidding documents; SHA-256 {sha}"),
        "tender",
    )
    out.tender(tenderPeriod={"startDate": m.date})


def _amend(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    sha, version = m.sha256(), m.count("version")
    replaces = f", replacing {t.bidding_documents}" if t.bidding_documents else ""
    described = f"Bidding documents version {version}{replaces}; SHA-256 {sha}"
    out.add("documents", m.document("document", "biddingDocuments", described), "tender")
    change = f"Bidding documents version {version}: {m.text('document')} (sha256:{sha})"
    out.add(
        "amendments",
        {"id": f"amendment-{version}", "date": m.date, "description": change},
        "tender",
    )
    t.bidding_documents = f"sha256:{sha}"


def _bidder_registered(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    address = m.text("bidder")
    if address.lower() in t.bidders:
        raise MalformedInput(f"{m.kind}: expected a new bidder, found {address} registered twice")
    t.bidders[address.lower()] = (address, m.text("name"))
    t.party(out, address.lower(), ["interestedParty"])


def _bid_submitted(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    key = t.bidder(m.text("bidder"), m.kind)
    bid = f"{t.bidders[key][0]}-{m.count('nonce')}"
    if bid in t.bid_ids:
        raise MalformedInput(f"{m.kind}: expected a new bid, found bid {bid} twice")
    if key in t.active:
        out.add(
            "details",
            {"id": t.active[key], "status": "withdrawn", "description": f"Replaced by bid {bid}"},
            "bids",
        )
    sha = m.sha256("ciphertext_sha256")
    envelope = m.document("bidder", "submissionDocuments", sha=sha, description=(
        f"Sealed bid envelope, {m.count('size')} bytes; SHA-256 {sha}; plaintext commitment "
        f"{m.text('plaintext_commitment')}; opened only at the bid opening"))  # fmt: skip
    envelope["title"] = "Sealed bid envelope"
    out.add("details", {"id": bid, "date": iso_time(m.count("block_time")), "status": "pending",
                        "tenderers": [t.ref(key)], "documents": [envelope]}, "bids")  # fmt: skip
    t.party(out, key, ["tenderer"])
    t.active[key] = bid
    t.bid_ids.add(bid)


def _bid_withdrawn(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    key, bid = t.bid_of(m.text("bidder"), m.kind)
    out.add("details", {"id": bid, "status": "withdrawn"}, "bids")
    t.party(out, key, ["interestedParty"])
    del t.active[key]


def _close_bidding(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    count = m.count("active_bids")
    if count != len(t.active):
        raise MalformedInput(f"{m.kind}: expected active_bids to equal the {len(t.active)} active bids "
                             f"in the tender's records, found {count}")  # fmt: skip
    t.status = "active"
    out.tender(tenderers=[t.ref(k) for k in t.active], numberOfTenderers=count)
    out.add("statistics", {"id": "bids", "measure": "bids", "value": count, "date": m.date}, "bids")


def _fail(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    t.status = "unsuccessful"
    out.tender(numberOfTenderers=m.count("active_bids"))
    t.opening(out, status="notMet")


def _open(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    t.opened = True
    sha = m.sha256("opening_record_sha256")
    summary = f"{m.count('opened')} bids opened, {m.count('flagged')} flagged; SHA-256 {sha}"
    out.add("documents", {"id": f"sha256:{sha}", "title": "Bid opening record (开标记录)",
                          "description": summary, "datePublished": m.date}, "tender")  # fmt: skip
    t.opening(out, status="met", dateMet=m.date)


def _report_evaluation(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    valid, disqualified = m.addresses("valid", empty=True), m.addresses("disqualified", empty=True)
    if {a.lower() for a in valid} & {a.lower() for a in disqualified}:
        raise MalformedInput(
            f"{m.kind}: expected a bid either valid or disqualified, found one in both"
        )
    out.add(
        "documents",
        m.document("report", "evaluationReports", f"Evaluation report; SHA-256 {m.sha256()}"),
        "tender",
    )
    for rank, address in enumerate(valid, start=1):
        out.add(
            "details",
            {"id": t.bid_of(address, m.kind)[1], "status": "valid", "hasRank": True, "rank": rank},
            "bids",
        )
        t.ranked.add(address.lower())
    for address in disqualified:
        key, bid = t.bid_of(address, m.kind)
        unrank = {"hasRank": False, "rank": None} if key in t.ranked else {}
        out.add("details", {"id": bid, "status": "disqualified", **unrank}, "bids")
        t.ranked.discard(key)
    t.cancel_award(out)  # a re-evaluation after an upheld complaint


def _publish_candidates(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    candidates = [t.bid_of(a, m.kind) for a in m.addresses("candidates")]
    end = iso_time(m.count("publicity_end"))
    t.awards += 1
    t.award_status, t.award_supplier = "pending", candidates[0][0]
    award: dict[str, Any] = {
        "id": f"award-{t.awards}", "title": "Winning bid candidate (中标候选人公示)", "status": "pending",
        "date": m.date, "suppliers": [t.ref(candidates[0][0])], "relatedBids": [candidates[0][1]],
        "description": f"Candidates, best first: {', '.join(b for _, b in candidates)}; publicity until {end}",
        "documents": [m.document("notice", "awardNotice", f"Candidates publicity notice; SHA-256 {m.sha256()}")],
    }  # fmt: skip
    out.add("awards", award)
    out.tender(awardPeriod={"startDate": m.date, "endDate": end})


def _complaint_step(label: str, key: str) -> Callable[[TenderSoFar, StepMeta, ReleaseOut], None]:
    def step(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
        award = t.award_id(m.kind, "pending")
        description = f"{label}: {m.text(key)}; SHA-256 {m.sha256()}"
        out.add(
            "awards",
            {"id": award, "documents": [m.document("document", "complaints", description)]},
        )

    return step


def _award(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    t.award_id(m.kind, "pending")
    key, bid = t.bid_of(m.text("supplier"), m.kind)
    if key != t.award_supplier:  # the first candidate declined: a new award
        t.cancel_award(out)
        t.awards += 1
    notice = m.document("notice", "awardNotice", f"Notice of award; SHA-256 {m.sha256()}")
    award: dict[str, Any] = {
        "id": f"award-{t.awards}", "title": "Award (中标通知)", "status": "active", "date": m.date,
        "suppliers": [t.ref(key)], "relatedBids": [bid], "documents": [notice],
    }  # fmt: skip
    if (value := m.value()) is not None:
        award["value"] = value
    out.add("awards", award)
    t.party(out, key, ["tenderer", "supplier"])
    t.status, t.award_status, t.award_supplier = "complete", "active", key


def _sign_contract(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    award = t.award_id(m.kind, "active")
    assert t.award_supplier is not None  # set with every active award
    t.contracts += 1
    contract: dict[str, Any] = {
        "id": f"contract-{t.contracts}", "awardID": award, "status": "active", "dateSigned": m.date,
        "relatedBids": [t.active[t.award_supplier]],
        "documents": [m.document("contract", "contractSigned", f"Signed contract; SHA-256 {m.sha256()}")],
    }  # fmt: skip
    if (value := m.value()) is not None:
        contract["value"] = value
    period = {"startDate": m.optional("start", m.count), "endDate": m.optional("end", m.count)}
    if any(v is not None for v in period.values()):
        contract["period"] = {k: iso_time(v) for k, v in period.items() if v is not None}
    out.add("contracts", contract)
    t.status = "complete"


def _cancel(t: TenderSoFar, m: StepMeta, out: ReleaseOut) -> None:
    sha = m.optional("sha256", m.sha256)
    title = m.optional("document", m.text) or "Cancellation notice"
    notice = {
        "id": f"sha256:{sha}" if sha else "cancellation", "documentType": "cancellationDetails",
        "title": title, "description": m.text("reason"), "datePublished": m.date,
    }  # fmt: skip
    out.add("documents", notice, "tender")
    t.cancel_award(out)
    if not t.opened and t.status != "unsuccessful":
        t.opening(out, status="notMet")
    t.status = "cancelled"


_Handler = Callable[[TenderSoFar, StepMeta, ReleaseOut], None]
STEPS: dict[str, tuple[tuple[str, ...], _Handler]] = {
    "announced": (("tender",), _announced),
    "key_dealing": ((), _key_step),
    "key_complaints": ((), _key_step),
    "key_rerun": ((), _key_step),
    "key_generated": ((), _key_step),
    "issue_documents": (("tenderUpdate",), _issue_documents),
    "amend": (("tenderAmendment",), _amend),
    "bidder_registered": (("tenderUpdate",), _bidder_registered),
    "bid_submitted": (("tenderUpdate",), _bid_submitted),
    "bid_withdrawn": (("tenderUpdate",), _bid_withdrawn),
    "close_bidding": (("tenderUpdate",), _close_bidding),
    "fail": (("tenderUpdate",), _fail),
    "open": (("tenderUpdate",), _open),
    "report_evaluation": (("tenderUpdate",), _report_evaluation),
    "publish_candidates": (("award",), _publish_candidates),
    "file_complaint": (("awardUpdate",), _complaint_step("Complainant", "complainant")),
    "resolve_complaint": (("awardUpdate",), _complaint_step("Decision", "decision")),
    "award": (("award",), _award),
    "sign_contract": (("contract",), _sign_contract),
    "cancel": (("tenderCancellation",), _cancel),
}
#: event -> the tags its release always has (some add ``awardCancellation``)
RELEASE_TAGS: Mapping[str, tuple[str, ...]] = {e: tags for e, (tags, _) in STEPS.items() if tags}
#: tender steps that produce no release
UNPUBLISHED_EVENTS = frozenset(e for e, (tags, _) in STEPS.items() if not tags)
