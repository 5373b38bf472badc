"""The request guard: authentication before the body, body size limits, stalled bodies.

A pure ASGI middleware in front of the routes. For the route a request matches it
 1. authenticates the bearer token (when the route needs one) before a byte of the body
    is read: no token, an unknown token or a wrong role is answered 401/403 at once;
 2. refuses a body over the route's limit: by ``Content-Length`` up front, and while
    streaming when there is none (413);
 3. answers 408 when the client stops sending its body for ``body_timeout_s``;
 4. on routes with a typed JSON body, reads the (bounded) body and parses it strictly
    (:func:`~ledger_service.core.canonical.parse_json_strict`: duplicate keys, floats and
    integers beyond +-(2**53 - 1) refused, as on the record routes) before the route
    parses it again.

The limits of a route: ``openapi_extra["x-max-body-bytes"]`` when the route declares one
(records, batches, files, bids), else :data:`MAX_JSON_BODY` for a typed JSON body, else
:data:`MAX_EMPTY_BODY`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger_service.api.problems import DATABASE_ERRORS, database_error, log_refusal, problem
from ledger_service.core.canonical import parse_json_strict
from ledger_service.core.errors import EvidenceError, LimitExceeded, MalformedInput
from ledger_service.store.tokens import TokenInfo

#: Largest typed JSON body (the largest model, a custodian's signed bundle, is ~48 KiB).
MAX_JSON_BODY = 64 * 1024
#: Largest body of a route that takes none.
MAX_EMPTY_BODY = 1024
#: Seconds a client may leave its request body stalled before 408.
BODY_TIMEOUT_S = 30.0
#: Scope key where the guard leaves the authenticated token for the route's dependency.
TOKEN_KEY = "chainwitness.token"
#: Attribute ``deps.require`` sets on its dependency: the roles it admits.
ROLES_ATTR = "chainwitness_roles"

Authenticator = Callable[[str, tuple[str, ...]], TokenInfo]


@dataclass(frozen=True)
class RoutePolicy:
    """What the guard enforces for one route."""

    #: roles admitted (empty: any role); None: no token needed
    roles: tuple[str, ...] | None
    max_body: int
    typed_json: bool


def route_roles(dependant: Dependant) -> tuple[str, ...] | None:
    """The roles of the first ``require`` dependency in ``dependant``'s tree (None: public)."""
    for dep in _walk(dependant):
        roles = getattr(dep.call, ROLES_ATTR, None)
        if roles is not None:
            return tuple(roles)
    return None


def _walk(dependant: Dependant) -> Iterator[Dependant]:
    for dep in dependant.dependencies:
        yield dep
        yield from _walk(dep)


def api_routes(routes: list[Any]) -> list[Any]:
    """Every API route of ``routes``, included routers flattened (each as its effective
    route: prefix, router dependencies and all)."""
    return [c for c in iter_route_contexts(routes) if isinstance(c.original_route, APIRoute)]


def policy_of(route: Any) -> RoutePolicy:
    declared = (route.openapi_extra or {}).get("x-max-body-bytes")
    typed = route.body_field is not None
    limit = declared if declared is not None else MAX_JSON_BODY if typed else MAX_EMPTY_BODY
    return RoutePolicy(route_roles(route.dependant), int(limit), typed)


class _Refused(Exception):
    def __init__(self, error: EvidenceError) -> None:
        super().__init__(str(error))
        self.error = error


class RequestTimeout(EvidenceError):
    code = "request-timeout"
    status = 408
    title = "Request timeout"


