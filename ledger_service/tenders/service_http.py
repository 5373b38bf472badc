"""Calls from a party's own client (custodian agent, bidder) to the service's API.

The service restarts (an upgrade, a crash, a moved chain): a client must ride that
out, not die with a traceback. A call that cannot reach the service, or that the
service answers with 502/503/504 while it comes back, is retried with exponential
backoff for up to ``retry_s`` seconds, one log line per retry; then it raises
:class:`ChainUnavailable` naming the service and the last failure. Every other
answer is returned as it came.

Retrying a POST is safe here: the service's writes that clients make are
idempotent (the same dealing, approval or sealed bid again gives the same result).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

import httpx

from ledger_service.core.errors import ChainUnavailable

log = logging.getLogger("chainwitness.client")

#: Answers of a proxy or a service that is starting or stopping: worth another try.
RETRY_STATUSES = frozenset({502, 503, 504})
#: First wait and the cap of the exponential backoff (seconds).
FIRST_BACKOFF_S = 0.5
MAX_BACKOFF_S = 8.0


def call(
    http: httpx.Client, method: str, path: str, *, retry_s: float = 60.0,
    content: Callable[[], Iterable[bytes]] | None = None,
    sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic,
    **kw: Any,
) -> httpx.Response:  # fmt: skip
    """``http.request(method, path, ...)``, retried while the service is unreachable.

    ``content``, when given, makes the body afresh for each attempt (a stream can be
    read once). Raises ChainUnavailable once ``retry_s`` seconds have passed.
    """
    until = clock() + retry_s
    delay = FIRST_BACKOFF_S
    attempt = 0
    while True:
        attempt += 1
        try:
            if content is None:
                resp = http.request(method, path, **kw)
            else:
                resp = http.request(method, path, content=content(), **kw)
        except httpx.TransportError as exc:
            failure = f"{type(exc).__name__}: {str(exc) or 'no answer'}"
        else:
            if resp.status_code not in RETRY_STATUSES:
                return resp
            failure = f"HTTP {resp.status_code}"
        where = f"{http.base_url}{path}".split("?")[0]
        if clock() + delay > until:
            raise ChainUnavailable(
                f"expected the service to answer {method} {where}, found after {attempt} "
                f"attempt(s) in {retry_s:.0f} s: {failure}"
            )
        log.warning("service unreachable (%s %s: %s); retrying in %.1f s", method, where,
                    failure, delay)  # fmt: skip
        sleep(delay)
        delay = min(MAX_BACKOFF_S, delay * 2)
