"""Prometheus metrics of one app: a registry of its own (no global state).

Request counts and latency are measured by :class:`RequestMetrics`, an ASGI
middleware labelled by route template (``/v1/records/{index}``, never the raw
path, so labels stay few and say nothing about which record was read). Every
other figure is read when scraped (:class:`ServiceCollector`), from the stores
and from the counters the anchorer, chain client, node and tender watcher keep.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ledger_service.evidence.health import anchor_lag
from ledger_service.runtime import Services

#: the exposition format generate_latest writes
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
#: routes whose 2xx answers count as deposits
DEPOSIT_ROUTES = frozenset({"/v1/records", "/v1/records/batch", "/v1/files"})
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class Metrics:
    """The registry of one app and the request metrics in it."""

    def __init__(self, services: Services, state: Any) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "chainwitness_http_requests", "HTTP requests answered, by route and status",
            ["method", "route", "status"], registry=self.registry,
        )  # fmt: skip
        self.latency = Histogram(
            "chainwitness_http_request_duration_seconds", "HTTP request latency by route",
            ["method", "route"], buckets=LATENCY_BUCKETS, registry=self.registry,
        )  # fmt: skip
        self.deposits = Counter(
            "chainwitness_deposits", "deposit requests accepted (records, batches, files)",
            registry=self.registry,
        )  # fmt: skip
        self.registry.register(ServiceCollector(services, state))

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)
        if method == "POST" and route in DEPOSIT_ROUTES and 200 <= status < 300:
            self.deposits.inc()

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class ServiceCollector(Collector):
    """Figures read at scrape time; ``state`` is the app's state (anchorer, watcher)."""

    def __init__(self, services: Services, state: Any) -> None:
        self._services = services
        self._state = state

    def describe(self) -> list[Metric]:
        return []  # read at scrape time only: nothing to describe up front

    def collect(self) -> Iterator[Metric]:
        s = self._services
        lag = anchor_lag(s.log_store, s.anchors)
        yield _gauge("chainwitness_log_size", "records in the log", lag.log_size)
        yield _gauge("chainwitness_anchored_size", "log size of the newest confirmed anchor",
                     lag.anchored_size)  # fmt: skip
        yield _gauge("chainwitness_anchor_lag_leaves", "records not anchored yet", lag.leaves)
        yield _gauge("chainwitness_anchor_lag_seconds",
                     "age of the oldest record not anchored yet", lag.seconds)  # fmt: skip
        latest = s.checkpoints.latest()
        yield _gauge("chainwitness_witness_cosignatures",
                     "verified witness cosignatures on the newest checkpoint",
                     0 if latest is None else latest.cosigned)  # fmt: skip
        anchorer = getattr(self._state, "anchorer", None)
        if anchorer is not None:
            yield _gauge("chainwitness_anchorer_running", "1 while the anchorer runs",
                         int(anchorer.running))  # fmt: skip
            yield _counter("chainwitness_anchor_transactions", "anchor transactions mined",
                           anchorer.anchor_txs)  # fmt: skip
            yield _counter("chainwitness_anchor_gas", "gas used by anchor transactions",
                           anchorer.anchor_gas)  # fmt: skip
            yield _counter("chainwitness_anchor_retries",
                           "anchoring steps retried after a chain outage",
                           anchorer.retries)  # fmt: skip
        if s.client is not None:
            yield _counter("chainwitness_rpc_errors", "JSON-RPC calls that failed for good",
                           s.client.rpc_errors)  # fmt: skip
            yield _counter("chainwitness_rpc_retries",
                           "JSON-RPC calls retried after a transport failure",
                           s.client.rpc_retries)  # fmt: skip
        if s.node is not None:
            yield _counter("chainwitness_chain_restarts",
                           "restarts of the embedded chain node after it died",
                           s.node.restarts)  # fmt: skip
        watcher = getattr(self._state, "tender_watcher", None)
        if watcher is not None:
            yield _counter("chainwitness_tender_openings",
                           "tenders opened (or failed for too few bids) by the watcher",
                           watcher.openings)  # fmt: skip


def _gauge(name: str, doc: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, doc, value=value)


def _counter(name: str, doc: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, doc, value=value)


class RequestMetrics:
    """ASGI middleware: count and time every HTTP request by its route template."""

    def __init__(self, app: ASGIApp, metrics: Callable[[], Metrics | None]) -> None:
        self.app = app
        self._metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def sending(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, sending)
        finally:
            metrics = self._metrics()
            if metrics is not None:
                route = scope.get("route")
                template = getattr(route, "path", None) or "unmatched"
                metrics.observe(scope["method"], template, status[0], time.perf_counter() - start)
