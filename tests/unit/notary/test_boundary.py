"""``ledger_service`` never imports ``notary`` (it reaches it only through entry points)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_no_ledger_service_module_imports_notary() -> None:
    offenders = []
    for path in (ROOT / "ledger_service").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names
                          if n == "notary" or n.startswith("notary.")]  # fmt: skip
    assert offenders == []


def test_importing_the_service_loads_no_notary_module() -> None:
    # (the ``chainwitness`` command loads its plugins, notary among them, when it is
    # imported: that is the entry point at work, checked by the notary CLI tests)
    code = (
        "import sys, ledger_service.api.app, ledger_service.runtime, ledger_service.evidence.packaging;"
        "print(sorted(m for m in sys.modules if m == 'notary' or m.startswith('notary.')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=60)  # fmt: skip
    assert out.stdout.strip() == "[]"
