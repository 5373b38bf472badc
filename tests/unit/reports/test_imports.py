"""Reports and e-contracts are domain modules: they never import the composition root."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize("package", ["reports", "econtracts"])
def test_no_module_imports_the_composition_root(package: str) -> None:
    modules = sorted((ROOT / "ledger_service" / package).rglob("*.py"))
    assert modules, f"expected modules under ledger_service/{package}"
    offenders = []
    for path in modules:
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom) and node.module == "ledger_service.runtime":
                offenders.append(path.name)
            elif isinstance(node, ast.Import):
                offenders += [path.name for a in node.names if a.name == "ledger_service.runtime"]
    assert offenders == []
