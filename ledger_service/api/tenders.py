"""Tender endpoints (招投标全流程见证): operators run the lifecycle, bidders submit
sealed bids, custodians' signed messages are relayed, anyone reads the public state."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi import Path as FastPath
from fastapi.responses import FileResponse, JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ledger_service.api import tender_models as models
from ledger_service.api.deps import MaybeToken, ServicesDep, require
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.core import threshold
from ledger_service.core.canonical import MAX_SAFE_INTEGER
from ledger_service.core.errors import Forbidden, MalformedInput, NotConfigured
from ledger_service.core.sealing import file_name
from ledger_service.core.threshold import MAX_CUSTODIANS
from ledger_service.store.tokens import TokenInfo
from ledger_service.tenders import opened_files
from ledger_service.tenders.lifecycle import Event, State
from ledger_service.tenders.model import Party, Schedule, SignedBid
from ledger_service.tenders.service import MAX_BID_BYTES, TenderService
from ledger_service.tenders.views import TenderViews

router = APIRouter(prefix="/v1", tags=["tenders"])

Operator = Annotated[TokenInfo, Depends(require("operator"))]
Bidder = Annotated[TokenInfo, Depends(require("bidder", "operator"))]
Custodian = Annotated[TokenInfo, Depends(require("custodian"))]

_HEX64 = r"^[0-9a-f]{64}$"
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_PUB33 = r"^0[23][0-9a-f]{64}$"
_MAX_INT = MAX_SAFE_INTEGER  # what JSON and the evidence records carry exactly
_OPENED_BID: dict[int | str, dict[str, Any]] = {200: {
    "description": "the opened bid's plaintext, named by its original file name",
    "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}}  # fmt: skip


def _tender_id(ref: str) -> bytes:
    """A tender named by its code or by its on-chain id (0x + 64 hex, as agents name it)."""
    if len(ref) == 66 and ref.startswith("0x"):
        try:
            return bytes.fromhex(ref[2:])
        except ValueError:
            pass
    return tender_id_bytes(ref)


def _actor(token: TokenInfo) -> str:
    """Who acted, as the token says: the actor of the step's evidence record."""
    return f"{token.role}:{token.name}"


def tenders(services: ServicesDep) -> TenderService:
    if services.tenders is None:
        raise NotConfigured("expected the tender service (a chain connection), found none")
    return services.tenders


TendersDep = Annotated[TenderService, Depends(tenders)]


def views(services: ServicesDep) -> TenderViews:
    if services.tender_views is None:
        raise NotConfigured("expected the tender service (a chain connection), found none")
    return services.tender_views


ViewsDep = Annotated[TenderViews, Depends(views)]


class CustodianIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    address: str = Field(pattern=_ADDRESS, description="its key comes from the chain registry")


class SignedMessageIn(BaseModel):
    """A custodian's signed dealing or complaint bundle, relayed as is."""

    index: int = Field(ge=1, le=MAX_CUSTODIANS)
    body: str = Field(pattern=r"^([0-9a-f]{2})+$", max_length=2 * threshold.MAX_BODY_BYTES)
    signature: str = Field(pattern=r"^[0-9a-f]{130}$")


class ApprovalIn(BaseModel):
    index: int = Field(ge=1, le=MAX_CUSTODIANS)
    public_key: str = Field(pattern=_PUB33)
    commitments: str = Field(pattern=r"^([0-9a-f]{66})+$")
    signature: str = Field(pattern=r"^[0-9a-f]{130}$")


