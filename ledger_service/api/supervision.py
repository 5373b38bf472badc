"""Regulator endpoints (智慧监管): scan a tender, read alerts with their evidence and
proofs, dispose of them, a party's history; the trading system's records and the
tamper watch over them. Alerts name bidders and are a suspicion, not a finding: only
regulators (and admin) read them."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from pydantic import BaseModel, Field

from ledger_service.api import tender_models as models
from ledger_service.api.deps import ServicesDep, require
from ledger_service.core.errors import NotConfigured
from ledger_service.evidence.proofs import inclusion_proof
from ledger_service.runtime import Services
from ledger_service.store.tokens import TokenInfo
from ledger_service.supervision import trading
from ledger_service.supervision.service import SupervisionService

router = APIRouter(prefix="/v1/supervision", tags=["supervision"])

Regulator = Annotated[TokenInfo, Depends(require("regulator"))]
Operator = Annotated[TokenInfo, Depends(require("operator"))]
#: largest trading-system export one request takes (10,000 records)
MAX_EXPORT_BYTES = 32 * 1024 * 1024
_ADDRESS = r"^0x[0-9a-fA-F]{40}$"
_SOURCE = r"^[A-Za-z0-9_-]{1,64}$"


def supervision(services: ServicesDep) -> SupervisionService:
    if services.supervision is None:
        raise NotConfigured("expected the supervision service, found none")
    return services.supervision


SupervisionDep = Annotated[SupervisionService, Depends(supervision)]


def _proof(services: Services, index: int) -> dict[str, Any]:
    return inclusion_proof(services.log_store, services.anchors, index).to_json()


class DispositionIn(BaseModel):
    decision: Literal["confirmed", "dismissed"]
    reason: str = Field(min_length=1, max_length=2000)


class BondIn(BaseModel):
    bidder: str = Field(pattern=_ADDRESS)
    payer_account: str = Field(min_length=1, max_length=128)


class TradingRecordsIn(BaseModel):
    source: str = Field(default=trading.DEFAULT_SOURCE, pattern=_SOURCE)
    key: str = Field(default="id", min_length=1, max_length=64)
    records: list[dict[str, Any]] = Field(max_length=trading.MAX_RECORDS)


_BIG = {"x-max-body-bytes": MAX_EXPORT_BYTES}


@router.post("/tenders/{code}/scan", summary="Run every rule on a tender; record its alert",
             response_model=models.ScanAnswer)  # fmt: skip
def scan(code: str, svc: SupervisionDep, token: Regulator) -> dict[str, Any]:
    alert, recorded = svc.scan(code, actor=f"{token.role}:{token.name}")
    return {"tender": code, "recorded": recorded,
            "alert": None if alert is None else alert.to_json()}  # fmt: skip


@router.get("/alerts", summary="Alerts by tender, party and least severity",
            response_model=models.AlertList)  # fmt: skip
def alerts(
    svc: SupervisionDep, _t: Regulator,
    tender: str | None = Query(default=None, max_length=64),
    party: str | None = Query(default=None, max_length=128),
    severity: Literal["watch", "alert", "high"] | None = None,
) -> dict[str, Any]:  # fmt: skip
    return {"alerts": [a.to_json() for a in svc.alerts(tender, party, severity)]}


@router.get("/alerts/{index}", summary="An alert, its evidence records with proofs, dispositions",
            response_model=models.AlertDetail)  # fmt: skip
def alert(
    index: Annotated[int, PathParam(ge=0, le=2**53 - 1)],
    svc: SupervisionDep,
    services: ServicesDep,
    _t: Regulator,
) -> dict[str, Any]:
    stored, dispositions = svc.alert(index)
    evidence = [{"record_index": i, "record": services.log_store.record(i).record.to_json(),
                 "proof": _proof(services, i)} for i in stored.evidence]  # fmt: skip
    return {**stored.to_json(), "proof": _proof(services, index),
            "evidence_records": evidence, "dispositions": dispositions}  # fmt: skip


@router.post("/alerts/{index}/dispositions", status_code=201, summary="Confirm or dismiss an alert",
             response_model=models.Disposed)  # fmt: skip
def dispose(
    index: Annotated[int, PathParam(ge=0, le=2**53 - 1)],
    body: DispositionIn,
    svc: SupervisionDep,
    token: Regulator,
) -> dict[str, Any]:
    record = svc.dispose(index, body.decision, body.reason, token.name)
    return {"alert_record": index, "decision": body.decision, "record_index": record}


@router.get("/parties/{party}", summary="A party's history across tenders",
            response_model=models.PartyHistory)  # fmt: skip
def party(party: str, svc: SupervisionDep, _t: Regulator) -> dict[str, Any]:
    return svc.party(party)


@router.post("/tenders/{code}/bonds", status_code=201, summary="Record a bid bond's payer account",
             response_model=models.BondRecorded)  # fmt: skip
def bond(code: str, body: BondIn, svc: SupervisionDep, token: Operator) -> dict[str, Any]:
    index = svc.record_bond(code, body.bidder, body.payer_account, f"{token.role}:{token.name}")
    return {"tender": code, "bidder": body.bidder, "record_index": index}


@router.post("/trading-records", status_code=201, openapi_extra=_BIG,
             response_model=models.TradingRecorded,
             summary="Record the trading system's records (the versions the tamper watch keeps)")  # fmt: skip
def trading_records(
    body: TradingRecordsIn, services: ServicesDep, token: Operator
) -> dict[str, Any]:
    indices = trading.record_versions(services.log_store, body.records, f"{token.role}:{token.name}",
                                      source=body.source, key=body.key)  # fmt: skip
    return {"source": body.source, "record_indices": indices}


@router.post("/tamper-watch", openapi_extra=_BIG, response_model=models.TamperWatch,
             summary="Compare the trading system's current records with their recorded versions")  # fmt: skip
def tamper_watch(body: TradingRecordsIn, services: ServicesDep, token: Regulator) -> dict[str, Any]:
    found = trading.watch(services.log_store, body.records, f"{token.role}:{token.name}",
                          source=body.source, key=body.key)  # fmt: skip
    return {"source": body.source, "checked": len(body.records), "findings": [
        {**f.to_json(), "alert_record": index,
         "recorded_proof": None if f.ref is None else _proof(services, int(f.ref))}
        for f, index in found]}  # fmt: skip
