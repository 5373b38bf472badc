"""``make bench`` works from a fresh clone (issue 11, deliver 1): the clone has no
``var/``, no results and no earlier run; the smoke run of every benchmark group must
finish and write its figures within a small time budget."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
ANVIL_DIR = ROOT / "node_modules" / "@foundry-rs" / "anvil-linux-amd64" / "bin"
BUDGET_S = 300


def test_bench_smoke_runs_from_a_fresh_clone(tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True,
                   timeout=120)  # fmt: skip
    assert not (clone / "var").exists() and not (clone / "bench" / "results-smoke.json").exists()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CHAINWITNESS_", "RECORDS"))}
    # the clone's own code first; the toolchain (anvil from npm) as installed on the machine
    env["PYTHONPATH"] = str(clone)
    env["PATH"] = f"{ANVIL_DIR}{os.pathsep}{env.get('PATH', '')}"
    r = subprocess.run(
        [sys.executable, "scripts/bench.py", "--smoke"], cwd=clone, env=env,
        capture_output=True, text=True, timeout=BUDGET_S,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr[-3000:]
    figures = json.loads((clone / "bench" / "results-smoke.json").read_text())
    assert figures["records"] == 2000
    for key in ("ingest_library_records_per_s", "ingest_http_records_per_s", "gas_per_record",
                "seal_mb_per_s", "open_100x20mb_s", "package_build_1000_s",
                "supervision_precision"):  # fmt: skip
        assert figures[key] > 0, key
    # a smoke run never overwrites the published figures
    committed = subprocess.run(["git", "show", "HEAD:bench/results.json"], cwd=clone,
                               capture_output=True, text=True, check=True).stdout  # fmt: skip
    assert (clone / "bench" / "results.json").read_text() == committed