class PartyIn(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    address: str = Field(pattern=_ADDRESS)
    public_key: str = Field(pattern=_PUB33, description="compressed secp256k1 key, hex")

    def party(self) -> Party:
        return Party(self.name, self.address, bytes.fromhex(self.public_key))


class BidderIn(PartyIn):
    pseudonym: str = Field(pattern=_ADDRESS, description="the per-tender address the bidder made")


class TenderIn(BaseModel):
    code: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$", examples=["GC-2026-0417"])
    title: str = Field(min_length=1, max_length=256)
    dealing_deadline: int = Field(gt=0, le=_MAX_INT, description="unix seconds, by chain time")
    complaint_deadline: int = Field(gt=0, le=_MAX_INT)
    bid_deadline: int = Field(gt=0, le=_MAX_INT)
    opening_time: int = Field(gt=0, le=_MAX_INT)
    threshold: int = Field(ge=2, le=MAX_CUSTODIANS)
    custodians: list[CustodianIn] = Field(min_length=1, max_length=MAX_CUSTODIANS)


class DocumentIn(BaseModel):
    name: str = Field(min_length=1, max_length=256)
    sha256: str = Field(pattern=_HEX64)
    version: int = Field(default=1, ge=1, le=_MAX_INT)


class WithdrawalIn(BaseModel):
    bidder: str = Field(pattern=_ADDRESS)
    pseudonym: str = Field(pattern=_ADDRESS)
    nonce: int = Field(ge=1, le=_MAX_INT)
    signature: str = Field(pattern=r"^(0x)?[0-9a-fA-F]{130}$")


class ValueIn(BaseModel):
    amount: int = Field(ge=0, le=_MAX_INT, description="whole units (records hold no floats)")
    currency: str = Field(pattern=r"^[A-Z]{3}$", examples=["CNY"])


class TransitionIn(BaseModel):
    """A later step and its structured data; which fields each event takes and needs is
    ``tenders.later_steps.FIELDS`` (the OCDS export reads them)."""

    model_config = ConfigDict(extra="forbid")

    event: Event
    document: DocumentIn | None = Field(default=None, description="the step's document "
                                        "(report, notice, contract...); all but cancel need one")  # fmt: skip
    note: str = Field(default="", max_length=2000)
    valid: list[str] | None = Field(default=None, max_length=10_000,
                                    description="report_evaluation: valid bids' bidders, best first")  # fmt: skip
    disqualified: list[str] | None = Field(default=None, max_length=10_000,
                                           description="report_evaluation: disqualified bidders")  # fmt: skip
    candidates: list[str] | None = Field(default=None, max_length=100,
                                         description="publish_candidates: best first")  # fmt: skip
    publicity_end: int | None = Field(default=None, gt=0, le=_MAX_INT,
                                      description="publish_candidates: unix seconds")  # fmt: skip
    complainant: str | None = Field(default=None, max_length=2000, description="file_complaint")
    decision: str | None = Field(default=None, max_length=2000, description="resolve_complaint")
    supplier: str | None = Field(default=None, pattern=_ADDRESS, description="award: the winner")
    value: ValueIn | None = Field(default=None, description="award, sign_contract: the price")
    start: int | None = Field(default=None, gt=0, le=_MAX_INT, description="sign_contract")
    end: int | None = Field(default=None, gt=0, le=_MAX_INT, description="sign_contract")
    reason: str | None = Field(default=None, max_length=2000, description="cancel (default: note)")

    def data(self) -> dict[str, Any]:
        return self.model_dump(exclude={"event", "document", "note"}, exclude_none=True)


@router.post("/tenders", status_code=201, summary="Announce a tender (招标公告)",
             response_model=models.TenderView)  # fmt: skip
def announce(body: TenderIn, svc: TendersDep, views: ViewsDep, token: Operator) -> dict[str, Any]:
    schedule = Schedule(body.dealing_deadline, body.complaint_deadline, body.bid_deadline,
                        body.opening_time)  # fmt: skip
    svc.announce(body.code, body.title, schedule, body.threshold,
                 [(c.name, c.address) for c in body.custodians], actor=_actor(token))  # fmt: skip
    return views.public_view(body.code)


def _iso(seconds: int) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat().replace("+00:00", "Z")


@router.get("/tenders", summary="List tenders (public), a page at a time",
            response_model=models.TenderPage)  # fmt: skip
def list_tenders(
    svc: TendersDep,
    state: State | None = Query(None, description="only tenders in this state"),
    limit: int = Query(100, ge=1, le=1000),
    cursor: str | None = Query(
        None,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
        description="next_cursor of the page before",
    ),  # fmt: skip
) -> dict[str, Any]:
    """Tenders by code with their state and chain-time deadlines (Unix seconds, and ISO
    8601 UTC beside them); ``total`` counts all pages, ``next_cursor`` is null on the last."""
    page, total = svc.store.page(state=None if state is None else state.value, after=cursor,
                                 limit=limit + 1)  # fmt: skip
    shown = page[:limit]
    return {
        "tenders": [{"code": t.code, "title": t.title, "state": t.state,
                     "bid_deadline": t.bid_deadline, "bid_deadline_utc": _iso(t.bid_deadline),
                     "opening_time": t.opening_time, "opening_time_utc": _iso(t.opening_time)}
                    for t in shown],
        "total": total,
        "next_cursor": shown[-1].code if len(page) > limit else None,
    }  # fmt: skip


#: Roles that see bidders before opening (the public does not: 招标投标法 art. 22).
_OVERSIGHT = frozenset({"admin", "operator", "regulator", "court"})


@router.get("/tenders/{code}", summary="A tender's state, keys and evidence records",
            response_model=models.TenderView)  # fmt: skip
def get_tender(code: str, views: ViewsDep, token: MaybeToken) -> dict[str, Any]:
    return views.public_view(code, full=token is not None and token.role in _OVERSIGHT)


@router.get("/tenders/{code}/bids/{bidder}", summary="One bidder's bids (for that bidder)",
            response_model=list[models.BidOut])  # fmt: skip
def bids_of(code: str, bidder: str, views: ViewsDep, token: Bidder) -> list[dict[str, Any]]:
    # A bidder token is issued in the bidder's address (`token create --role bidder
    # --name 0x...`): before opening, one bidder must not learn of another (art. 22).
    if token.role == "bidder" and token.name.lower() != bidder.lower():
        raise Forbidden(
            f"expected a bidder token issued for {bidder}, found one issued for {token.name!r}"
        )
    return views.bids_of(code, bidder)


def _as_itself(svc: TenderService, code: str, index: int, token: TokenInfo) -> None:
    """A custodian token is issued in the custodian's chain address (``token create --role
    custodian --name 0x...``) and may relay only for that custodian's own index."""
    if token.role != "custodian":
        return  # the admin relays; the chain still checks every custodian signature
    members = svc.custodians(svc.code_of(_tender_id(code)))
    if not 1 <= index <= len(members):
        raise MalformedInput(f"expected a custodian index 1..{len(members)}, found {index}")
    if members[index - 1].address.lower() != token.name.lower():
        raise Forbidden(
            f"expected a custodian token issued for {members[index - 1].address} (index "
            f"{index}), found one issued for {token.name!r}: a custodian acts only as itself"
        )


@router.post("/tenders/{code}/dealings", status_code=201, summary="Relay a signed dealing",
             response_model=models.DealingRelayed)  # fmt: skip
def post_dealing(
    code: str, body: SignedMessageIn, svc: TendersDep, token: Custodian
) -> dict[str, Any]:
    _as_itself(svc, code, body.index, token)
    svc.post_dealing(_tender_id(code), body.index, bytes.fromhex(body.body),
                     bytes.fromhex(body.signature))  # fmt: skip
    return {"tender": code, "dealer": body.index}


@router.post("/tenders/{code}/complaints", status_code=201, summary="Relay signed complaints",
             response_model=models.ComplaintsRelayed)  # fmt: skip
def post_complaints(
    code: str, body: SignedMessageIn, svc: TendersDep, token: Custodian
) -> dict[str, Any]:
    _as_itself(svc, code, body.index, token)
    svc.post_complaints(_tender_id(code), body.index, bytes.fromhex(body.body),
                        bytes.fromhex(body.signature))  # fmt: skip
    return {"tender": code, "accuser": body.index}


@router.post("/tenders/{code}/approvals", status_code=201, summary="Relay a KeyApproval",
             response_model=models.ApprovalRelayed)  # fmt: skip
def post_approval(code: str, body: ApprovalIn, svc: TendersDep, token: Custodian) -> dict[str, Any]:
    _as_itself(svc, code, body.index, token)
    svc.post_approval(_tender_id(code), body.index, bytes.fromhex(body.public_key),
                      bytes.fromhex(body.commitments), bytes.fromhex(body.signature))  # fmt: skip
    return {"tender": code, "approver": body.index}


@router.post("/tenders/{code}/key", summary="Relay t custodian approvals of the key (finalizeKey)",
             response_model=models.TenderView)  # fmt: skip
def finalize_key(code: str, svc: TendersDep, views: ViewsDep, _t: Operator) -> dict[str, Any]:
    svc.finalize_key(code)
    return views.public_view(code)


@router.post("/tenders/{code}/documents", summary="Issue the tender documents (招标文件)",
             response_model=models.TenderView)  # fmt: skip
def issue_documents(
    code: str, body: DocumentIn, svc: TendersDep, views: ViewsDep, token: Operator
) -> dict[str, Any]:
    svc.issue_documents(code, body.sha256, body.name, actor=_actor(token))
    return views.public_view(code)


@router.post("/tenders/{code}/amendments", summary="A clarification or amendment (澄清与修改)",
             response_model=models.TenderView)  # fmt: skip
def amend(
    code: str, body: DocumentIn, svc: TendersDep, views: ViewsDep, token: Operator
) -> dict[str, Any]:
    svc.amend(code, body.sha256, body.name, body.version, actor=_actor(token))
    return views.public_view(code)


@router.post("/tenders/{code}/bidders", status_code=201, summary="Register a bidder",
             response_model=models.BidderRegistered)  # fmt: skip
def register_bidder(code: str, body: BidderIn, svc: TendersDep, token: Operator) -> dict[str, Any]:
    svc.register_bidder(code, body.party(), body.pseudonym, actor=_actor(token))
    return {"tender": code, "bidder": body.address}


@router.post(
    "/tenders/{code}/bids",
    status_code=201,
    response_model=models.BidReceiptOut,
    summary="Submit a sealed bid: the envelope as the raw body, the bidder's signed commitment as parameters",
    openapi_extra={"x-max-body-bytes": MAX_BID_BYTES, "requestBody": {"required": True, "content": {
        "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}}},
)  # fmt: skip
async def submit_bid(
    code: str,
    request: Request,
    svc: TendersDep,
    _t: Bidder,
    bidder: str = Query(pattern=_ADDRESS),
    pseudonym: str = Query(pattern=_ADDRESS),
    nonce: int = Query(ge=1, le=_MAX_INT),
    salt: str = Query(pattern=_HEX64),
    plaintext_commitment: str = Query(pattern=_HEX64),
    envelope_digest: str = Query(pattern=_HEX64),
    sealed_signature: str = Query(pattern=r"^[0-9a-f]{130}$"),
    bid_signature: str = Query(pattern=r"^[0-9a-f]{130}$"),
    device: str | None = Query(default=None, min_length=1, max_length=128,
                               description="device fingerprint the bidder client reports"),
    file_name_sealed: str | None = Query(
        default=None, pattern=r"^([0-9a-f]{2})+$", max_length=2 * file_name.MAX_BLOB_BYTES,
        description="the document's file name sealed under the envelope's content key "
                    "(docs/sealed-envelope.md), read at opening"),
) -> JSONResponse:  # fmt: skip
    bid = SignedBid(bidder, pseudonym, nonce, salt, plaintext_commitment, envelope_digest,
                    bytes.fromhex(sealed_signature), bytes.fromhex(bid_signature))  # fmt: skip
    # the peer address as this service sees it (a reverse proxy must pass the client's on)
    ip = request.client.host if request.client is not None else "unknown"
    receipt = await svc.submit_bid(
        code, bid, request.stream(), ip=ip, device=device,
        file_name_sealed=None if file_name_sealed is None else bytes.fromhex(file_name_sealed),
    )  # fmt: skip
    return JSONResponse(receipt.to_json(), status_code=201)


@router.post("/tenders/{code}/withdrawals", summary="Withdraw a bid with the bidder's signature",
             response_model=models.Withdrawn)  # fmt: skip
def withdraw(code: str, body: WithdrawalIn, svc: TendersDep, _t: Bidder) -> dict[str, Any]:
    index = svc.withdraw_bid(code, body.bidder, body.pseudonym, body.nonce,
                             bytes.fromhex(body.signature.removeprefix("0x")))  # fmt: skip
    return {"tender": code, "bidder": body.bidder, "record_index": index}


@router.post("/tenders/{code}/open", summary="Open every bid once t shares are on chain (开标)",
             response_model=models.OpeningAnswer)  # fmt: skip
def open_bids(code: str, svc: TendersDep, token: Operator) -> dict[str, Any]:
    return svc.open(code, svc.opening_dir(code), actor=_actor(token))


Evaluator = Annotated[TokenInfo, Depends(require("operator", "regulator", "court"))]


@router.get("/tenders/{code}/opened", summary="The opened bids with their original file names",
            response_model=list[models.OpenedFileOut])  # fmt: skip
def opened(code: str, svc: TendersDep, _t: Evaluator) -> list[dict[str, Any]]:
    """After opening: every opened bid (bidder, nonce, file name, size) for the evaluation
    committee (operator), the regulator and the court."""
    svc.state(code)  # NotFound for an unknown tender
    return [f.to_json() for f in opened_files.manifest(svc.opening_dir(code))]


@router.get("/tenders/{code}/opened/{bidder}/{nonce}", summary="Download one opened bid",
            response_class=FileResponse, responses=_OPENED_BID)  # fmt: skip
def opened_file(
    code: str, svc: TendersDep, _t: Evaluator,
    bidder: str = FastPath(pattern=_ADDRESS), nonce: int = FastPath(ge=1, le=_MAX_INT),
) -> FileResponse:  # fmt: skip
    svc.state(code)
    info, path = opened_files.opened_file(svc.opening_dir(code), bidder, nonce)
    return FileResponse(path, filename=info.file_name, media_type="application/octet-stream")


@router.post("/tenders/{code}/transitions", summary="Later lifecycle steps (evaluation, award...)",
             response_model=models.TenderView)  # fmt: skip
def transition(
    code: str, body: TransitionIn, svc: TendersDep, views: ViewsDep, token: Operator
) -> dict[str, Any]:
    svc.transition(code, body.event, body.note,
                   None if body.document is None else (body.document.name, body.document.sha256),
                   body.data(), actor=_actor(token))  # fmt: skip
    return views.public_view(code)


@router.get("/tenders/{code}/ocds", summary="OCDS 1.1 release package and compiled record",
            response_model=models.OcdsAnswer)  # fmt: skip
def ocds(code: str, views: ViewsDep, token: MaybeToken) -> dict[str, Any]:
    return views.ocds(code, full=token is not None and token.role in _OVERSIGHT)
