"""OCDS 1.1 export of a tender: one release per published step, packages, a compiled record.

Pure: builds JSON values from the evidence records it is handed. The only I/O is
reading the shipped schemas (``schema/``, see ``schema/SOURCE.md``) through
importlib.resources, once, on first validation.

Identifiers
    ocid: ``ocds-cw0000-<tender code>``; see :data:`OCID_PREFIX`.
    release: ``<ocid>-<leaf index, zero-padded to 8 digits>-<event>``; unique because a
    log leaf holds one record.
    document: ``sha256:<hex>``, the SHA-256 of the file. OCDS 1.1 has no hash field;
    a content-addressed id carries the digest where every consumer keeps it, and
    merging by id then treats the same file as the same document.
    party: a bidder is its chain address as registered; the trading centre is the
    ``actor`` of the announcement. The records name no tenderee (招标人), so the centre
    stands as both ``buyer`` and ``procuringEntity``.
    bid: ``<bidder address>-<nonce>``; award: ``award-<n>`` (n-th candidates
    publicity, or a change of winner); contract: ``contract-<n>``.

Event -> release tag(s) and tender.status (releaseTag and tenderStatus codelists)
    announced            tender                          planned
    issue_documents      tenderUpdate                    active
    amend                tenderAmendment                 unchanged (a new document version)
    bidder_registered    tenderUpdate                    unchanged (party: interestedParty)
    bid_submitted        tenderUpdate                    unchanged (bid pending; party: tenderer)
    bid_withdrawn        tenderUpdate                    unchanged (bid withdrawn)
    close_bidding        tenderUpdate                    active (tenderers, numberOfTenderers)
    fail                 tenderUpdate                    unsuccessful (流标)
    open                 tenderUpdate                    active (opening milestone met)
    report_evaluation    tenderUpdate [+awardCancellation when it replaces a candidate]
                                                         active (bids valid/disqualified)
    publish_candidates   award                           active (award pending: 公示)
    file_complaint       awardUpdate                     active
    resolve_complaint    awardUpdate                     active
    award                award [+awardCancellation when the winner is not the candidate]
                                                         complete (award active)
    sign_contract        contract                        complete (contract active)
    cancel               tenderCancellation [+awardCancellation]   cancelled
    key_dealing, key_generated: no release. The opening-key ceremony has no OCDS
    counterpart; it stays in the evidence log.

A replaced bid (the same bidder bidding again) becomes ``withdrawn``: the bid status
codelist has no "replaced". Releases carry the fields a step changed, plus
``tender.id`` and ``tender.status``; merging them (:func:`compile_release`) gives the
tender so far.

Payloads of the later steps, as the service is to record them (hex is lowercase):
    report_evaluation   report: str, sha256: hex, valid: [address] best first,
                        disqualified: [address]
    publish_candidates  notice: str, sha256: hex, candidates: [address] best first,
                        publicity_end: unix seconds
    file_complaint      complainant: str, document: str, sha256: hex
    resolve_complaint   decision: str, document: str, sha256: hex
    award               supplier: address, notice: str, sha256: hex, value?
    sign_contract       contract: str, sha256: hex, value?, start?: unix s, end?: unix s
    cancel              reason: str, document?: str, sha256?: hex
``value`` is ``{"amount": int, "currency": ISO 4217}`` in whole units: records hold no
floats, so a fractional amount belongs in the notice document instead.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator, FormatChecker
from jsonschema.exceptions import best_match

from ledger_service.core.errors import MalformedInput
from ledger_service.core.records import EvidenceRecord

__all__ = [
    "BID_EXTENSION_URL",
    "OCDS_VERSION",
    "OCID_PREFIX",
    "RELEASE_TAGS",
    "UNPUBLISHED_EVENTS",
    "compile_release",
    "ocid",
    "record_package",
    "release_for",
    "release_package",
    "release_schema",
    "releases",
    "validate_release",
]

#: Placeholder until Open Contracting Partnership registers a prefix for us: OCIDs built
#: with it are not globally unique, so do not publish to a registry under it.
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
_DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})", re.ASCII
)
_OMIT_WHEN_MERGED = ("id", "date", "tag")
_OPENING = "bid-opening"


def ocid(code: str) -> str:
    """The tender's OCID. Raises MalformedInput for an empty code or one with space or '#'."""
    if type(code) is not str or not code or not code.isprintable() or re.search(r"[\s#]", code):
        raise MalformedInput(
            f"tender code: expected printable text without space or '#', found {code!r}"
        )
    return f"{OCID_PREFIX}-{code}"


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _stamp(moment: datetime) -> str:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise MalformedInput(
            f"published_date: expected a timezone-aware datetime, found {moment!r}"
        )
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ------------------------------------------------------------------ one tender's state


