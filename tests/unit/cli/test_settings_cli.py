"""Settings mistakes stop a command with one line: a mistyped variable, a directory with
no service in it."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ledger_service.cli.app import build_app

APP = build_app()


def test_a_mistyped_variable_is_named_with_its_close_match() -> None:
    r = CliRunner().invoke(APP, ["version"], env={"CHAINWITNESS_DATADIR": "/tmp/x"})
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "error: CHAINWITNESS_DATADIR: expected a known setting, found a variable nothing reads "
        "(did you mean CHAINWITNESS_DATA_DIR?); every setting is in docs/settings.md"
    )


def test_status_refuses_a_directory_with_no_service(tmp_path: Path) -> None:
    empty = tmp_path / "not-a-service"
    r = CliRunner().invoke(APP, ["status", "--data-dir", str(empty)])
    assert r.exit_code == 1
    assert "expected a Chain Witness data directory (made by `chainwitness init`), found no " \
           f"database in {empty}" in r.stderr  # fmt: skip
    assert not empty.exists()  # nothing was created there


def test_no_terminal_and_no_password_variable_is_one_line_not_a_silent_130(
    tmp_path: Path,
) -> None:
    runner = CliRunner()
    r = runner.invoke(APP, ["custodian", "init", "--name", "公证处", "-o", str(tmp_path / "k")])
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "error: password: expected a terminal to ask on, --password-file or "
        "CHAINWITNESS_KEY_PASSWORD, found none of them"
    )
    r = runner.invoke(APP, ["witness", "init-ca", "--org", "某中心", "--data-dir", str(tmp_path)])
    assert r.exit_code == 1
    assert r.stderr.strip() == (
        "error: password for the witness CA: expected CHAINWITNESS_WITNESS_PASSWORD or a "
        "terminal to ask on, found neither"
    )
    r = runner.invoke(APP, ["custodian", "init", "--name", "x", "-o", str(tmp_path / "k2")],
                      env={"CHAINWITNESS_KEY_PASSWORD": "12345"})  # fmt: skip
    assert r.exit_code == 1 and "expected at least 8 characters, found 5" in r.stderr
