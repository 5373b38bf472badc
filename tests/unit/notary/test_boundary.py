"""``ledger_service`` never imports ``notary`` (it reaches it only through entry points);
the notary's domain modules never import the composition root."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _imports(path: Path) -> list[str]:
    """Every absolute module name ``path`` imports (also inside functions)."""
    names = []
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.append(node.module)
    return names


def test_no_ledger_service_module_imports_notary() -> None:
    offenders = [f"{path.relative_to(ROOT)}: {n}"
                 for path in (ROOT / "ledger_service").rglob("*.py") for n in _imports(path)
                 if n == "notary" or n.startswith("notary.")]  # fmt: skip
    assert offenders == []


def test_only_the_notary_api_imports_the_composition_root() -> None:
    # notary/api.py builds the NotaryService from the service's Services; the
    # workflow, registry, PDF and verifier get their collaborators as arguments
    importers = sorted(path.name for path in (ROOT / "notary").rglob("*.py")
                       if "ledger_service.runtime" in _imports(path))  # fmt: skip
    assert importers == ["api.py"]


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
