"""The FastAPI app factory. No app or engine is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ledger_service import __version__
from ledger_service.api import (
    court,
    econtracts,
    openapi,
    operations,
    pages,
    problems,
    public,
    records,
    reports,
    supervision,
    tenders,
)
from ledger_service.api.deps import check_token
from ledger_service.api.guard import RequestGuard
from ledger_service.api.metrics import Metrics, RequestMetrics
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.group_commit import GroupCommitter
from ledger_service.runtime import Services

log = logging.getLogger("chainwitness.api")


def create_app(
    services: Services, *, anchorer: Anchorer | None = None, watch_tenders: bool = False
) -> FastAPI:
    """Build the API over ``services``; with ``anchorer`` it also runs anchoring, with
    ``watch_tenders`` it closes and opens tenders by chain time."""

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        workers = []
        if anchorer is not None:
            workers.append(anchorer.start_thread())
            log.info("anchorer started")
        if watch_tenders and services.tenders is not None:
            from ledger_service.tenders.watcher import TenderWatcher

            # the embedded anvil mines only on transactions: the watcher moves its time
            advance = services.node.mine_when_due if services.node is not None else None
            watcher = TenderWatcher(services.tenders, advance=advance)
            _app.state.tender_watcher = watcher
            workers.append(watcher.start_thread())
            log.info("tender watcher started")
        funder = services.dev_funder() if watch_tenders else None
        if funder is not None:  # the embedded chain: gas for the parties' own accounts
            workers.append(funder.start_thread())
        try:
            yield
        finally:
            deposits.close()
            for _, stop in workers:
                stop.set()
            for thread, _ in workers:
                thread.join(timeout=10)

    app = FastAPI(
        title="Chain Witness (链见证) evidence API",
        version=__version__,
        description=(
            "数据存证: records and files enter an RFC 9162 Merkle log whose tree heads are "
            "anchored on an EVM chain. Every error is RFC 9457 problem+json."
        ),
        lifespan=lifespan,
        generate_unique_id_function=openapi.operation_id,
        # /docs is served by pages with swagger-ui from the package (no CDN)
        docs_url=None,
        redoc_url=None,
    )
    app.state.services = services
    # concurrent deposits share one durable transaction (evidence.group_commit)
    deposits = app.state.deposits = GroupCommitter(services.log_store)
    app.state.anchorer = anchorer  # for /readyz and /metrics
    app.state.metrics = Metrics(services, app.state)
    problems.install(app)
    app.include_router(operations.router)
    app.include_router(records.router)
    app.include_router(public.router)
    app.include_router(tenders.router)
    app.include_router(court.router)
    app.include_router(reports.router)
    app.include_router(econtracts.router)
    app.include_router(supervision.router)
    app.include_router(pages.router)
    _include_plugins(app)
    openapi.install(app)
    # outermost of the app's own layers: no route reads a body before the guard has
    # authenticated the caller and bounded the body
    app.add_middleware(
        RequestGuard,
        routes=lambda: app.router.routes,
        authenticate=lambda token, roles: check_token(services, token, roles),
        body_timeout_s=services.settings.body_timeout_s,
    )
    # outermost: every answer is counted and timed, the guard's refusals included
    app.add_middleware(RequestMetrics, metrics=lambda: app.state.metrics)
    return app


def _include_plugins(app: FastAPI) -> None:
    """Routers that other installed packages offer (entry point group ``chainwitness.routers``).

    This is how e.g. ``notary`` adds its endpoints without ``ledger_service`` importing it.
    """
    from importlib.metadata import entry_points

    for ep in entry_points(group="chainwitness.routers"):
        try:
            app.include_router(ep.load())
        except Exception:  # a broken plugin must not take the evidence service down
            log.exception("router plugin %s could not be loaded", ep.name)
