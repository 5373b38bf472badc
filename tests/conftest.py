"""Shared fixtures: databases (SQLite always; PostgreSQL when its URL is given)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_ENV = "CHAINWITNESS_TEST_POSTGRES_URL"


@pytest.fixture(scope="session")
def postgres_server_url() -> str | None:
    url = os.environ.get(PG_ENV)
    if not url and os.environ.get("CHAINWITNESS_REQUIRE_POSTGRES"):
        pytest.fail(f"{PG_ENV} must be set when CHAINWITNESS_REQUIRE_POSTGRES is")
    return url


def _fresh_postgres(server_url: str) -> Iterator[str]:
    name = f"cw_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(
        server_url.replace("postgresql://", "postgresql+psycopg://", 1),
        isolation_level="AUTOCOMMIT",
    )
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_server_url: str | None
) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, and (when configured) a PostgreSQL database."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'test.db'}"
        return
    if not postgres_server_url:
        pytest.skip(f"{PG_ENV} not set")
    yield from _fresh_postgres(postgres_server_url)


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--evm-node",
        default="both",
        choices=["anvil", "hardhat", "both"],
        help="EVM node(s) of the modules that ask for `evm_node` (tests/integration/evm_nodes.py)",
    )
