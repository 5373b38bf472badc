"""/healthz, /readyz and /metrics tell the truth (issue 11, items 2 and 3).

An app over real services (SQLite, the embedded anvil); faults are real where the
machine allows: the chain node frozen with SIGSTOP, the database's directory moved
away, an anchorer that is not running, records waiting beyond the lag bound.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger_service.api.app import create_app
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token
from tests.integration.ops.harness import record

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    data = tmp_path_factory.mktemp("health") / "svc"
    s = open_services(Settings(data_dir=data, max_anchor_lag_s=30))
    yield s
    s.close()


def _anchorer(s: Services) -> Anchorer:
    assert s.client is not None and s.evidence_log is not None
    return Anchorer(s.log_store, s.anchors, s.client, s.evidence_log, interval_s=0.1,
                    start_block=s.deployed_at_block,
                    make_durable=s.node.save_state if s.node else None)  # fmt: skip


def _operator(s: Services) -> dict[str, str]:
    return {"Authorization": f"Bearer {create_token(s.log_store.engine, 'ops', 'operator')[1]}"}


def _wait_ready(http: TestClient) -> dict[str, object]:
    until = time.monotonic() + 30
    while (r := http.get("/readyz")).status_code != 200:
        assert time.monotonic() < until, r.text
        time.sleep(0.1)
    return dict(r.json())


def test_ready_then_metrics_count_deposits_anchors_and_latency(services: Services) -> None:
    anchorer = _anchorer(services)
    with TestClient(create_app(services, anchorer=anchorer)) as http:
        body = _wait_ready(http)
        assert set(body["checks"]) == {"database", "chain", "anchorer", "anchor_lag"}  # type: ignore[arg-type]
        headers = _operator(services)
        size = services.log_store.head().size
        assert http.post("/v1/records", json=record(1), headers=headers).status_code == 201
        until = time.monotonic() + 30
        while anchorer.anchor_txs == 0 or services.anchors.latest_confirmed() is None:
            assert time.monotonic() < until
            time.sleep(0.05)
        assert http.get("/metrics").status_code == 401
        r = http.get("/metrics", headers=headers)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert f"chainwitness_log_size {float(size + 1)}" in text
    assert "chainwitness_deposits_total 1.0" in text
    assert "chainwitness_anchor_transactions_total 1.0" in text
    assert (
        'chainwitness_http_request_duration_seconds_count{method="POST",route="/v1/records"} 1.0'
        in text
    )
    assert 'chainwitness_http_requests_total{method="GET",route="/readyz",status="200"}' in text
    gas = [ln for ln in text.splitlines() if ln.startswith("chainwitness_anchor_gas_total ")]
    assert gas and float(gas[0].split()[1]) > 20_000
    for name in ("anchored_size", "anchor_lag_leaves", "anchor_lag_seconds", "rpc_errors_total",
                 "rpc_retries_total", "witness_cosignatures", "chain_restarts_total"):  # fmt: skip
        assert f"chainwitness_{name} " in text, name


def test_a_frozen_chain_is_not_ready_within_seconds(services: Services) -> None:
    assert services.node is not None and services.node.pid is not None
    with TestClient(create_app(services)) as http:
        os.kill(services.node.pid, signal.SIGSTOP)
        try:
            start = time.monotonic()
            r = http.get("/readyz")
            took = time.monotonic() - start
        finally:
            os.kill(services.node.pid, signal.SIGCONT)
        assert http.get("/healthz").status_code == 200
    assert r.status_code == 503 and r.headers["content-type"] == "application/problem+json"
    assert "chain unreachable at http://127.0.0.1:" in r.json()["detail"]
    assert r.json()["checks"]["database"]["ok"] is True
    assert took < 5


def test_a_stopped_anchorer_and_a_lagging_log_are_named(services: Services) -> None:
    anchorer = _anchorer(services)
    http = TestClient(create_app(services, anchorer=anchorer))  # no lifespan: never started
    r = http.get("/readyz")
    assert r.status_code == 503
    assert "anchorer stopped: not started" in r.json()["detail"]
    # a record waiting longer than the bound
    services.log_store.append([_old_record()])
    detail = http.get("/readyz").json()["detail"]
    assert "anchoring lags beyond its bound: " in detail and "leaves waiting" in detail


def _old_record():  # type: ignore[no-untyped-def]
    from ledger_service.core.records import EvidenceRecord

    return EvidenceRecord(kind="document", subject="ops:old", actor="operator:ops",
                          digests={"sha256": "cd" * 32}, metadata={},
                          submitted_at="2020-01-01T00:00:00.000Z")  # fmt: skip


def test_an_unreachable_database_is_named(tmp_path: Path) -> None:
    data = tmp_path / "svc"
    s = open_services(Settings(data_dir=data), chain=False)
    try:
        http = TestClient(create_app(s))
        assert http.get("/readyz").status_code == 200
        data.rename(tmp_path / "moved")
        s.log_store.engine.dispose()
        try:
            r = http.get("/readyz")
        finally:
            (tmp_path / "moved").rename(data)
        assert r.status_code == 503
        assert r.json()["detail"].startswith("database unreachable: OperationalError")
        assert http.get("/healthz").json()["status"] == "ok"
    finally:
        s.close()
