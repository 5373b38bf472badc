"""Readiness that tells the truth: the database, the chain, the anchorer, the lag.

:func:`readiness` runs every check and returns them all; the service is ready
only if each passed. Checks are bounded in time (the chain probe has its own
short timeout, never the chain client's retry loop), so a hung chain makes
``/readyz`` answer 503 quickly instead of hanging with it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import httpx
from sqlalchemy import text
from sqlalchemy.engine import Engine

from ledger_service.evidence.anchoring import Anchorer
from ledger_service.store.anchors import AnchorStore
from ledger_service.store.db import reading
from ledger_service.store.log import LogStore

#: seconds the chain gets to answer ``eth_blockNumber`` in a readiness probe
CHAIN_PROBE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Check:
    name: str  # database | chain | anchorer | anchor_lag
    ok: bool
    detail: str

    def to_json(self) -> dict[str, object]:
        return {"ok": self.ok, "detail": self.detail}


@dataclass(frozen=True)
class Lag:
    """How far anchoring trails the log: leaves waiting, and the age of the oldest one."""

    log_size: int
    anchored_size: int
    seconds: float

    @property
    def leaves(self) -> int:
        return self.log_size - self.anchored_size


def anchor_lag(log_store: LogStore, anchors: AnchorStore, now: float | None = None) -> Lag:
    """The lag now: 0 seconds when nothing waits; else since the oldest waiting record
    was submitted (its ``submitted_at``)."""
    size = log_store.head().size
    latest = anchors.latest_confirmed()
    anchored = 0 if latest is None else latest.tree_size
    if size <= anchored:
        return Lag(size, anchored, 0.0)
    submitted = log_store.record(anchored).record.submitted_at
    at = datetime.fromisoformat(submitted.replace("Z", "+00:00")).timestamp()
    return Lag(size, anchored, max(0.0, (time.time() if now is None else now) - at))


def check_database(engine: Engine) -> Check:
    try:
        with reading(engine) as conn:
            conn.execute(text("SELECT 1"))
    except Exception as exc:  # any driver error means: not reachable
        return Check("database", False, f"database unreachable: {type(exc).__name__}: {exc}")
    return Check("database", True, "reachable")


def check_chain(rpc_url: str, timeout: float = CHAIN_PROBE_TIMEOUT_S) -> Check:
    body = {"jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber", "params": []}
    try:
        answer = httpx.post(rpc_url, json=body, timeout=timeout).json()
        block = int(answer["result"], 16)
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        return Check("chain", False, f"chain unreachable at {rpc_url}: {type(exc).__name__}: {exc}")
    return Check("chain", True, f"block {block} at {rpc_url}")


def check_anchorer(anchorer: Anchorer) -> Check:
    if not anchorer.running:
        return Check(
            "anchorer", False, f"anchorer stopped: {anchorer.stopped_reason or 'not started'}"
        )
    if anchorer.last_error is not None:
        return Check("anchorer", True, f"running, retrying: {anchorer.last_error}")
    return Check("anchorer", True, "running")


def check_lag(lag: Lag, max_lag_s: float) -> Check:
    detail = f"{lag.leaves} leaves waiting, oldest {lag.seconds:.1f} s (bound {max_lag_s:g} s)"
    if lag.seconds > max_lag_s:
        return Check("anchor_lag", False, f"anchoring lags beyond its bound: {detail}")
    return Check("anchor_lag", True, detail)


def readiness(
    log_store: LogStore,
    anchors: AnchorStore,
    *,
    rpc_url: str | None,
    anchorer: Anchorer | None,
    max_lag_s: float,
) -> list[Check]:
    """Every check, in a fixed order; the lag is checked only when anchoring runs here."""
    checks = [check_database(log_store.engine)]
    if rpc_url is not None:
        checks.append(check_chain(rpc_url))
    if anchorer is not None:
        checks.append(check_anchorer(anchorer))
        if checks[0].ok:
            checks.append(check_lag(anchor_lag(log_store, anchors), max_lag_s))
    return checks
