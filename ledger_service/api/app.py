"""The FastAPI app factory. No app or engine is built at import time."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from ledger_service import __version__
from ledger_service.anchoring import Anchorer
from ledger_service.api import contracts, court, problems, public, records, tenders
from ledger_service.service import Services

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

            workers.append(TenderWatcher(services.tenders).start_thread())
            log.info("tender watcher started")
        try:
            yield
        finally:
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
    )
    app.state.services = services
    problems.install(app)
    app.include_router(records.router)
    app.include_router(public.router)
    app.include_router(tenders.router)
    app.include_router(court.router)
    app.include_router(contracts.router)
    return app
