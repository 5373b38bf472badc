"""The ``chainwitness`` command: tokens, local deposits, proofs, verification, errors."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger_service.cli.app import build_app

pytestmark = pytest.mark.integration


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CHAINWITNESS_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


#: every top-level command and group, and each group's commands (notary is a plugin)
COMMANDS = {
    "version": None, "init": None, "serve": None, "status": None, "deposit": None,
    "proof": None, "verify": None, "package": None,
    "token": {"create", "list", "revoke"},
    "bid": {"seal", "submit", "withdraw", "status", "open-own"},
    "custodian": {"init", "register-key", "run"},
    "tender": {"announce", "issue-documents", "verify-opening", "register-bidder", "bids", "list", "step"}, "key": {"create", "show"},
    "witness": {"init-ca", "report"}, "court": {"search", "package"}, "notary": {"verify", "authorize", "request", "show", "issue", "reject", "revoke"},
    "cosigner": {"init", "run", "status"},
    "supervise": {"scan", "alerts", "show", "dispose", "record", "tamper-watch"},
}  # fmt: skip


app = build_app()


def test_help_lists_the_commands(runner: CliRunner) -> None:
    import typer.main

    root = typer.main.get_command(app)
    assert set(root.commands) == set(COMMANDS)  # type: ignore[attr-defined]
    for name, sub in COMMANDS.items():
        cmd = root.commands[name]  # type: ignore[attr-defined]
        assert cmd.help or cmd.callback.__doc__, f"{name} has no help text"
        if sub is not None:
            assert set(cmd.commands) == sub, name
    r = runner.invoke(app, ["--help"])
    assert r.exit_code == 0
    listed = {
        line.split()[1]
        for line in r.output.splitlines()
        if line.startswith("│ ") and len(line.split()) > 2
    }
    assert set(COMMANDS) <= listed


def test_token_create_list_revoke(runner: CliRunner) -> None:
    r = runner.invoke(app, ["token", "create", "--role", "court", "--name", "中级人民法院"])
    assert r.exit_code == 0, r.output
    assert r.stdout.strip().splitlines()[-1].startswith("cw_")
    listed = runner.invoke(app, ["token", "list"])
    assert "中级人民法院" in listed.stdout and "court" in listed.stdout
    assert runner.invoke(app, ["token", "revoke", "1"]).exit_code == 0
    again = runner.invoke(app, ["token", "revoke", "1"])
    assert again.exit_code == 1
    assert "expected an active token with id 1, found none" in again.stderr


def test_bad_role_is_one_line_and_nonzero(runner: CliRunner) -> None:
    r = runner.invoke(app, ["token", "create", "--role", "king", "--name", "x"])
    assert r.exit_code == 1
    assert r.stderr.strip().splitlines() == [
        "error: expected a role among admin, operator, bidder, regulator, court, notary, "
        "custodian, found 'king'"
    ]


def test_deposit_proof_verify_offline_and_tamper(runner: CliRunner, tmp_path: Path) -> None:
    docs = []
    for i in range(3):
        p = tmp_path / f"标书{i}.bin"
        p.write_bytes(bytes([i]) * (300_000 + i))
        docs.append(p)
    r = runner.invoke(app, ["deposit", *map(str, docs), "--subject", "tender:CLI-1"])
    assert r.exit_code == 0, r.output
    digest = hashlib.sha256(docs[1].read_bytes()).hexdigest()
    assert digest in r.stdout
    out = tmp_path / "p.json"
    assert runner.invoke(app, ["proof", "1", "-o", str(out)]).exit_code == 0
    ok = runner.invoke(app, ["verify", str(out)])
    assert ok.exit_code == 0, ok.output
    line = next(x for x in ok.stdout.splitlines() if x.startswith("OK  record 1 "))
    assert f"about tender:CLI-1, sha256 {digest}, recorded 20" in line  # what, which, when
    assert "标书1.bin" in line and line.endswith("[offline]") and "in the tree of size 3" in line
    assert "not anchored yet" in ok.stdout
    bundle = json.loads(out.read_text())
    assert bundle["format"] == "chainwitness/evidence-proof" and bundle["checkpoint"] is None
    proof = bundle["proof"]
    proof["path"][0] = "00" * 32
    out.write_text(json.dumps(bundle))
    bad = runner.invoke(app, ["verify", str(out)])
    assert bad.exit_code == 1
    assert bad.stderr.startswith("error: ") and len(bad.stderr.strip().splitlines()) == 1
    status = runner.invoke(app, ["status"])
    assert "3 records" in status.stdout and "nothing yet" in status.stdout


def test_verify_rejects_what_it_cannot_read(runner: CliRunner, tmp_path: Path) -> None:
    r = runner.invoke(app, ["verify", "not-a-digest"])
    assert r.exit_code == 1
    assert "expected a proof .json file, a file or a 64-hex SHA-256 digest" in r.stderr
    junk = tmp_path / "junk.json"
    junk.write_text("{")
    r = runner.invoke(app, ["verify", str(junk)])
    assert r.exit_code == 1 and "expected a JSON proof" in r.stderr
    r = runner.invoke(app, ["verify", "ab" * 32])
    assert r.exit_code == 1 and "expected --server" in r.stderr


def test_usage_errors_are_one_line_with_exit_2(tmp_path: Path) -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    for args, expected in (
        (["token", "create", "--role", "operator"], "error: Missing option '--name'."),
        (["nosuchcommand"], "error: No such command 'nosuchcommand'."),
    ):
        r = subprocess.run([sys.executable, "-m", "ledger_service", *args], capture_output=True,
                           text=True, cwd=root, env={"PATH": "/usr/bin:/bin",
                                                     "CHAINWITNESS_DATA_DIR": str(tmp_path)})  # fmt: skip
        assert r.returncode == 2
        assert r.stderr.strip().splitlines() == [f"{expected} (see --help)"]


def test_token_create_for_a_handover(tmp_path: Path) -> None:
    """A token in the party's own address, from the hand-over its `key create` wrote."""
    app, runner = build_app(), CliRunner()
    pw = tmp_path / "pw.txt"
    pw.write_text("bidder password\n")
    key = tmp_path / "me.json"
    r = runner.invoke(app, ["key", "create", "--role", "bidder", "--name", "某公司", "--out",
                            str(key), "--password-file", str(pw)])  # fmt: skip
    assert r.exit_code == 0, r.output
    address = json.loads((tmp_path / "me.json.pub.json").read_text())["address"]
    data = ["--data-dir", str(tmp_path / "data")]
    r = runner.invoke(app, ["token", "create", "--for", str(tmp_path / "me.json.pub.json"), *data])
    assert r.exit_code == 0, r.output
    assert f"for {address} (bidder)" in r.stderr and len(r.stdout.strip()) > 20
    r = runner.invoke(app, ["token", "create", "--for", str(tmp_path / "me.json.pub.json"),
                            "--role", "custodian", *data])  # fmt: skip
    assert r.exit_code == 1
    assert r.stderr.strip() == "error: --role: expected bidder (the --for file's), found custodian"