class _Meta:
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
class _Out:
    """The release body a step produces; ``tender.id`` and ``status`` are added after."""

    tags: list[str]
    body: dict[str, Any] = field(default_factory=dict)

    def tender(self, **fields: Any) -> None:
        self.body.setdefault("tender", {}).update(fields)

    def add(self, array: str, item: dict[str, Any], within: str | None = None) -> None:
        node = self.body if within is None else self.body.setdefault(within, {})
        node.setdefault(array, []).append(item)


@dataclass
class _Tender:
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

    def party(self, out: _Out, key: str, roles: list[str]) -> None:
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

    def cancel_award(self, out: _Out) -> None:
        if self.award_status == "pending":
            out.add("awards", {"id": f"award-{self.awards}", "status": "cancelled"})
            out.tags.append("awardCancellation")
            self.award_status = "cancelled"

    def opening(self, out: _Out, **fields: str) -> None:
        out.tender(milestones=[{"id": _OPENING, **fields}])


# ------------------------------------------------------------------ one handler per step


def _announced(t: _Tender, m: _Meta, out: _Out) -> None:
    centre = {"id": m.record.actor, "name": m.record.actor}
    t.centre, t.status = centre, "planned"
    out.add("parties", {**centre, "roles": ["buyer", "procuringEntity"]})
    out.body["buyer"] = dict(centre)
    out.tender(title=m.text("title"), procuringEntity=dict(centre),
               tenderPeriod={"endDate": _iso(m.count("bid_deadline"))})  # fmt: skip
    t.opening(out, title="Bid opening (开标)", type="assessment",
              dueDate=_iso(m.count("opening_time")), status="scheduled")  # fmt: skip


def _key_step(t: _Tender, m: _Meta, out: _Out) -> None:
    pass


def _issue_documents(t: _Tender, m: _Meta, out: _Out) -> None:
    sha = m.sha256()
    t.status, t.bidding_documents = "active", f"sha256:{sha}"
    out.add(
        "documents",
        m.document("document", "biddingDocuments", f"Bidding documents; SHA-256 {sha}"),
        "tender",
    )
    out.tender(tenderPeriod={"startDate": m.date})


def _amend(t: _Tender, m: _Meta, out: _Out) -> None:
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


def _bidder_registered(t: _Tender, m: _Meta, out: _Out) -> None:
    address = m.text("bidder")
    if address.lower() in t.bidders:
        raise MalformedInput(f"{m.kind}: expected a new bidder, found {address} registered twice")
    t.bidders[address.lower()] = (address, m.text("name"))
    t.party(out, address.lower(), ["interestedParty"])


def _bid_submitted(t: _Tender, m: _Meta, out: _Out) -> None:
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
    out.add("details", {"id": bid, "date": _iso(m.count("block_time")), "status": "pending",
                        "tenderers": [t.ref(key)], "documents": [envelope]}, "bids")  # fmt: skip
    t.party(out, key, ["tenderer"])
    t.active[key] = bid
    t.bid_ids.add(bid)


def _bid_withdrawn(t: _Tender, m: _Meta, out: _Out) -> None:
    key, bid = t.bid_of(m.text("bidder"), m.kind)
    out.add("details", {"id": bid, "status": "withdrawn"}, "bids")
    t.party(out, key, ["interestedParty"])
    del t.active[key]


def _close_bidding(t: _Tender, m: _Meta, out: _Out) -> None:
    count = m.count("active_bids")
    if count != len(t.active):
        raise MalformedInput(f"{m.kind}: expected active_bids to equal the {len(t.active)} active bids "
                             f"in the tender's records, found {count}")  # fmt: skip
    t.status = "active"
    out.tender(tenderers=[t.ref(k) for k in t.active], numberOfTenderers=count)
    out.add("statistics", {"id": "bids", "measure": "bids", "value": count, "date": m.date}, "bids")


