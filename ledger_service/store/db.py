"""Engine construction and migrations for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from contextvars import ContextVar
from importlib import resources
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event, inspect
from sqlalchemy.exc import OperationalError

from ledger_service.core.errors import ConfigurationError

log = logging.getLogger("chainwitness.store")

#: SQLite page cache per connection, KiB.
SQLITE_CACHE_KIB = 256 * 1024
#: WAL pages (4 KiB) before SQLite checkpoints into the database file.
SQLITE_WAL_CHECKPOINT_PAGES = 32_768
#: Pooled SQLite connections per engine (8 made 16 concurrent requests reconnect).
SQLITE_POOL = 16
#: Execution option set by :func:`read_only`.
_READ_ONLY = "chainwitness_read_only"


#: The read-only connection of the current :func:`one_snapshot` block, if any.
_SNAPSHOT: ContextVar[Connection | None] = ContextVar("chainwitness_snapshot", default=None)


@contextlib.contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A read-only connection to ``engine``: the enclosing :func:`one_snapshot`'s, if any.

    Every store reads through this, so a request wrapped in ``one_snapshot`` makes all its
    reads on one pooled connection and one snapshot instead of a checkout, ``BEGIN`` and
    rollback per query (most of the cost of a public verification, measured).
    """
    shared = _SNAPSHOT.get()
    if shared is not None and shared.engine is engine:
        yield shared
        return
    with read_only(engine.connect()) as conn:
        yield conn


@contextlib.contextmanager
def one_snapshot(engine: Engine) -> Iterator[Connection]:
    """Make every :func:`reading` of ``engine`` inside the block share one connection.

    On SQLite (WAL) the block reads one snapshot; on PostgreSQL (READ COMMITTED) each
    statement its own, as without it. Writes never use this connection.
    """
    with read_only(engine.connect()) as conn:
        token = _SNAPSHOT.set(conn)
        try:
            yield conn
        finally:
            _SNAPSHOT.reset(token)


def read_only(conn: Connection) -> Connection:
    """Mark ``conn`` as only reading: on SQLite its transactions begin DEFERRED.

    In WAL mode a deferred transaction reads one snapshot (taken at its first
    read) and neither takes nor waits for the write lock, so proofs and heads
    served during a bulk append do not stall it, nor it them. A write through
    such a connection is an error in the caller (SQLite may answer SQLITE_BUSY).
    No effect on PostgreSQL, whose reads never block writers.
    """
    return conn.execution_options(**{_READ_ONLY: True})


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``.

    SQLite gets WAL mode and ``BEGIN IMMEDIATE`` transactions, so that an append
    takes the database write lock before it reads the log state: two processes
    appending to one file are serialized instead of deadlocking on upgrade
    (connections marked :func:`read_only` begin DEFERRED instead). Commits are
    durable: ``synchronous=FULL`` syncs the WAL at every commit, so a power cut
    loses no transaction that returned (NORMAL would sync only at checkpoints
    and could roll back the last acknowledged appends).
    PostgreSQL serializes appends with ``SELECT ... FOR UPDATE`` on the state row.
    """
    if url.startswith("sqlite"):
        # beyond the pool each request opens a new connection and runs the PRAGMAs; each
        # connection's page cache may grow to SQLITE_CACHE_KIB, which bounds the pool
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, pool_size=SQLITE_POOL
        )

        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_conn: Any, _record: Any) -> None:
            # Let SQLAlchemy emit BEGIN itself (below) instead of pysqlite's lazy BEGIN.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA busy_timeout=30000")
            # The default 2 MiB page cache makes inserts into the digest index
            # (random keys) slow down as the log grows past a few 100k records.
            cur.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
            # Checkpoint the WAL less often, so bulk appends that touch the same
            # index pages write each page once per checkpoint, not once per batch.
            cur.execute(f"PRAGMA wal_autocheckpoint={SQLITE_WAL_CHECKPOINT_PAGES}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _on_begin(conn: Connection) -> None:
            read = conn.get_execution_options().get(_READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read else "BEGIN IMMEDIATE")

        return engine
    if url.startswith("postgresql"):
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://") :]
        return create_engine(url, pool_size=5, max_overflow=5, pool_pre_ping=True)
    raise ConfigurationError(
        f"database URL must start with sqlite:// or postgresql://, found {url.split(':', 1)[0]!r}"
    )


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("ledger_service.store") / "migrations")
    )
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def head_revision() -> str:
    """The newest migration's revision id."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest migration; idempotent)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
    except OperationalError as exc:
        raise ConfigurationError(
            f"cannot migrate database {engine.url.render_as_string(hide_password=True)}: {exc.orig}"
        ) from exc


def schema_version(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None for an empty database."""
    if not inspect(engine).has_table("alembic_version"):
        return None
    with engine.connect() as conn:
        row = conn.exec_driver_sql("SELECT version_num FROM alembic_version").first()
    return None if row is None else str(row[0])


class Checkpointer:
    """Checkpoints a SQLite WAL from a background thread.

    Without it the appending thread pays for copying the WAL into the database
    file (and its fsync) whenever the WAL passes the autocheckpoint size. SQLite
    releases the GIL while it checkpoints, so on a second core this runs beside
    the appends. PASSIVE checkpoints never block writers; the autocheckpoint
    stays on as the safety net when no Checkpointer runs (e.g. one-shot CLI use).
    A no-op for other databases.
    """

    def __init__(self, engine: Engine, interval_s: float = 0.5) -> None:
        self._engine = engine
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> Checkpointer:
        if self._engine.dialect.name == "sqlite" and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="wal-checkpoint", daemon=True)
            self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                with self._engine.connect() as conn:
                    conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # a busy or closed database: try again next tick
                log.debug("WAL checkpoint skipped", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