class RequestGuard:
    """ASGI middleware; ``authenticate(token, roles)`` raises Unauthorized/Forbidden."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        routes: Callable[[], list[Any]],
        authenticate: Authenticator,
        body_timeout_s: float = BODY_TIMEOUT_S,
    ) -> None:
        self.app = app
        self._routes = routes
        self._authenticate = authenticate
        self._timeout = body_timeout_s
        self._table: list[tuple[Any, RoutePolicy]] | None = None

    def _policy(self, scope: Scope) -> RoutePolicy | None:
        if self._table is None:  # routes are complete once the app serves
            self._table = [(r, policy_of(r)) for r in api_routes(self._routes())]
        for route, policy in self._table:
            if route.matches(scope)[0] is Match.FULL:
                return policy
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = self._policy(scope)
        if policy is None:  # unknown path or method: the router answers 404/405
            await self.app(scope, receive, send)
            return
        try:
            if policy.roles is not None:
                scope[TOKEN_KEY] = await self._token(scope, policy.roles)
            length = _content_length(scope)
            if length is not None and length > policy.max_body:
                raise LimitExceeded(
                    f"expected a request body of at most {policy.max_body} bytes, found a "
                    f"Content-Length of {length}"
                )
            guarded = _GuardedReceive(receive, policy.max_body, self._timeout)
            inner: Receive = guarded
            if policy.typed_json and _is_json(scope):
                inner = await _strict_json(guarded)
        except _Refused as exc:
            await _answer(exc.error, scope, receive, send)
            return
        except EvidenceError as exc:
            await _answer(exc, scope, receive, send)
            return
        except DATABASE_ERRORS as exc:  # the token could not be checked
            await _answer(database_error(exc), scope, receive, send)
            return
        await self._run(scope, inner, send, guarded)

    async def _run(
        self, scope: Scope, receive: Receive, send: Send, guarded: _GuardedReceive
    ) -> None:
        started = False

        async def tracked_send(message: Message) -> None:
            nonlocal started
            if guarded.refused is not None:
                return  # the guard answered; the route's own reply goes nowhere
            started = True
            await send(message)

        try:
            await self.app(scope, receive, tracked_send)
        except Exception:
            # the route failed on the body the guard cut off: the guard's answer stands
            if guarded.refused is None or started:
                raise
        if guarded.refused is not None and not started:
            await _answer(guarded.refused, scope, receive, send)

    async def _token(self, scope: Scope, roles: tuple[str, ...]) -> TokenInfo:
        header = _header(scope, b"authorization")
        scheme, _, credentials = (header or "").partition(" ")
        if scheme.lower() != "bearer" or not credentials.strip():
            credentials = ""
        return await anyio.to_thread.run_sync(self._authenticate, credentials.strip(), roles)


class _GuardedReceive:
    """``receive`` that counts body bytes against a limit and times out stalls."""

    def __init__(self, receive: Receive, limit: int, timeout: float) -> None:
        self._receive = receive
        self._limit = limit
        self._timeout = timeout
        self._size = 0
        self.refused: EvidenceError | None = None

    async def __call__(self) -> Message:
        if self.refused is not None:
            return {"type": "http.disconnect"}
        try:
            message = await asyncio.wait_for(self._receive(), self._timeout)
        except TimeoutError:
            self.refused = RequestTimeout(
                f"expected the request body within {self._timeout:g} s of silence, found "
                f"{self._size} bytes and then nothing"
            )
            return {"type": "http.disconnect"}
        if message["type"] == "http.request":
            self._size += len(message.get("body", b""))
            if self._size > self._limit:
                self.refused = LimitExceeded(
                    f"expected a request body of at most {self._limit} bytes, found more"
                )
                return {"type": "http.disconnect"}
        return message


async def _strict_json(receive: _GuardedReceive) -> Receive:
    """Read the whole (bounded) body, parse it strictly, hand the route a replay of it."""
    parts: list[bytes] = []
    while True:
        message = await receive()
        if receive.refused is not None:
            raise _Refused(receive.refused)
        if message["type"] == "http.disconnect":
            return _replay(b"", disconnected=True)
        parts.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(parts)
    if body.strip():
        try:
            parse_json_strict(body)
        except MalformedInput as exc:
            raise _Refused(MalformedInput(f"request body: {exc}")) from exc
    return _replay(body)


def _replay(body: bytes, *, disconnected: bool = False) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent or disconnected:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1")
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None:
        return None
    if not value.strip().isdigit():
        raise MalformedInput(f"expected a Content-Length of decimal digits, found {value!r}")
    return int(value)


def _is_json(scope: Scope) -> bool:
    ctype = (_header(scope, b"content-type") or "").split(";")[0].strip().lower()
    return not ctype or ctype == "application/json" or ctype.endswith("+json")


async def _answer(error: EvidenceError, scope: Scope, receive: Receive, send: Send) -> None:
    log_refusal(scope.get("method", "?"), scope.get("path", "?"), error)
    response = problem(error.status, error.code, error.title, str(error))
    if error.status == 401:
        response.headers["WWW-Authenticate"] = "Bearer"
    if error.status in (408, 413):
        response.headers["Connection"] = "close"  # the rest of the body is not read
    await response(scope, receive, send)