def _fail(t: _Tender, m: _Meta, out: _Out) -> None:
    t.status = "unsuccessful"
    out.tender(numberOfTenderers=m.count("active_bids"))
    t.opening(out, status="notMet")


def _open(t: _Tender, m: _Meta, out: _Out) -> None:
    t.opened = True
    sha = m.sha256("opening_record_sha256")
    summary = f"{m.count('opened')} bids opened, {m.count('flagged')} flagged; SHA-256 {sha}"
    out.add("documents", {"id": f"sha256:{sha}", "title": "Bid opening record (开标记录)",
                          "description": summary, "datePublished": m.date}, "tender")  # fmt: skip
    t.opening(out, status="met", dateMet=m.date)


def _report_evaluation(t: _Tender, m: _Meta, out: _Out) -> None:
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


def _publish_candidates(t: _Tender, m: _Meta, out: _Out) -> None:
    candidates = [t.bid_of(a, m.kind) for a in m.addresses("candidates")]
    end = _iso(m.count("publicity_end"))
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


def _complaint_step(label: str, key: str) -> Callable[[_Tender, _Meta, _Out], None]:
    def step(t: _Tender, m: _Meta, out: _Out) -> None:
        award = t.award_id(m.kind, "pending")
        description = f"{label}: {m.text(key)}; SHA-256 {m.sha256()}"
        out.add(
            "awards",
            {"id": award, "documents": [m.document("document", "complaints", description)]},
        )

    return step


def _award(t: _Tender, m: _Meta, out: _Out) -> None:
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


def _sign_contract(t: _Tender, m: _Meta, out: _Out) -> None:
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
        contract["period"] = {k: _iso(v) for k, v in period.items() if v is not None}
    out.add("contracts", contract)
    t.status = "complete"


def _cancel(t: _Tender, m: _Meta, out: _Out) -> None:
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


