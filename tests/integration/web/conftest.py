"""Fixtures of the browser tier: the built library, a loopback server, Debian's chromium.

The tests drive ``/usr/bin/chromium`` (Debian's package) through Playwright with
``executable_path``; no browser build is ever downloaded. Without it every test here
skips with one line. The server binds 127.0.0.1 on a free port and serves only
three things: ``/static/`` (the built ``ledger_service/web/static``), ``/vectors/``
(``tests/vectors``) and the harness page of this folder.
"""

from __future__ import annotations

import fcntl
import shutil
import subprocess
import threading
from collections.abc import Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.node import ManagedAnvil
from ledger_service.web import BUNDLE_NAME, STATIC_DIR
from tests.integration.web.live import LiveService, live_service

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
VECTORS = ROOT / "tests" / "vectors"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--enable-precise-memory-info",  # performance.memory, for the flat-memory figure
]  # fmt: skip
SKIP_NO_CHROMIUM = "browser tests skipped: /usr/bin/chromium is absent (apt-get install chromium)"

# Without the browser the folder is not collected at all and the run says so once.
if not CHROMIUM.exists():
    collect_ignore_glob = ["test_*.py"]


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not CHROMIUM.exists():
        terminalreporter.write_line(SKIP_NO_CHROMIUM)


def _build_bundle() -> Path:
    """Build the bundle from web/src when Node and the npm packages are here, else use
    the one already built; one build at a time across xdist workers."""
    bundle = STATIC_DIR / BUNDLE_NAME
    node = shutil.which("node")
    if node and (ROOT / "node_modules" / "esbuild").is_dir():
        STATIC_DIR.mkdir(parents=True, exist_ok=True)
        with open(STATIC_DIR / ".build.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            script = str(ROOT / "scripts" / "build_web.mjs")
            if subprocess.run([node, script, "--check"], capture_output=True).returncode:
                subprocess.run([node, script], check=True, capture_output=True)
    if not bundle.is_file():
        pytest.skip(f"browser tests skipped: {bundle} is not built (make web)")
    return bundle


class _Handler(SimpleHTTPRequestHandler):
    extensions_map = {".js": "text/javascript", ".json": "application/json",
                      ".html": "text/html; charset=utf-8", "": "application/octet-stream"}  # fmt: skip

    def translate_path(self, path: str) -> str:
        path = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, base in (("/static/", STATIC_DIR), ("/vectors/", VECTORS)):
            if path.startswith(prefix):
                target = (base / path[len(prefix) :]).resolve()
                return str(target) if target.is_relative_to(base) else str(base / "missing")
        if path in ("/harness.html", "/harness.js"):
            return str(HERE / path[1:])
        return str(HERE / "missing")

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        pass


@pytest.fixture(scope="session")
def static_server() -> Iterator[str]:
    """Base URL of the loopback server (``http://127.0.0.1:<port>``)."""
    _build_bundle()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_Handler, directory=str(HERE)))
    thread = threading.Thread(target=server.serve_forever, name="web-test-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """Debian's chromium, headless, launched by Playwright from its fixed path.

    Module scope, not session: Playwright's sync API keeps an asyncio loop running on
    the thread while it is started, and other tests on the same worker (pyHanko's
    signing calls ``asyncio.run``) must not find one.
    """
    if not CHROMIUM.exists():
        pytest.skip(SKIP_NO_CHROMIUM)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture
def page(chromium: Any, static_server: str) -> Iterator[Any]:
    """A fresh page on the harness, with ``window.cw`` (the library) and ``window.harness``."""
    context = chromium.new_context()
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.goto(f"{static_server}/harness.html")
    pg.wait_for_function("window.harnessReady === true", timeout=15_000)
    try:
        yield pg
    finally:
        context.close()
    assert not errors, f"expected no uncaught errors in the page, found {errors}"


@pytest.fixture(scope="session")
def live(
    tmp_path_factory: pytest.TempPathFactory, anvil: ManagedAnvil, static_server: str
) -> Iterator[LiveService]:
    """``chainwitness serve`` with three witness processes on the session anvil, shared by
    the page tests (each uses its own subjects and tenders); static_server builds the
    bundle and the pages first."""
    account = Account.create()
    ChainClient(anvil.rpc_url, account, 31337).fund_from_dev_account(10**20)
    with live_service(tmp_path_factory.mktemp("pages-live"), anvil.rpc_url,
                      "0x" + bytes(account.key).hex()) as service:  # fmt: skip
        yield service
