"""The Solidity side: shipped artifacts match the sources, and the forge suite passes
for every shipped EVM target (``cancun`` from foundry.toml, and ``paris``).

Needs the npm toolchain (``npm ci``): solc-js behind ``scripts/solc.js`` and forge.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from ledger_service.chain.evm_target import DEFAULT_TARGET, EVM_TARGETS

pytestmark = pytest.mark.node

REPO = Path(__file__).resolve().parents[2]
CONTRACTS = REPO / "contracts"
RFC6962_VECTORS = REPO / "tests" / "vectors" / "rfc6962" / "consistency"
# The pytest run fuzzes lighter than a plain `forge test` (foundry.toml: 256 runs).
FUZZ_RUNS = "64"


def _forge() -> Path:
    natives = sorted(REPO.glob("node_modules/@foundry-rs/forge-*/bin/forge"))
    if natives:
        return natives[0]
    launcher = REPO / "node_modules" / ".bin" / "forge"
    if not launcher.exists():
        pytest.skip("forge is not installed: run `npm ci`")
    return launcher


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    result = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, (
        f"expected {args[0]} to succeed, found exit {result.returncode}\n"
        f"{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    )


def test_shipped_artifacts_are_fresh() -> None:
    if not (REPO / "node_modules" / "solc").is_dir():
        pytest.skip("solc-js is not installed: run `npm ci`")
    _run([sys.executable, str(REPO / "scripts" / "compile_contracts.py"), "--check"], cwd=REPO)


def test_forge_vectors_are_fresh() -> None:
    if not RFC6962_VECTORS.is_dir():
        pytest.skip(f"published vectors not found at {RFC6962_VECTORS}")
    _run([sys.executable, str(REPO / "scripts" / "gen_forge_vectors.py"), "--check"], cwd=REPO)


def forge_test_args(evm_version: str) -> list[str]:
    """``forge test`` arguments for one target; a non-default one builds into its own
    out/ and cache/ so the two builds never mix (the Makefile's forge-test does the same)."""
    if evm_version == DEFAULT_TARGET:
        return ["test", "--offline"]
    return ["test", "--offline", "--evm-version", evm_version,
            "--out", f"out/{evm_version}", "--cache-path", f"cache/{evm_version}"]  # fmt: skip


@pytest.mark.parametrize("evm_version", EVM_TARGETS)
def test_forge_suite_passes(evm_version: str) -> None:
    # forge resolves foundry.toml's relative `solc` path against the working directory,
    # so it must run from contracts/.
    env = {**os.environ, "FOUNDRY_FUZZ_RUNS": FUZZ_RUNS}
    _run([str(_forge()), *forge_test_args(evm_version)], cwd=CONTRACTS, env=env)
