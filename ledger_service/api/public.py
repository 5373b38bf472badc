"""Public, read-only endpoints: verification by digest, heads, consistency proofs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query

from ledger_service import __version__
from ledger_service.api.deps import ServicesDep
from ledger_service.core.errors import MalformedInput
from ledger_service.evidence.proofs import anchor_of, consistency_proof, inclusion_proof

router = APIRouter(tags=["public"])

#: Most proofs returned for one digest (the same document deposited several times).
MAX_MATCHES = 20


@router.get("/v1/verify/{sha256}", summary="Whether and when a SHA-256 digest was recorded")
def verify_digest(sha256: str, services: ServicesDep) -> dict[str, Any]:
    digest = sha256.lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise MalformedInput(f"expected a SHA-256 digest of 64 hex digits, found {sha256!r}")
    indices = services.log_store.find_by_sha256(digest, MAX_MATCHES)
    proofs = [inclusion_proof(services.log_store, services.anchors, i) for i in indices]
    return {
        "sha256": digest,
        "found": bool(proofs),
        "proofs": [p.to_json() for p in proofs],
    }


@router.get("/v1/heads/latest", summary="The log's current head and the newest anchored head")
def latest_head(services: ServicesDep) -> dict[str, Any]:
    head = services.log_store.head()
    anchored = services.anchors.latest_confirmed()
    chain = services.chain
    return {
        "log": {"tree_size": head.size, "root": head.root.hex()},
        "anchored": None if anchored is None else anchor_of(anchored).to_json(),
        "chain": None
        if chain is None
        else {
            "chain_id": chain.chain_id,
            "evidence_log": chain.evidence_log,
            "tender_registry": chain.tender_registry,
        },
    }


@router.get("/v1/proofs/consistency", summary="RFC 9162 consistency proof between two sizes")
def get_consistency(
    services: ServicesDep,
    first: int = Query(..., ge=1, description="the older tree size"),
    second: int = Query(..., ge=1, description="the newer tree size"),
) -> dict[str, Any]:
    return consistency_proof(services.log_store, first, second).to_json()


@router.get("/healthz", summary="Liveness and versions")
def healthz(services: ServicesDep) -> dict[str, Any]:
    return {"status": "ok", "version": __version__, "tree_size": services.log_store.head().size}
