"""Extra HTTP worker processes for ``serve --workers N``.

``serve`` binds the listening socket itself and hands it to N-1 children (``pass_fds``);
the kernel spreads connections over every process accepting on it. Each child opens the
same data directory and database the way a one-off command does (it uses the node
``serve`` runs, never starts one) and serves the API only: anchoring, the tender
watcher and the node stay with ``serve``. Appends from several processes are
serialized by the database (SQLite ``BEGIN IMMEDIATE``, PostgreSQL's row lock on the
log state), and each process groups its own concurrent deposits into one commit.
Children die with ``serve`` (Linux ``PR_SET_PDEATHSIG``), even on ``kill -9``.
"""

from __future__ import annotations

import argparse
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from ledger_service.chain.node import death_signal_setter

__all__ = ["adopt", "bind", "serve_on", "spawn", "stop"]


def bind(host: str, port: int) -> socket.socket:
    """The listening socket every worker accepts on (inheritable).

    Made as a TCP socket (``IPPROTO_TCP``, not 0): asyncio turns Nagle off
    (``TCP_NODELAY``) only on accepted sockets it can tell are TCP, and with Nagle on
    every keep-alive answer written in two parts waits ~40 ms for the client's delayed
    ACK (uvicorn's ``fd=`` path loses this: it reopens the descriptor as ``AF_UNIX``).
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def adopt(fd: int) -> socket.socket:
    """The inherited listening socket, with its real family, type and protocol."""
    return socket.socket(fileno=fd)


def serve_on(config: Any, sock: socket.socket) -> None:
    """Run a uvicorn ``Config`` on an already bound socket (never via ``fd=``)."""
    import uvicorn

    uvicorn.Server(config).run(sockets=[sock])


def spawn(count: int, sock: socket.socket, data_dir: Path) -> list[subprocess.Popen[bytes]]:
    """Start ``count`` worker processes accepting on ``sock``."""
    fd = sock.fileno()
    from ledger_service.cli import logs

    cmd = [sys.executable, "-m", "ledger_service.cli.workers", "--fd", str(fd),
           "--data-dir", str(data_dir), "--log-format", "json" if logs.is_json() else "text"]  # fmt: skip
    return [subprocess.Popen(cmd, pass_fds=(fd,), preexec_fn=death_signal_setter())
            for _ in range(count)]  # fmt: skip


def stop(children: list[subprocess.Popen[bytes]], timeout: float = 15.0) -> None:
    for child in children:
        if child.poll() is None:
            child.terminate()
    for child in children:
        try:
            child.wait(timeout)
        except subprocess.TimeoutExpired:
            child.kill()


def main(argv: list[str] | None = None) -> int:
    """One worker: the API over the data directory on the inherited socket."""
    import uvicorn

    from ledger_service.api.app import create_app
    from ledger_service.cli import logs
    from ledger_service.cli.console import settings_for
    from ledger_service.runtime import open_services

    args = argparse.ArgumentParser(prog="chainwitness-worker")
    args.add_argument("--fd", type=int, required=True)
    args.add_argument("--data-dir", type=Path, required=True)
    args.add_argument("--log-format", choices=["text", "json"], default="text")
    ns = args.parse_args(argv)
    logs.configure(ns.log_format)
    services = open_services(settings_for(ns.data_dir))
    try:
        config = uvicorn.Config(create_app(services), log_level="warning",
                                log_config=None if logs.is_json() else uvicorn.config.LOGGING_CONFIG)  # fmt: skip
        serve_on(config, adopt(ns.fd))
    finally:
        services.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
