"""Operations endpoints: liveness, readiness, metrics.

``/healthz`` answers while the process serves HTTP (it touches nothing else);
``/readyz`` answers 200 only when the database and the chain answer, the anchorer
runs and anchoring lags no more than ``CHAINWITNESS_MAX_ANCHOR_LAG_S``; otherwise
503 problem+json whose ``detail`` names every failed check. ``/metrics`` is the
Prometheus text format (operator token).
"""

from __future__ import annotations

import os
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response

from ledger_service import __version__
from ledger_service.api import models
from ledger_service.api.deps import Operator, ServicesDep
from ledger_service.api.metrics import CONTENT_TYPE, Metrics
from ledger_service.api.problems import problem
from ledger_service.evidence.health import readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Liveness: the process answers HTTP", response_model=models.Health)
def healthz() -> dict[str, Any]:
    # pid: which process of `serve --workers N` answered
    return {"status": "ok", "version": __version__, "pid": os.getpid()}


@router.get(
    "/readyz",
    summary="Readiness: database, chain, anchorer and anchor lag",
    response_model=models.Ready,
    responses={503: {"description": "not ready: problem+json naming each failed check"}},
)
def readyz(request: Request, services: ServicesDep) -> JSONResponse:
    anchorer = getattr(request.app.state, "anchorer", None)
    checks = readiness(
        services.log_store,
        services.anchors,
        rpc_url=services.chain.rpc_url if services.chain is not None else None,
        anchorer=anchorer,
        max_lag_s=services.settings.max_anchor_lag_s,
    )
    body = {c.name: c.to_json() for c in checks}
    failed = [c for c in checks if not c.ok]
    if failed:
        return problem(503, "not-ready", "Not ready", "; ".join(c.detail for c in failed),
                       checks=body)  # fmt: skip
    return JSONResponse({"status": "ready", "version": __version__, "checks": body})


@router.get("/metrics", summary="Prometheus metrics (text exposition format)",
            response_class=Response, responses={200: {
                "description": "Prometheus text exposition format 0.0.4",
                "content": {"text/plain": {"schema": {"type": "string"}}}}})  # fmt: skip
def metrics(request: Request, _token: Operator) -> Response:
    collected: Metrics = request.app.state.metrics
    return Response(collected.exposition(), media_type=CONTENT_TYPE)
