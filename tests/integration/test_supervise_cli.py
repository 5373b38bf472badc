"""``chainwitness supervise``: the trading system's records, the tamper watch over a JSON
export and over its database (read-only), against a served API on a real anvil."""

from __future__ import annotations

import json
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from typer.testing import CliRunner

from ledger_service.api.app import create_app
from ledger_service.cli.app import build_app
from ledger_service.evidence.proofs import inclusion_proof
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token

pytestmark = pytest.mark.integration
cli = build_app()
ROWS = [{"id": "BID-1", "bidder": "甲建设", "amount": 1_000_000, "status": "valid"},
        {"id": "BID-2", "bidder": "乙工程", "amount": 1_020_000, "status": "valid"},
        {"id": "BID-3", "bidder": "丙路桥", "amount": 990_000, "status": "valid"}]  # fmt: skip


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Services, str]]:
    services = open_services(Settings(data_dir=tmp_path / "svc"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = int(s.getsockname()[1])
    srv = uvicorn.Server(uvicorn.Config(create_app(services), host="127.0.0.1", port=port,
                                        log_level="warning"))  # fmt: skip
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.02)
    try:
        yield services, f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)
        services.close()


def test_tamper_watch_names_changed_fields_with_the_recorded_proof(
    server: tuple[Services, str], tmp_path: Path
) -> None:
    services, url = server
    engine = services.log_store.engine
    op, reg = (
        create_token(engine, "trading", "operator")[1],
        create_token(engine, "reg", "regulator")[1],
    )
    runner = CliRunner()
    export = tmp_path / "export.json"
    export.write_text(json.dumps(ROWS, ensure_ascii=False))
    r = runner.invoke(cli, ["supervise", "record", str(export), "--server", url, "--token", op])
    assert r.exit_code == 0, r.output
    assert "3 record(s)" in r.output
    # the trading system's live data: one price changed, one bid deleted, 100.0 for 100
    live = [dict(ROWS[0], amount=980_000), dict(ROWS[2], amount=990_000.0)]
    export.write_text(json.dumps(live, ensure_ascii=False))
    r = runner.invoke(
        cli, ["supervise", "tamper-watch", str(export), "--server", url, "--token", reg]
    )
    assert r.exit_code == 3, r.output  # findings: non-zero, for scripts
    assert "modified   BID-1" in r.output and "/amount: 1000000 -> 980000" in r.output
    assert "missing    BID-2" in r.output and "BID-3" not in r.output
    assert "3 checked" not in r.output and "2 checked, 2 finding(s)" in r.output
    alerts = [x for x in services.log_store.records_for_subject("supervision:trading:records")]
    assert [a.record.kind for a in alerts] == ["supervision.tamper_alert"] * 2
    first = alerts[0].record.metadata
    assert first["changes"][0]["path"] == "/amount" and first["changes"][0]["before"] == 1_000_000
    recorded = services.log_store.record(first["recorded_index"]).record
    assert recorded.kind == "trading.record" and recorded.metadata["record"]["amount"] == 1_000_000
    inclusion_proof(services.log_store, services.anchors, first["recorded_index"]).verify()
    # the operator may not run the watch over itself; the regulator may not deposit
    r = runner.invoke(
        cli, ["supervise", "tamper-watch", str(export), "--server", url, "--token", op]
    )
    assert r.exit_code == 1 and "403" in r.output and len(r.output.strip().splitlines()) == 1
    # the same over the trading system's database, read-only
    db = tmp_path / "trading.db"
    with sqlite3.connect(db) as conn:
        conn.execute("CREATE TABLE records (id INTEGER PRIMARY KEY, bidder TEXT, amount INTEGER, "
                     "status TEXT)")  # fmt: skip
        conn.executemany("INSERT INTO records VALUES (?, ?, ?, ?)",
                         [(1, "甲建设", 1_000_000, "valid"), (2, "乙工程", 1_020_000, "withdrawn")])  # fmt: skip
    rows = [{"id": "1", "bidder": "甲建设", "amount": 1_000_000, "status": "valid"},
            {"id": "2", "bidder": "乙工程", "amount": 1_020_000, "status": "valid"}]  # fmt: skip
    export.write_text(json.dumps(rows, ensure_ascii=False))
    r = runner.invoke(cli, ["supervise", "record", str(export), "--server", url, "--token", op,
                            "--source", "db"])  # fmt: skip
    assert r.exit_code == 0, r.output
    r = runner.invoke(cli, ["supervise", "tamper-watch", "--database-url", f"sqlite:///{db}",
                            "--query", "SELECT * FROM records", "--source", "db",
                            "--server", url, "--token", reg])  # fmt: skip
    assert r.exit_code == 3, r.output
    assert "modified   2" in r.output and '/status: "valid" -> "withdrawn"' in r.output
    assert sqlite3.connect(db).execute("SELECT count(*) FROM records").fetchone() == (2,)


def test_bad_input_is_one_line_and_nothing_is_recorded(
    server: tuple[Services, str], tmp_path: Path
) -> None:
    services, url = server
    reg = create_token(services.log_store.engine, "reg", "regulator")[1]
    size = services.log_store.head().size
    runner = CliRunner()
    bad = tmp_path / "bad.json"
    for text, says in (("[{\"id\": \"A\", \"amount\": 1.5}]", "whole numbers"),
                       ("{\"rows\": 1}", "expected an array"), ("[{\"amount\": 1}]", "string 'id'"),
                       ("not json", "expected a JSON export")):  # fmt: skip
        bad.write_text(text)
        r = runner.invoke(
            cli, ["supervise", "tamper-watch", str(bad), "--server", url, "--token", reg]
        )
        assert r.exit_code == 1, r.output
        assert says in r.output and len(r.output.strip().splitlines()) == 1, r.output
    r = runner.invoke(cli, ["supervise", "dispose", "0", "--decision", "maybe", "--reason", "x",
                            "--server", url, "--token", reg])  # fmt: skip
    assert r.exit_code == 1 and "confirmed or dismissed" in r.output
    r = runner.invoke(cli, ["supervise", "show", "0", "--server", url, "--token", reg])
    assert r.exit_code == 1 and "expected an alert record at index 0" in r.output
    r = runner.invoke(cli, ["supervise", "alerts", "--server", url, "--token", reg])
    assert r.exit_code == 0 and "0 alert(s)" in r.output
    assert services.log_store.head().size == size
