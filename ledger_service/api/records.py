"""Depositing and reading records (operators deposit; any role reads)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import JSONResponse

from ledger_service.api import models
from ledger_service.api.deps import AnyRole, Operator, ServicesDep
from ledger_service.core.canonical import MAX_SAFE_INTEGER, parse_json_strict
from ledger_service.core.errors import Forbidden, LimitExceeded, MalformedInput
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.deposit import record_from_request
from ledger_service.evidence.group_commit import GroupCommitter
from ledger_service.evidence.proofs import checkpoint_for, inclusion_proof, timestamp_for
from ledger_service.settings import MAX_BATCH
from ledger_service.store.blobs import MAX_FILE_BYTES
from ledger_service.store.log import AppendResult
from ledger_service.store.tenders import TenderStore
from ledger_service.tenders import disclosure

router = APIRouter(prefix="/v1", tags=["records"])

#: Largest JSON body accepted for one record / one batch.
MAX_RECORD_BODY = 128 * 1024
MAX_BATCH_BODY = 64 * 1024 * 1024

_RECORD_SCHEMA = {
    "type": "object",
    "required": ["kind", "subject", "digests"],
    "additionalProperties": False,
    "properties": {
        "kind": {"type": "string", "pattern": "^[a-z][a-z0-9_.-]{0,63}$", "example": "document"},
        "subject": {"type": "string", "example": "tender:GC-2026-0417"},
        "digests": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "example": {
                "sha256": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
            },
        },
        "metadata": {"type": "object", "description": "JSON object; no floats"},
    },
}


async def _json_body(request: Request, limit: int) -> Any:
    size = 0
    parts: list[bytes] = []
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise LimitExceeded(f"expected a request body of at most {limit} bytes, found more")
        parts.append(chunk)
    if size == 0:
        raise MalformedInput("expected a JSON request body, found an empty body")
    return parse_json_strict(b"".join(parts))


def _appended(result: AppendResult) -> dict[str, Any]:
    return {
        "first_index": result.first_index,
        "count": len(result.leaf_hashes),
        "leaf_hashes": [h.hex() for h in result.leaf_hashes],
        "tree_size": result.head.size,
        "root": result.head.root.hex(),
    }


def _deposits(request: Request) -> GroupCommitter:
    """The app's deposit writer (group commit: concurrent deposits share a transaction)."""
    committer: GroupCommitter = request.app.state.deposits
    return committer


def _actor(token: Any) -> str:
    return f"{token.role}:{token.name}"


@router.post(
    "/records",
    status_code=201,
    summary="Deposit one record",
    response_model=models.Deposited,
    openapi_extra={
        "x-max-body-bytes": MAX_RECORD_BODY,
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": _RECORD_SCHEMA}},
        },
    },
)
async def deposit_record(request: Request, token: Operator) -> JSONResponse:
    record = record_from_request(await _json_body(request, MAX_RECORD_BODY), _actor(token))
    result = await _deposits(request).append([record])
    body = _appended(result)
    body["index"] = result.first_index
    body["record"] = record.to_json()
    return JSONResponse(body, status_code=201)


@router.post(
    "/records/batch",
    status_code=201,
    response_model=models.Appended,
    summary=f"Deposit up to {MAX_BATCH} records atomically",
    openapi_extra={
        "x-max-body-bytes": MAX_BATCH_BODY,
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {
                    "schema": {
                        "type": "object",
                        "required": ["records"],
                        "properties": {
                            "records": {
                                "type": "array",
                                "maxItems": MAX_BATCH,
                                "items": _RECORD_SCHEMA,
                            }
                        },
                    }
                }
            },
        },
    },
)
async def deposit_batch(request: Request, token: Operator) -> JSONResponse:
    body = await _json_body(request, MAX_BATCH_BODY)
    if (
        not isinstance(body, dict)
        or set(body) != {"records"}
        or not isinstance(body["records"], list)
    ):
        found = sorted(body) if isinstance(body, dict) else type(body).__name__
        raise MalformedInput(f"expected an object {{'records': [...]}}, found {found}")
    items = body["records"]
    if not 1 <= len(items) <= MAX_BATCH:
        raise MalformedInput(f"expected 1..{MAX_BATCH} records, found {len(items)}")
    actor = _actor(token)
    records = [record_from_request(o, actor, f"records[{i}]") for i, o in enumerate(items)]
    return JSONResponse(_appended(await _deposits(request).append(records)), status_code=201)


@router.post(
    "/files",
    status_code=201,
    response_model=models.FileDeposited,
    summary="Deposit a file by streaming upload (raw body); its SHA-256 becomes a record",
    openapi_extra={
        "x-max-body-bytes": MAX_FILE_BYTES,
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        },
    },
)
async def deposit_file(
    request: Request,
    services: ServicesDep,
    token: Operator,
    name: str = Query(..., min_length=1, max_length=256, description="original file name"),
    subject: str | None = Query(None, max_length=256, description="default: file:<sha256>"),
    kind: str = Query("file", description="record kind"),
) -> JSONResponse:
    blob = await services.blobs.put_stream(request.stream())
    record = EvidenceRecord.create(
        kind=kind,
        subject=subject or f"file:{blob.sha256}",
        actor=_actor(token),
        digests=blob.digests,
        metadata={"name": name, "size": blob.size},
    )
    result = await _deposits(request).append([record])
    body = _appended(result)
    body.update(
        index=result.first_index, sha256=blob.sha256, size=blob.size, record=record.to_json()
    )
    return JSONResponse(body, status_code=201)


@router.get("/records/{index}", summary="A record with its inclusion proof and anchor",
            response_model=models.RecordAnswer)
def get_record(
    services: ServicesDep,
    token: AnyRole,
    index: int = Path(ge=0, le=MAX_SAFE_INTEGER),
    head: Annotated[
        Literal["newest", "first"],
        Query(
            description="the anchored head the proof goes to: the newest one holding the "
            "record, or the first (its checkpoint dates when the record was first witnessed)"
        ),
    ] = "newest",
) -> dict[str, Any]:
    record = services.log_store.record(index).record
    if disclosure.withheld(
        record, disclosure.states(TenderStore(services.log_store.engine)), token
    ):
        if disclosure.bidder_step_of(record) is None:  # an alert or a disposition
            raise Forbidden(
                f"expected record {index} to be a record this token may read, found a "
                "supervision alert (readable by oversight only: a suspicion is not a finding)"
            )
        raise Forbidden(
            f"expected record {index} to be a record this token may read, found a bidder's "
            "step of a tender not opened yet (readable by that bidder and by oversight only)"
        )
    proof = inclusion_proof(services.log_store, services.anchors, index, first=head == "first")
    checkpoint = checkpoint_for(services.checkpoints, proof)
    return {
        "status": "anchored" if proof.anchor else "pending",
        "proof": proof.to_json(),
        # the log's checkpoint of the proof's head with the witnesses' cosignatures
        "checkpoint": None if checkpoint is None else checkpoint.to_json(),
        # a TSA's RFC 3161 token over that checkpoint (base64 DER), when one was obtained
        "timestamp": timestamp_for(services.checkpoints, proof),
    }
