"""``evidence/`` receives its collaborators as arguments: it never imports the composition root."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_no_evidence_module_imports_the_runtime() -> None:
    offenders = []
    for path in sorted((ROOT / "ledger_service" / "evidence").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
            names = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            offenders += [
                f"{path.name}: {n}" for n in names if n.startswith("ledger_service.runtime")
            ]
    assert offenders == []


def test_packaging_imports_in_a_fresh_interpreter_without_the_runtime() -> None:
    # packaging.py and runtime.py used to import each other (worked around inside functions)
    code = (
        "import sys, ledger_service.evidence.packaging, ledger_service.evidence.package_rpc;"
        "print('ledger_service.runtime' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=60)  # fmt: skip
    assert out.stdout.strip() == "False"
    code = "import ledger_service.runtime, ledger_service.api.court; print('ok')"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, check=True, timeout=60)  # fmt: skip
    assert out.stdout.strip() == "ok"
