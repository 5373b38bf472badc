"""Shared by integration tests: free loopback ports, an app served in a thread, and
waiting for a child process's HTTP port."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import uvicorn


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def serving(app: Any, log_level: str = "warning") -> Iterator[tuple[str, int]]:
    """Serve ``app`` with uvicorn on a free loopback port in a thread; yields (URL, port)."""
    port = free_port()
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level=log_level))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    while not srv.started:
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}", port
    finally:
        srv.should_exit = True
        thread.join(10)


def wait_http(url: str, proc: subprocess.Popen[bytes], what: str, timeout: float = 30) -> None:
    """Return once ``url`` answers at all; kill ``proc`` and fail if it exits or times out."""
    until = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            if proc.poll() is not None or time.monotonic() > until:
                proc.kill()
                raise AssertionError(f"{what} did not start") from None
            time.sleep(0.1)
