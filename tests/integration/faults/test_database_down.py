"""The database goes away under the service: a clear 503, nothing half-written, recovery.

Real PostgreSQL: the test's own database is closed to new connections
(``ALTER DATABASE ... ALLOW_CONNECTIONS false``) and every session of it terminated, the
way a failover or a restarting server looks to the service; then it is opened again.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger_service.api.app import create_app
from ledger_service.core.merkle.tree import root_from_leaves
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token
from tests.conftest import _fresh_postgres

pytestmark = [pytest.mark.integration, pytest.mark.postgres]


@pytest.fixture
def pg_url(postgres_server_url: str | None) -> Iterator[str]:
    if not postgres_server_url:
        pytest.skip("CHAINWITNESS_TEST_POSTGRES_URL not set")
    yield from _fresh_postgres(postgres_server_url)


@pytest.fixture
def services(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    s = open_services(Settings(data_dir=tmp_path_factory.mktemp("dbdown"), database_url=pg_url))
    try:
        yield s
    finally:
        s.close()


def _set_connections(server_url: str, name: str, allow: bool) -> None:
    admin = create_engine(server_url.replace("postgresql://", "postgresql+psycopg://", 1),
                          isolation_level="AUTOCOMMIT")  # fmt: skip
    with admin.connect() as conn:
        conn.execute(text(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS {str(allow).lower()}'))
        if not allow:
            conn.execute(text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                              "WHERE datname = :n AND pid <> pg_backend_pid()"), {"n": name})  # fmt: skip
    admin.dispose()


def test_database_down_is_a_503_and_nothing_is_half_written(
    services: Services, pg_url: str, postgres_server_url: str
) -> None:
    name = make_url(pg_url).database
    assert name
    token = create_token(services.log_store.engine, "op", "operator")[1]
    headers = {"Authorization": f"Bearer {token}"}
    body = {"kind": "document", "subject": "tender:T-1", "digests": {"sha256": "ab" * 32}}
    acknowledged = 0
    with TestClient(create_app(services), raise_server_exceptions=False) as http:
        for _ in range(3):
            assert http.post("/v1/records", json=body, headers=headers).status_code == 201
            acknowledged += 1
        _set_connections(postgres_server_url, name, allow=False)
        try:
            for route in ("/v1/records", "/v1/records/batch"):
                payload = body if route == "/v1/records" else {"records": [body] * 5}
                r = http.post(route, json=payload, headers=headers)
                # the token check, before the body, is the first to find it down
                assert r.status_code == 503, r.text
                assert r.headers["content-type"].startswith("application/problem+json")
                assert r.json()["type"].endswith("/database-unavailable"), r.text
                assert "nothing was stored" in r.json()["detail"]
            r = http.get("/v1/verify/" + "ab" * 32)
            assert r.status_code == 503, r.text
            assert r.json()["type"].endswith("/database-unavailable")
        finally:
            _set_connections(postgres_server_url, name, allow=True)
        # back: the pool reconnects, deposits work, the log holds exactly what was acknowledged
        r = http.post("/v1/records", json=body, headers=headers)
        assert r.status_code == 201, r.text
        acknowledged += 1
    store = services.log_store
    head = store.head()
    assert head.size == acknowledged
    leaves = [store.record(i).record.leaf_hash() for i in range(head.size)]
    assert leaves == [store.leaf_hash(i) for i in range(head.size)]
    assert root_from_leaves(leaves) == head.root
