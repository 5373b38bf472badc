"""Evidence retrieval (链上取证) for courts and regulators.

Every retrieval is itself recorded as evidence (who, when, what): the chain of
custody is part of the record. Regulators get the same read access, without the
original documents.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi import Path as PathParam
from fastapi.responses import FileResponse
from pydantic import BaseModel, Field

from ledger_service.api import models
from ledger_service.api.deps import ServicesDep, require
from ledger_service.core.errors import Forbidden, NotFound
from ledger_service.evidence.custody import record_custody
from ledger_service.evidence.packaging import MAX_PACKAGE_RECORDS, PACKAGE_KIND, build_package
from ledger_service.store.tokens import TokenInfo

router = APIRouter(prefix="/v1", tags=["court"])

Oversight = Annotated[TokenInfo, Depends(require("court", "regulator"))]
_HEX64 = r"^[0-9a-f]{64}$"
_TIME = r"^\d{4}-\d{2}-\d{2}(T[0-9:.]+Z)?$"


@router.get("/court/records", summary="Search records by tender, party, digest and time range",
            response_model=models.RecordSearch)  # fmt: skip
def search(
    services: ServicesDep,
    who: Oversight,
    tender: str | None = Query(None, description="tender code"),
    subject: str | None = Query(None, description="any subject, e.g. contract:HT-1"),
    party: str | None = Query(None, description="an actor, address or name fragment"),
    sha256: str | None = Query(None, pattern=_HEX64),
    since: str | None = Query(None, pattern=_TIME, description="UTC, inclusive"),
    until: str | None = Query(None, pattern=_TIME, description="UTC, exclusive"),
    limit: int = Query(200, ge=1, le=1000, description="records per page"),
    cursor: int | None = Query(
        None,
        ge=0,
        le=2**62,
        description="next_cursor of the page before: this page starts after that record",
    ),  # fmt: skip
) -> dict[str, Any]:
    """One page of matching records in log order, with ``total`` (all pages) and
    ``next_cursor`` (null on the last page)."""
    filters: dict[str, Any] = dict(subject=f"tender:{tender}" if tender else subject,
                                   sha256=sha256, actor=party, since=since, until=until)  # fmt: skip
    total = services.log_store.count(**filters)
    page = services.log_store.search(**filters, limit=limit + 1, after=cursor)
    found, more = page[:limit], len(page) > limit
    query = {k: v for k, v in {"tender": tender, "subject": subject, "party": party,
             "sha256": sha256, "since": since, "until": until}.items() if v}  # fmt: skip
    custody = record_custody(
        services.log_store,
        who.role,
        who.name,
        "search",
        {"query": query, "results": len(found), "total": total, "cursor": cursor},
    )
    return {
        "records": [{"index": r.index, "leaf_hash": r.leaf_hash.hex(), "record": r.record.to_json()}
                    for r in found],
        "total": total,
        "next_cursor": found[-1].index if more else None,
        "custody_record": custody,
    }  # fmt: skip


class PackageRequest(BaseModel):
    subject: str = Field(min_length=1, max_length=300, examples=["tender:GC-2026-0417"])


@router.post("/court/packages", status_code=201, summary="Request an evidence package (取证包)",
             response_model=models.PackageMade)  # fmt: skip
def request_package(body: PackageRequest, services: ServicesDep, who: Oversight) -> dict[str, Any]:
    # regulators see everything but the original documents
    data = build_package(
        services.package_sources(), body.subject, include_files=who.role == "court"
    )
    blob = services.blobs.put_bytes(data)
    custody = record_custody(services.log_store, who.role, who.name, "package",
                             {"subject": body.subject, "sha256": blob.sha256, "size": blob.size})  # fmt: skip
    return {"sha256": blob.sha256, "size": blob.size, "download": f"/v1/court/packages/{blob.sha256}",
            "custody_record": custody}  # fmt: skip


@router.get("/court/packages/{sha256}", summary="Download an evidence package",
            response_class=FileResponse, responses={200: {
                "description": "the evidence package (docs/evidence-package.md)",
                "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}}}})  # fmt: skip
def download_package(
    services: ServicesDep, who: Oversight, sha256: str = PathParam(pattern=_HEX64)
) -> FileResponse:
    # only blobs that an evidence.package record names are packages: the blob store also
    # holds original documents, bid ciphertexts and reports, none of them served here
    packages = [services.log_store.record(i).record for i in
                services.log_store.find_by_sha256(sha256, MAX_PACKAGE_RECORDS)]  # fmt: skip
    packages = [r for r in packages if r.kind == PACKAGE_KIND]
    if not packages:
        raise NotFound(f"expected the SHA-256 of an evidence package, found no package {sha256}")
    if who.role == "regulator" and all(r.metadata.get("files", 1) != 0 for r in packages):
        raise Forbidden(
            f"expected a package without original documents for a regulator, found package "
            f"{sha256} with files (built for a court)"
        )
    path = services.blobs.open(sha256)
    record_custody(services.log_store, who.role, who.name, "download", {"sha256": sha256})
    return FileResponse(path, media_type="application/zip", filename=f"evidence-{sha256[:16]}.zip")
