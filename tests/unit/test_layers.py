"""The import graph: no circles, no import from a lower layer to a higher one.

Read from the source with ``ast`` (every import, at module level or inside a
function), so a lazy import cannot hide a wrong-way dependency. The layers are
those of docs/architecture.md, lowest first.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("ledger_service", "notary")

#: layer of each top-level part; a module may import only its own layer or lower ones
LAYERS: dict[str, int] = {
    "ledger_service.core": 0,
    "ledger_service.settings": 0,
    "ledger_service.store": 1,
    "ledger_service.chain": 1,
    "ledger_service.web": 1,
    "ledger_service.evidence": 2,
    "ledger_service.tenders": 3,
    "ledger_service.reports": 3,
    "ledger_service.econtracts": 3,
    "ledger_service.supervision": 3,
    "ledger_service.cosigner": 3,
    # the log's client side of tlog-witness (pure but for httpx): the service collects with it
    "ledger_service.cosigner.collector": 2,
    "ledger_service.witness": 3,  # the old name of reports + econtracts, while it exists
    "ledger_service.runtime": 4,
    "ledger_service.api": 5,
    "ledger_service.cli": 5,
    "notary": 6,  # a plugin: uses the service, never used by it
    "ledger_service": 0,  # __init__: the version only
    "ledger_service.__main__": 7,
}
#: pairs that share a layer but must not know each other
APART = [
    ("ledger_service.store", "ledger_service.chain"),
    ("ledger_service.chain", "ledger_service.store"),
    ("ledger_service.api", "ledger_service.cli"),
]
#: what the pure core must never import
IMPURE = ("sqlalchemy", "web3", "httpx", "requests", "fastapi", "starlette", "uvicorn",
          "threading", "socket", "subprocess", "tempfile", "queue")  # fmt: skip


def _modules() -> dict[str, Path]:
    found = {}
    for pkg in PACKAGES:
        for path in (ROOT / pkg).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """Every module of ours (or outside name) that ``name`` imports, resolved."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for a in node.names:
                full = f"{base}.{a.name}"
                out.add(full if full in MODULES else base)
    return out


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _layer(module: str) -> tuple[str, int] | None:
    best = max(
        (p for p in LAYERS if module == p or module.startswith(p + ".")), key=len, default=None
    )
    return None if best is None else (best, LAYERS[best])


def test_every_module_has_a_layer() -> None:
    assert [m for m in MODULES if _layer(m) is None] == []


def test_no_import_goes_up_a_layer() -> None:
    wrong = []
    for name, imports in GRAPH.items():
        part, mine = _layer(name)  # type: ignore[misc]
        for target in imports:
            there = _layer(target)
            if there is not None and there[1] > mine:
                wrong.append(f"{name} (layer {mine}) imports {target} (layer {there[1]})")
    assert wrong == []


@pytest.mark.parametrize(("importer", "imported"), APART)
def test_parts_that_stay_apart(importer: str, imported: str) -> None:
    wrong = [
        f"{n} imports {t}"
        for n, ts in GRAPH.items()
        if n == importer or n.startswith(importer + ".")
        for t in ts
        if t == imported or t.startswith(imported + ".")
    ]
    assert wrong == []


def test_core_is_pure() -> None:
    wrong = [
        f"{n} imports {t}"
        for n, ts in GRAPH.items()
        if n.startswith("ledger_service.core")
        for t in ts
        if t.split(".")[0] in IMPURE
    ]
    assert wrong == []


def test_no_import_circles() -> None:
    """Tarjan's strongly connected components over our modules: each must be alone."""
    ours = {n: {t for t in ts if t in MODULES and t != n} for n, ts in GRAPH.items()}
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on: set[str] = set()
    circles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in ours[v]:
            # a package's __init__ re-exporting its own modules is its face, not a circle
            if v.startswith(w + "."):
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                circles.append(sorted(component))

    sys.setrecursionlimit(10_000)
    for v in sorted(ours):
        if v not in index:
            visit(v)
    assert circles == []


@pytest.mark.parametrize(
    "module",
    ["ledger_service.cli.app", "ledger_service.cli.tenders", "ledger_service.tenders.service",
     "ledger_service.runtime", "ledger_service.api.app"],
)  # fmt: skip
def test_former_circles_import_alone_in_a_fresh_interpreter(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-c", f"import {module}"], cwd=ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr


def test_the_command_is_built_at_call_time() -> None:
    """Importing the CLI builds no app and loads no plugin."""
    done = subprocess.run(
        [sys.executable, "-c",
         "import sys, ledger_service.cli.app as a; "
         "assert not hasattr(a, 'app'); assert 'notary.cli' not in sys.modules"],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
