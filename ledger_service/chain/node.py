"""A local anvil node, started, supervised and stopped by the service.

This is the embedded default chain: a single anvil process bound to 127.0.0.1
whose state lives in ``<data_dir>/anvil-state.json``. anvil loads that file on
start, rewrites it every ``state_interval`` seconds and once more when it is
stopped with SIGTERM, so a crash (SIGKILL, power loss) loses at most the last
interval. Its output goes to ``<data_dir>/anvil.log``, never to the console.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from ledger_service.core.errors import ChainUnavailable, ConfigurationError

#: where ``npm install`` puts the Linux build of ``@foundry-rs/anvil``
NPM_ANVIL = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
STATE_FILE_NAME = "anvil-state.json"
LOG_FILE_NAME = "anvil.log"
#: seconds between state dumps (anvil takes whole seconds only)
DEFAULT_STATE_INTERVAL = 2
DEFAULT_STARTUP_TIMEOUT = 20.0
DEFAULT_STOP_TIMEOUT = 15.0
LOG_TAIL_LINES = 20

_LISTENING = re.compile(r"Listening on 127\.0\.0\.1:(\d+)")
_REPO_ROOT = Path(__file__).resolve().parents[2]


def find_anvil(binary: Path | None = None) -> Path:
    """Return the anvil executable to run.

    With ``binary`` given, that file must exist and be executable. Otherwise look
    for the npm build under the repository root, then under the current
    directory, then for ``anvil`` on PATH.

    Raises:
        ConfigurationError: nothing executable was found; the message lists
            every place that was tried.
    """
    if binary is not None:
        if binary.is_file() and os.access(binary, os.X_OK):
            return binary
        raise ConfigurationError(
            f"expected an executable anvil at {binary}, found "
            + ("a file that is not executable" if binary.exists() else "nothing")
        )
    candidates = [_REPO_ROOT / NPM_ANVIL, Path.cwd() / NPM_ANVIL]
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    on_path = shutil.which("anvil")
    if on_path is not None:
        return Path(on_path)
    tried = ", ".join(str(c) for c in dict.fromkeys(candidates))
    raise ConfigurationError(
        f"expected an anvil executable, found none; looked at {tried} and on PATH "
        "(run `npm ci` in the repository root, or pass the binary's path)"
    )


class ManagedAnvil:
    """One anvil process on 127.0.0.1 with persistent state.

    ``port=None`` lets the OS pick a free port on the first start; restarts reuse
    that port so :attr:`rpc_url` stays valid for clients built earlier.
    ``block_time=None`` mines one block per transaction (automine). ``hardfork`` (e.g.
    ``"paris"``) runs an older EVM, as a consortium chain may; default anvil's latest.

    Thread-safe: :meth:`start`, :meth:`stop` and :meth:`ensure_running` take a lock.
    """

    def __init__(
        self,
        data_dir: Path,
        binary: Path | None = None,
        *,
        chain_id: int = 31337,
        port: int | None = None,
        block_time: float | None = None,
        state_interval: int = DEFAULT_STATE_INTERVAL,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        hardfork: str | None = None,
    ) -> None:
        if port is not None and not 0 < port < 65536:
            raise ConfigurationError(f"expected a TCP port in 1..65535, found {port}")
        if block_time is not None and block_time <= 0:
            raise ConfigurationError(f"expected block_time > 0 seconds, found {block_time}")
        if state_interval < 1:
            raise ConfigurationError(f"expected state_interval >= 1 s, found {state_interval}")
        self.data_dir = Path(data_dir)
        self.binary = find_anvil(binary)
        self.chain_id = chain_id
        self.block_time = block_time
        self.state_interval = state_interval
        self.startup_timeout = startup_timeout
        self.hardfork = hardfork
        self._port = port
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.RLock()
        self.restarts = 0

    # -- paths and addresses -------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.data_dir / STATE_FILE_NAME

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE_NAME

    @property
    def port(self) -> int:
        """The port anvil listens on. Raises ChainUnavailable before the first start."""
        if self._port is None:
            raise ChainUnavailable("expected a started anvil to know its port, found none yet")
        return self._port

    @property
    def rpc_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # -- lifecycle -----------------------------------------------------------

    def command(self) -> Sequence[str]:
        """The argv anvil is started with (port 0 until a port is known)."""
        argv = [
            str(self.binary),
            "--host", "127.0.0.1",
            "--port", str(self._port or 0),
            "--chain-id", str(self.chain_id),
            "--state", str(self.state_file),
            "--state-interval", str(self.state_interval),
            # without this a restarted node cannot answer reads at earlier blocks
            # (e.g. `latest - confirmations`)
            "--preserve-historical-states",
        ]  # fmt: skip
        if self.block_time is not None:
            argv += ["--block-time", f"{self.block_time:g}"]
        if self.hardfork is not None:
            argv += ["--hardfork", self.hardfork]
        return argv

    def start(self) -> None:
        """Start anvil and wait until it answers ``eth_chainId`` correctly.

        Does nothing if it is already running.

        Raises:
            ChainUnavailable: anvil exited or did not answer within
                ``startup_timeout``; the message carries the tail of its log.
            ConfigurationError: it answered with another chain id.
        """
        with self._lock:
            if self.is_running():
                return
            self._close_log()
            self.data_dir.mkdir(parents=True, exist_ok=True)
            log = open(self.log_file, "ab")  # noqa: SIM115 - closed in stop()/_close_log()
            log.write(f"\n=== chainwitness: starting {' '.join(self.command())}\n".encode())
            log.flush()
            offset = log.tell()
            self._log = log
            self._proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # own process group: a Ctrl-C in our terminal must not kill anvil
                # before we have asked it to dump its state
                start_new_session=True,
            )
            atexit.register(self.stop)
            try:
                self._await_ready(offset)
            except BaseException:
                self._terminate(kill=True)
                raise

    def _await_ready(self, log_offset: int) -> None:
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                raise ChainUnavailable(
                    f"expected anvil to keep running, found it exited with code {code}; "
                    f"last lines of {self.log_file}:\n{self.log_tail()}"
                )
            if self._port is None:
                match = _LISTENING.search(self._read_log_from(log_offset))
                if match is None:
                    time.sleep(0.05)
                    continue
                self._port = int(match.group(1))
            try:
                found = self._rpc_chain_id()
            except (OSError, ValueError) as exc:
                last_error = str(exc)
                time.sleep(0.05)
                continue
            if found != self.chain_id:
                raise ConfigurationError(
                    f"expected anvil on {self.rpc_url} to serve chain id {self.chain_id}, "
                    f"found {found} (is another node on that port?)"
                )
            return
        raise ChainUnavailable(
            f"expected anvil to answer JSON-RPC within {self.startup_timeout:g} s, "
            f"found {last_error}; last lines of {self.log_file}:\n{self.log_tail()}"
        )

    def _rpc_chain_id(self) -> int:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []})
        request = urllib.request.Request(
            self.rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=2) as response:
            answer = json.loads(response.read())
        return int(answer["result"], 16)

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Stop anvil with SIGTERM and wait for it to dump its state.

        Falls back to SIGKILL after ``timeout`` seconds. Idempotent.
        """
        with self._lock:
            atexit.unregister(self.stop)
            self._terminate(kill=False, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL anvil without letting it dump state (for crash tests)."""
        with self._lock:
            if self._proc is not None and self._proc.poll() is None:
                self._proc.kill()
                self._proc.wait()

    def _terminate(self, *, kill: bool, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        proc = self._proc
        if proc is not None and proc.poll() is None:
            if kill:
                proc.kill()
                proc.wait()
            else:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=timeout)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        self._proc = None
        self._close_log()

    def _close_log(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None

    def is_running(self) -> bool:
        """True while the anvil process we started is alive."""
        return self._proc is not None and self._proc.poll() is None

    def ensure_running(self) -> bool:
        """Restart anvil if it died; return True if a restart happened.

        State since the last periodic dump is lost when anvil was killed hard.
        """
        with self._lock:
            if self.is_running():
                return False
            was_started = self._proc is not None
            self._terminate(kill=True)
            self.start()
            if was_started:
                self.restarts += 1
            return was_started

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- logs ----------------------------------------------------------------

    def _read_log_from(self, offset: int) -> str:
        try:
            with open(self.log_file, "rb") as f:
                f.seek(offset)
                return f.read().decode(errors="replace")
        except OSError:
            return ""

    def log_tail(self, lines: int = LOG_TAIL_LINES) -> str:
        """The last ``lines`` lines of ``anvil.log`` (empty if there is none)."""
        try:
            with open(self.log_file, "rb") as f:
                f.seek(0, os.SEEK_END)
                f.seek(max(0, f.tell() - 16_384))
                text = f.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.rstrip().splitlines()[-lines:])

    def __repr__(self) -> str:
        state = "running" if self.is_running() else "stopped"
        return f"ManagedAnvil({self.data_dir}, port={self._port}, {state})"
