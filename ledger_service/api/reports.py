"""Witness reports (链见证报告): issue a signed report, find it by number, download it.

``GET /v1/reports/{number}`` is the QR code's target: public, it answers the report's
evidence record and its inclusion proof, so anyone can check a copy by its SHA-256.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ledger_service.api import models
from ledger_service.api.deps import ServicesDep, require
from ledger_service.core.errors import NotConfigured
from ledger_service.evidence.custody import record_custody
from ledger_service.evidence.proofs import inclusion_proof
from ledger_service.reports.build import ReportSources
from ledger_service.reports.issue import ReportService, report_record
from ledger_service.reports.model import ChainRef
from ledger_service.store.tokens import TokenInfo

router = APIRouter(prefix="/v1", tags=["court"])  # listed with retrieval, as before

Operator = Annotated[TokenInfo, Depends(require("operator"))]
AnyRole = Annotated[TokenInfo, Depends(require())]


def report_service(services: ServicesDep) -> ReportService:
    """The report issuer over the service's stores, tenders and chain."""
    chain = services.chain
    ref = None if chain is None else ChainRef(
        int(chain.chain_id), str(chain.evidence_log), chain.tender_registry
    )  # fmt: skip
    sources = ReportSources(services.log_store, services.anchors, services.tender_views, ref)
    return ReportService(sources, services.blobs, services.settings.data_dir)


ReportsDep = Annotated[ReportService, Depends(report_service)]


class ReportRequest(BaseModel):
    subject: str = Field(pattern=r"^(tender|contract):.+$", examples=["tender:GC-2026-0417"])


@router.post("/reports", status_code=201, summary="Issue a signed witness report (链见证报告)",
             response_model=models.ReportIssued)  # fmt: skip
def issue_report(
    body: ReportRequest, services: ServicesDep, _t: Operator, reports: ReportsDep
) -> dict[str, Any]:
    s = services.settings
    if s.witness_password is None:
        raise NotConfigured("expected CHAINWITNESS_WITNESS_PASSWORD for the witness CA, found none")
    number, pdf, index = reports.issue(body.subject, s.witness_password.get_secret_value(),
                                       s.base_url, tsa_url=s.tsa_url)  # fmt: skip
    sha = services.log_store.record(index).record.digests["sha256"]
    return {"number": number, "sha256": sha, "record_index": index,
            "download": f"/v1/reports/{number}/pdf"}  # fmt: skip


@router.get("/reports/{number}", summary="A witness report's record and proof (the QR target)",
            response_model=models.ReportAnswer)  # fmt: skip
def report(number: str, services: ServicesDep) -> dict[str, Any]:
    index, rec = report_record(services.log_store, number)
    return {"number": number, "record": rec.to_json(),
            "proof": inclusion_proof(services.log_store, services.anchors, index).to_json(),
            "download": f"/v1/reports/{number}/pdf"}  # fmt: skip


@router.get("/reports/{number}/pdf", summary="Download a signed witness report",
            response_class=FileResponse, responses={200: {
                "description": "the signed PDF (PAdES)",
                "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}}})  # fmt: skip
def report_pdf(number: str, services: ServicesDep, who: AnyRole) -> FileResponse:
    _, rec = report_record(services.log_store, number)
    sha = rec.digests["sha256"]
    record_custody(
        services.log_store, who.role, who.name, "report", {"number": number, "sha256": sha}
    )
    return FileResponse(services.blobs.open(sha), media_type="application/pdf",
                        filename=f"{number}.pdf")  # fmt: skip
