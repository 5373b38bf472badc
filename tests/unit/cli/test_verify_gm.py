"""``chainwitness verify PACKAGE.zip --policy`` with a GM (国密) policy: one line, exit 1.

The operator strips the log's SM2 signature from a GM package, or re-signs with an
SM2 key of its own: the command refuses, naming the pinned SM2 key, and exits 1.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ledger_service.core.packages import write_package
from tests.unit.core.packages.synthetic import contents
from tests.unit.core.packages.test_gm_profile import (
    OPERATOR_SM2,
    gm_checkpoint,
    gm_package,
    gm_policy,
)

ROOT = Path(__file__).resolve().parents[3]


def _verify(tmp_path: Path, package: bytes) -> subprocess.CompletedProcess[str]:
    (tmp_path / "p.zip").write_bytes(package)
    (tmp_path / "policy.json").write_bytes(gm_policy().to_bytes())
    return subprocess.run(
        [sys.executable, "-m", "ledger_service", "verify", str(tmp_path / "p.zip"),
         "--policy", str(tmp_path / "policy.json")],
        capture_output=True, text=True, cwd=ROOT, env={"PATH": "/usr/bin:/bin"}, timeout=120,
        check=False,
    )  # fmt: skip


def test_cli_verifies_a_gm_package_and_refuses_a_forged_sm2_signature(tmp_path: Path) -> None:
    ok = _verify(tmp_path, gm_package())
    assert ok.returncode == 0, ok.stderr
    assert "GM profile: SM3 root" in ok.stdout and "sm3-proofs/1.json" in ok.stdout
    stripped = write_package(contents(gm=True, checkpoints={
        3: gm_checkpoint(3), 6: gm_checkpoint(6, log_sm2=None)}))  # fmt: skip
    bad = _verify(tmp_path, stripped)
    assert bad.returncode == 1
    assert "expected an SM2 signature by the pinned log key" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
    forged = write_package(contents(gm=True, checkpoints={
        3: gm_checkpoint(3), 6: gm_checkpoint(6, log_sm2=OPERATOR_SM2)}))  # fmt: skip
    bad = _verify(tmp_path, forged)
    assert bad.returncode == 1 and "expected an SM2 signature by the pinned log key" in bad.stderr
