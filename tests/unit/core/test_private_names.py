"""No core module borrows another's private name: shared helpers live in ``core/_*.py``."""

from __future__ import annotations

import ast
from pathlib import Path

CORE = Path(__file__).resolve().parents[3] / "ledger_service" / "core"


def test_no_core_module_imports_a_private_name() -> None:
    offenders = []
    for path in sorted(CORE.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "ledger_service"
            ):
                offenders += [f"{path.relative_to(CORE)}: {node.module}.{a.name}"
                              for a in node.names if a.name.startswith("_")]  # fmt: skip
    assert offenders == []
    assert (CORE / "_fields.py").is_file()  # the rule has something to hold
