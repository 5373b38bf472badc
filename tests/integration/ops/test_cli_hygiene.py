"""The CLI's version, JSON output and exit statuses (issue 11, item 9):
0 verified, 1 verification failed, 2 usage, 3 could not check."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger_service import __version__
from ledger_service.cli.app import build_app
from tests.integration.serving import free_port

pytestmark = pytest.mark.integration
app = build_app()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    monkeypatch.setenv("CHAINWITNESS_DATA_DIR", str(tmp_path / "data"))
    return CliRunner()


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINWITNESS_")}
    return subprocess.run([sys.executable, "-m", "ledger_service", *args], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip


def test_version_help_and_usage_status() -> None:
    r = _cli("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"chainwitness {__version__}"
    r = _cli("--help")
    assert r.returncode == 0 and "3 could not check" in " ".join(r.stdout.split())
    r = _cli("verify")
    assert r.returncode == 2 and "Missing argument" in r.stderr


def test_proof_and_verify_json_with_exit_statuses(runner: CliRunner, tmp_path: Path) -> None:
    doc = tmp_path / "doc.txt"
    doc.write_text("招标文件")
    r = runner.invoke(app, ["deposit", str(doc)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["proof", "0", "--json"])
    assert r.exit_code == 0 and len(r.stdout.strip().splitlines()) == 1
    bundle = json.loads(r.stdout)
    good = tmp_path / "proof.json"
    good.write_text(json.dumps(bundle))

    r = runner.invoke(app, ["verify", str(good), "--json"])
    report = json.loads(r.stdout)
    assert r.exit_code == 0 and report["ok"] is True and report["exit_code"] == 0
    assert report["checks"] and all({"status", "text"} == set(c) for c in report["checks"])

    # a proof whose record was changed: verification fails, status 1
    tampered = json.loads(json.dumps(bundle))
    proof = tampered["proof"]
    proof["leaf_hash"] = hashlib.sha256(b"other").hexdigest()
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(tampered))
    r = runner.invoke(app, ["verify", str(bad), "--json"])
    report = json.loads(r.stdout)
    assert r.exit_code == 1 and report["ok"] is False and report["exit_code"] == 1
    assert report["error"]
    r = runner.invoke(app, ["verify", str(bad)])
    assert r.exit_code == 1

    # nobody answers at --server: could not check, status 3
    down = f"http://127.0.0.1:{free_port()}"
    r = runner.invoke(app, ["verify", str(doc), "--server", down, "--json"])
    report = json.loads(r.stdout)
    assert r.exit_code == 3 and report["exit_code"] == 3 and down in report["error"]
    r = runner.invoke(app, ["deposit", str(doc), "--server", down, "--token", "t"])
    assert r.exit_code == 3 and "to answer" in r.output
