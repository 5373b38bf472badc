"""Runtime dependencies are what the running service imports; dev-only tools stay in ``dev``.

``rfc8785`` (the reference JCS the canonical-encoding tests compare against) and
``py-solc-x`` (``make contracts``) are dev-only; ``python-multipart`` is not used at
all (no route takes form data). A module of the service that imported one of them
would fail on an install without the ``dev`` extra: this test says so first.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: distribution -> the module it installs
DEV_ONLY = {"rfc8785": "rfc8785", "py-solc-x": "solcx"}
UNUSED = {"python-multipart": "multipart"}


def _imported(package: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                found.update(a.name.split(".")[0] for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.add(node.module.split(".")[0])
    return found


def _names(requirements: list[str]) -> set[str]:
    return {r.split("==")[0].split("[")[0].strip().lower() for r in requirements}


def test_dev_only_and_unused_packages_are_not_runtime_dependencies() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    runtime = _names(project["dependencies"])
    dev = _names(project["optional-dependencies"]["dev"])
    assert not runtime & (set(DEV_ONLY) | set(UNUSED)), runtime & (set(DEV_ONLY) | set(UNUSED))
    assert set(DEV_ONLY) <= dev
    assert "python-multipart" not in dev
    assert "prometheus-client" in runtime


def test_the_service_imports_none_of_them() -> None:
    imported = _imported("ledger_service") | _imported("notary")
    banned = set(DEV_ONLY.values()) | set(UNUSED.values()) | {"python_multipart"}
    assert not imported & banned, imported & banned
