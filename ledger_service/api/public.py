"""Public, read-only endpoints: verification by digest, heads, checkpoints, consistency proofs."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from ledger_service.api import models
from ledger_service.api.deps import AnyRole, MaybeToken, ServicesDep
from ledger_service.core.checkpoints import SignedCheckpoint
from ledger_service.core.errors import MalformedInput, NotFound
from ledger_service.evidence.proofs import (
    anchor_of,
    consistency_proof,
    inclusion_proof,
    signed_checkpoint_for,
)
from ledger_service.runtime import Services
from ledger_service.store.checkpoints import StoredCheckpoint
from ledger_service.store.db import one_snapshot
from ledger_service.store.tenders import TenderStore
from ledger_service.store.tokens import TokenInfo
from ledger_service.tenders import disclosure

router = APIRouter(tags=["public"])

#: Most proofs returned for one digest (the same document deposited several times).
MAX_MATCHES = 20


@router.get("/v1/verify/{sha256}", summary="Whether and when a SHA-256 digest was recorded",
            response_model=models.VerifyAnswer)
def verify_digest(sha256: str, services: ServicesDep, token: MaybeToken) -> dict[str, Any]:
    """Before a tender is opened, a match that is one of its bidder steps (a bid's
    ciphertext) only counts in ``withheld``: recorded, but no record, bidder or proof."""
    digest = sha256.lower()
    if len(digest) != 64 or any(c not in "0123456789abcdef" for c in digest):
        raise MalformedInput(f"expected a SHA-256 digest of 64 hex digits, found {sha256!r}")
    # every read on one connection and one snapshot (most of the cost was per query)
    with one_snapshot(services.log_store.engine):
        return _verify_answer(digest, services, token)


def _verify_answer(digest: str, services: Services, token: TokenInfo | None) -> dict[str, Any]:
    indices = services.log_store.find_by_sha256(digest, MAX_MATCHES)
    state_of = disclosure.states(TenderStore(services.log_store.engine))
    shown = [i for i in indices
             if not disclosure.withheld(services.log_store.record(i).record, state_of, token)]  # fmt: skip
    proofs = [inclusion_proof(services.log_store, services.anchors, i) for i in shown]
    # one per proof: the signed, cosigned checkpoint of its head and a TSA's RFC 3161
    # token over it (base64 DER), each null if none
    signed = [signed_checkpoint_for(services.checkpoints, p) for p in proofs]
    return {
        "sha256": digest,
        "found": bool(indices),
        # recorded, shown without record or proof until the tender is opened
        "withheld": len(indices) - len(shown),
        "proofs": [p.to_json() for p in proofs],
        "checkpoints": [None if c is None else c[0].to_json() for c in signed],
        "timestamps": [None if c is None else c[1] for c in signed],
    }


def _latest_checkpoint(services: Services) -> StoredCheckpoint:
    stored = services.checkpoints.latest()
    if stored is None:
        raise NotFound("expected a signed checkpoint, found none yet (nothing anchored)")
    return stored


@router.get(
    "/checkpoint",
    summary="The log's latest checkpoint (C2SP tlog-checkpoint signed note, cosigned)",
    response_class=PlainTextResponse,
)
def checkpoint_text(services: ServicesDep) -> PlainTextResponse:
    return PlainTextResponse(_latest_checkpoint(services).note.decode())


@router.get("/v1/checkpoints/latest", summary="The latest checkpoint and how many cosigned it",
            response_model=models.CheckpointLatest)
def checkpoint_latest(services: ServicesDep) -> dict[str, Any]:
    stored = _latest_checkpoint(services)
    quorum = services.settings.quorum
    return {
        "tree_size": stored.tree_size,
        "root": stored.root.hex(),
        "cosigned": stored.cosigned,
        "witnesses": len(services.settings.witnesses),
        "quorum": quorum,
        "witnessed": quorum > 0 and stored.cosigned >= quorum,
        "checkpoint": SignedCheckpoint.from_bytes(stored.note).to_json(),
    }


@router.post(
    "/v1/checkpoints/fresh",
    summary="A checkpoint of the newest anchored head, cosigned now (the witnesses' present)",
    response_model=models.CheckpointFresh,
)
def checkpoint_fresh(services: ServicesDep, _token: AnyRole) -> dict[str, Any]:
    """For custodian agents: the witnessed time of this checkpoint is when k witnesses,
    by their own clocks, cosigned it; an agent releases only once it reached the opening
    time. Made at most every few seconds (then the same answer); needs a token."""
    publisher, anchored = services.publisher, services.anchors.latest_confirmed()
    if publisher is None or publisher.quorum == 0:
        raise NotFound("expected log witnesses configured, found none")
    if anchored is None:
        raise NotFound("expected an anchored head to cosign, found none yet")
    signed = publisher.fresh(anchored.tree_size, anchored.root)
    return {"tree_size": anchored.tree_size, "checkpoint": signed.to_json()}


@router.get("/v1/heads/latest", summary="The log's current head and the newest anchored head",
            response_model=models.HeadsAnswer)
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


@router.get("/v1/proofs/consistency", summary="RFC 9162 consistency proof between two sizes",
            response_model=models.ConsistencyOut)
def get_consistency(
    services: ServicesDep,
    first: int = Query(..., ge=1, description="the older tree size"),
    second: int = Query(..., ge=1, description="the newer tree size"),
) -> dict[str, Any]:
    return consistency_proof(services.log_store, first, second).to_json()
