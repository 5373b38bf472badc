"""RFC 9457 problem+json: the one place where errors become HTTP answers."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from ledger_service.core.errors import DatabaseUnavailable, EvidenceError, StorageFull

PROBLEM_BASE = "https://chainwitness.example/problems/"
MEDIA_TYPE = "application/problem+json"
log = logging.getLogger("chainwitness.api")


def problem(status: int, code: str, title: str, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": PROBLEM_BASE + code, "title": title, "status": status, "detail": detail}
    body.update(extra)
    return JSONResponse(body, status_code=status, media_type=MEDIA_TYPE)


#: what the database driver raises when it cannot serve (turned into problems below)
DATABASE_ERRORS = (OperationalError, InterfaceError)


def database_error(exc: DBAPIError) -> EvidenceError:
    """The problem a database failure is for the caller: the disk full (507) or the
    database unreachable (503). Names the driver's first line, never the statement or
    its parameters."""
    cause = str(exc.orig).strip().splitlines()[0][:200] if exc.orig else type(exc).__name__
    if "disk is full" in cause or "No space left" in cause:
        return StorageFull(f"expected room in the database, found the disk full ({cause})")
    return DatabaseUnavailable(f"expected a reachable database, found: {cause}; nothing was "
                               "stored by this request; retry later")  # fmt: skip


def log_refusal(method: str, path: str, exc: EvidenceError) -> None:
    """One line for every request refused on purpose (4xx), with what identifies it."""
    log.info(
        "refused %s %s: %d %s: %s", method, path, exc.status, exc.code, exc,
        extra={"event": "refusal", "method": method, "path": path, "status": exc.status,
               "problem": exc.code},
    )  # fmt: skip


def install(app: FastAPI) -> None:
    """Register the handlers that turn every error into problem+json."""

    @app.exception_handler(EvidenceError)
    async def _evidence(req: Request, exc: EvidenceError) -> JSONResponse:
        if exc.status >= 500:
            log.error("%s: %s", exc.code, exc, extra={"event": exc.code, "path": req.url.path})
        else:
            log_refusal(req.method, req.url.path, exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else None
        resp = problem(exc.status, exc.code, exc.title, str(exc))
        if headers:
            resp.headers.update(headers)
        return resp

    @app.exception_handler(RequestValidationError)
    async def _validation(_req: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {
                "field": ".".join(str(p) for p in e.get("loc", ())),
                "expected": e.get("msg", ""),
                "found": repr(e.get("input"))[:200],
            }
            for e in exc.errors()
        ]
        first = errors[0] if errors else {"field": "?", "expected": "?", "found": "?"}
        detail = f"{first['field']}: {first['expected']}, found {first['found']}"
        return problem(422, "malformed-input", "Malformed input", detail, errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_req: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = {404: "not-found", 405: "method-not-allowed"}.get(exc.status_code, "http-error")
        return problem(exc.status_code, code, str(exc.detail), str(exc.detail))

    @app.exception_handler(ClientDisconnect)
    async def _gone(req: Request, _exc: ClientDisconnect) -> JSONResponse:
        # nobody is left to read an answer: one line, no traceback
        log.info("client disconnected during %s %s", req.method, req.url.path)
        return problem(400, "client-disconnected", "Client disconnected",
                       "the client closed the connection before sending its whole request")  # fmt: skip

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    async def _database(req: Request, exc: DBAPIError) -> JSONResponse:
        error = database_error(exc)
        log.error("%s during %s %s: %s", error.code, req.method, req.url.path, error)
        return problem(error.status, error.code, error.title, str(error))

    @app.exception_handler(Exception)
    async def _unexpected(_req: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error")
        return problem(500, "internal-error", "Internal error", "the service failed unexpectedly")