_Handler = Callable[[_Tender, _Meta, _Out], None]
_STEPS: dict[str, tuple[tuple[str, ...], _Handler]] = {
    "announced": (("tender",), _announced),
    "key_dealing": ((), _key_step),
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
RELEASE_TAGS: Mapping[str, tuple[str, ...]] = {e: tags for e, (tags, _) in _STEPS.items() if tags}
#: tender steps that produce no release
UNPUBLISHED_EVENTS = frozenset(e for e, (tags, _) in _STEPS.items() if not tags)


def _parse(record: EvidenceRecord, code: str | None) -> tuple[str, str]:
    """(tender code, event) of a tender step record, checked against ``code`` if given."""
    event = record.kind.removeprefix("tender.")
    if not record.kind.startswith("tender.") or event not in _STEPS:
        raise MalformedInput(
            f"expected a tender step kind tender.<{'|'.join(_STEPS)}>, found {record.kind!r}"
        )
    found, meta_event = record.metadata.get("tender"), record.metadata.get("event")
    if meta_event != event or type(found) is not str or record.subject != f"tender:{found}":
        raise MalformedInput(
            f"{record.kind}: expected metadata event {event!r} and subject 'tender:<metadata tender>', "
            f"found event {meta_event!r}, tender {found!r}, subject {record.subject!r}"
        )
    if code is not None and found != code:
        raise MalformedInput(
            f"{record.kind}: expected a record of tender {code!r}, found tender {found!r}"
        )
    return found, event


def _apply(t: _Tender, record: EvidenceRecord, index: int | None) -> dict[str, Any] | None:
    """Advance ``t`` by one step; return its release when ``index`` is given and it has one."""
    _, event = _parse(record, t.code)
    tags, handler = _STEPS[event]
    if t.status is None and event != "announced":
        raise MalformedInput(
            f"{record.kind}: expected the tender's announced record before it, found none"
        )
    if t.status is not None and event == "announced":
        raise MalformedInput(f"{record.kind}: expected one announcement per tender, found a second")
    out = _Out(list(tags))
    handler(t, _Meta(record), out)
    if index is None or not tags:
        return None
    the_ocid = ocid(t.code)
    tender = {"id": t.code, "status": t.status, **out.body.pop("tender", {})}
    return {"ocid": the_ocid, "id": f"{the_ocid}-{index:08d}-{event}", "date": record.submitted_at,
            "tag": out.tags, "initiationType": "tender", **out.body, "tender": tender}  # fmt: skip


def release_for(
    record: EvidenceRecord, index: int, previous: Sequence[EvidenceRecord]
) -> dict[str, Any]:
    """The OCDS release of one tender step.

    Requires: ``index`` is the record's log leaf index (>= 0); ``previous`` holds the
    same tender's earlier records in log order, from its announcement on (other kinds
    are ignored). Returns a fresh release with the fields this step changed.

    Raises:
        MalformedInput: ``record`` is not a tender step with a release (key steps have
            none), a record belongs to another tender, ``previous`` lacks what the
            step refers to (the announcement, a bidder's registration, an active bid,
            a pending award), or a payload field has the wrong type.
    """
    if type(index) is not int or index < 0:
        raise MalformedInput(f"index: expected a log leaf index >= 0, found {index!r}")
    t = _Tender(_parse(record, None)[0])
    for earlier in previous:
        if earlier.kind.startswith("tender."):
            _apply(t, earlier, None)
    release = _apply(t, record, index)
    if release is None:
        raise MalformedInput(
            f"expected a tender step with an OCDS release, found {record.kind!r} (not published)"
        )
    return release


def releases(records: Sequence[tuple[int, EvidenceRecord]]) -> list[dict[str, Any]]:
    """The releases of one tender's records, given as (leaf index, record) in log order.

    Kinds other than ``tender.*`` are skipped, and so are :data:`UNPUBLISHED_EVENTS`.
    Raises MalformedInput as :func:`release_for` does, or for indexes not increasing.
    """
    out: list[dict[str, Any]] = []
    t: _Tender | None = None
    last = -1
    for index, record in records:
        if not record.kind.startswith("tender."):
            continue
        if type(index) is not int or index <= last:
            raise MalformedInput(
                f"index: expected log order (an index above {last}), found {index!r}"
            )
        last = index
        t = t or _Tender(_parse(record, None)[0])
        if (release := _apply(t, record, index)) is not None:
            out.append(release)
    return out


# ------------------------------------------------------------------ merging and packages


def _identified(array: list[Any]) -> bool:
    return all(isinstance(item, dict) and "id" in item for item in array)


def _merge_value(old: Any, new: Any) -> Any:
    if isinstance(new, dict):
        merged = old if isinstance(old, dict) else {}
        _merge_object(merged, new)
        return merged
    if isinstance(new, list) and _identified(new):
        items = old if isinstance(old, list) and _identified(old) else []
        for item in new:
            match = next((o for o in items if o["id"] == item["id"]), None)
            if match is None:
                items.append(_merge_value(None, item))
            else:
                _merge_object(match, item)
        return items
    return copy.deepcopy(new)


def _merge_object(target: dict[str, Any], new: Mapping[str, Any]) -> None:
    for key, value in new.items():
        if value is None:
            target.pop(key, None)
        else:
            target[key] = _merge_value(target.get(key), value)


def compile_release(releases: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The compiled release of one ocid's releases, by the OCDS 1.1 merge routine.

    OCDS 1.1 "Merging" (https://standard.open-contracting.org/1.1/en/schema/merging/):
    releases in date order (ties keep their order); ``id``, ``date`` and ``tag`` dropped
    (omitWhenMerged); later values win; ``null`` removes a field; arrays whose items
    are all objects with an ``id`` merge item by item on ``id`` (identifier merge), any
    other array is replaced whole. The result has ``tag: ["compiled"]``, the latest
    date, and ``id`` ``<ocid>-<date>`` as the reference implementation does. Unlike
    the full routine this does not read ``wholeListMerge`` from the schema: none of the
    fields we emit set it.

    Raises MalformedInput: no releases, releases of several ocids, or a bad date.
    """
    if not releases:
        raise MalformedInput("releases: expected at least one release, found none")
    ocids = {r.get("ocid") for r in releases}
    if len(ocids) != 1:
        raise MalformedInput(f"releases: expected one ocid, found {sorted(map(str, ocids))}")

    def instant(release: Mapping[str, Any]) -> datetime:
        date = release.get("date")
        if type(date) is not str or not _DATE_TIME.fullmatch(date):
            raise MalformedInput(
                f"release {release.get('id')!r}: expected an RFC 3339 date, found {date!r}"
            )
        return datetime.fromisoformat(date.upper().replace("Z", "+00:00"))

    ordered = sorted(releases, key=instant)
    merged: dict[str, Any] = {}
    for release in ordered:
        _merge_object(merged, {k: v for k, v in release.items() if k not in _OMIT_WHEN_MERGED})
    date = ordered[-1]["date"]
    the_ocid = ordered[-1]["ocid"]
    return {
        "ocid": the_ocid,
        "id": f"{the_ocid}-{date}",
        "date": date,
        "tag": ["compiled"],
        **merged,
    }


def _package(published_date: datetime, publisher_name: str, uri: str) -> dict[str, Any]:
    if type(publisher_name) is not str or not publisher_name.strip():
        raise MalformedInput(f"publisher_name: expected a non-empty name, found {publisher_name!r}")
    return {"uri": uri, "version": OCDS_VERSION, "extensions": [BID_EXTENSION_URL],
            "publishedDate": _stamp(published_date), "publisher": {"name": publisher_name}}  # fmt: skip


def release_package(
    releases: Sequence[Mapping[str, Any]], published_date: datetime, publisher_name: str,
    *, uri: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An OCDS 1.1 release package of ``releases`` (copied).

    ``uri`` should be the URL the package is served at; by default a URN naming the
    first ocid and the last release. Raises MalformedInput: no releases, a naive
    ``published_date`` or an empty ``publisher_name``.
    """
    if not releases:
        raise MalformedInput("releases: expected at least one release, found none")
    uri = (
        uri
        or f"urn:chainwitness:ocds:release-package:{releases[0].get('ocid')}:{releases[-1].get('id')}"
    )
    return {
        **_package(published_date, publisher_name, uri),
        "releases": copy.deepcopy(list(releases)),
    }


def record_package(
    releases: Sequence[Mapping[str, Any]], published_date: datetime, publisher_name: str,
    *, uri: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    """An OCDS 1.1 record package: one record with ``releases`` embedded and compiled.

    Raises MalformedInput as :func:`compile_release` and :func:`release_package` do.
    """
    compiled = compile_release(releases)
    uri = uri or f"urn:chainwitness:ocds:record-package:{compiled['id']}"
    record = {
        "ocid": compiled["ocid"],
        "releases": copy.deepcopy(list(releases)),
        "compiledRelease": compiled,
    }
    return {**_package(published_date, publisher_name, uri), "records": [record]}


# ------------------------------------------------------------------ validation


def _merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 MergePatch(target, patch), returning a new value (inputs untouched)."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge_patch(result.get(key), value)
    return result


def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True  # formats constrain strings only
    if not _DATE_TIME.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


@functools.cache
def _validator() -> Draft4Validator:
    folder = resources.files("ledger_service.tenders") / "schema"
    base, patch = (
        json.loads((folder / name).read_text("utf-8")) for name in (_RELEASE_SCHEMA, _BID_EXTENSION)
    )
    # jsonschema checks "date-time" only with an optional package installed; check it ourselves
    formats = FormatChecker(formats=())
    formats.checks("date-time")(_is_date_time)
    return Draft4Validator(_merge_patch(base, patch), format_checker=formats)


def release_schema() -> dict[str, Any]:
    """A copy of the OCDS 1.1.5 release schema with the bids extension merged in."""
    return copy.deepcopy(dict(_validator().schema))


def validate_release(release: object) -> None:
    """Check ``release`` against the OCDS 1.1.5 release schema extended with bids.

    ``date-time`` formats are checked (RFC 3339). Raises MalformedInput naming the
    JSON path and message of the most relevant error (jsonschema's ``best_match``)
    and how many others there are.
    """
    if not isinstance(release, dict):
        raise MalformedInput(f"release: expected a JSON object, found {type(release).__name__}")
    errors = list(_validator().iter_errors(release))
    if errors:
        error = best_match(errors)
        assert error is not None  # errors is non-empty
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise MalformedInput(f"OCDS release {error.json_path}: {error.message}{more}")
