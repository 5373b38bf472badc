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

from ledger_service.tenders.ocds.compile import compile_release, record_package, release_package
from ledger_service.tenders.ocds.releases import release_for, releases
from ledger_service.tenders.ocds.schema import release_schema, validate_release
from ledger_service.tenders.ocds.steps import (
    BID_EXTENSION_URL,
    OCDS_VERSION,
    OCID_PREFIX,
    RELEASE_TAGS,
    UNPUBLISHED_EVENTS,
    ocid,
)

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
