"""A local anvil node, started, supervised and stopped by the service.

This is the embedded default chain: a single anvil process bound to 127.0.0.1
whose state lives in ``<data_dir>/anvil-state.json``. anvil loads that file on
start (``--load-state``) but never writes it: :meth:`ManagedAnvil.save_state`
asks it for its state over JSON-RPC (``anvil_dumpState``) and replaces the file
atomically (temporary file, fsync, ``os.replace``), so a crash at any moment
leaves either the old or the new state, never half a file. The service saves
after every anchor (see ``evidence.anchoring``), :class:`NodeSupervisor` saves
whenever the chain moved and restarts a node that died, and :meth:`stop` saves
once more. anvil dies with the process that started it, even on ``kill -9``
(Linux ``PR_SET_PDEATHSIG``), so no orphan keeps a node on the data directory.

The RPC port is chosen once (a free loopback port) and stored in
``<data_dir>/rpc-port``; every later start reuses it, so URLs handed to custodian
agents and clients stay valid across restarts. Its output goes to
``<data_dir>/anvil.log``, never to the console.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import fcntl
import gzip
import json
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from ledger_service.core.errors import ChainUnavailable, ConfigurationError

#: where ``npm install`` puts the Linux build of ``@foundry-rs/anvil``
NPM_ANVIL = Path("node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil")
STATE_FILE_NAME = "anvil-state.json"
LOG_FILE_NAME = "anvil.log"
PORT_FILE_NAME = "rpc-port"
#: seconds between the supervisor's liveness checks (and state saves when the chain moved)
DEFAULT_SUPERVISE_INTERVAL = 1.0
DEFAULT_STARTUP_TIMEOUT = 20.0
DEFAULT_STOP_TIMEOUT = 15.0
LOG_TAIL_LINES = 20

_LISTENING = re.compile(r"Listening on 127\.0\.0\.1:(\d+)")
_REPO_ROOT = Path(__file__).resolve().parents[2]
_PR_SET_PDEATHSIG = 1

log = logging.getLogger("chainwitness.node")


def death_signal_setter() -> Callable[[], None]:
    """A preexec_fn: have the kernel SIGKILL the child (anvil, a `serve` worker) when the
    thread that started it dies.

    anvil writes nothing on its own (state is saved over RPC), so SIGKILL loses
    nothing that was saved. libc's ``prctl`` is looked up here, in the parent: the
    child, forked from a process with threads, only calls it. If the parent died
    between fork and prctl, the child exits at once instead of becoming an orphan.
    """
    parent = os.getpid()
    prctl = ctypes.CDLL(None, use_errno=True).prctl if sys.platform.startswith("linux") else None

    def in_child() -> None:  # pragma: no cover - runs in the child
        if prctl is not None:
            prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:
            os._exit(1)

    return in_child


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


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

    ``port=None`` uses the port stored in ``<data_dir>/rpc-port``, or on the very
    first start picks a free one and stores it there; every start reuses it so
    :attr:`rpc_url` stays valid for clients built earlier, across service restarts.
    ``block_time=None`` mines one block per transaction (automine). ``hardfork`` (e.g.
    ``"paris"``) runs an older EVM, as a consortium chain may; default anvil's latest.

    Thread-safe: :meth:`start`, :meth:`stop`, :meth:`save_state` and
    :meth:`ensure_running` take a lock.
    """

    def __init__(
        self,
        data_dir: Path,
        binary: Path | None = None,
        *,
        chain_id: int = 31337,
        port: int | None = None,
        block_time: float | None = None,
        startup_timeout: float = DEFAULT_STARTUP_TIMEOUT,
        hardfork: str | None = None,
    ) -> None:
        if port is not None and not 0 < port < 65536:
            raise ConfigurationError(f"expected a TCP port in 1..65535, found {port}")
        if block_time is not None and block_time <= 0:
            raise ConfigurationError(f"expected block_time > 0 seconds, found {block_time}")
        self.data_dir = Path(data_dir)
        self.binary = find_anvil(binary)
        self.chain_id = chain_id
        self.block_time = block_time
        self.startup_timeout = startup_timeout
        self.hardfork = hardfork
        self._port = port if port is not None else self._stored_port()
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self._lock = threading.RLock()
        self.restarts = 0
        #: block number of the last state written to :attr:`state_file` (-1: none this run)
        self.saved_block = -1

    # -- paths and addresses -------------------------------------------------

    @property
    def state_file(self) -> Path:
        return self.data_dir / STATE_FILE_NAME

    @property
    def log_file(self) -> Path:
        return self.data_dir / LOG_FILE_NAME

    @property
    def port_file(self) -> Path:
        return self.data_dir / PORT_FILE_NAME

    def _stored_port(self) -> int | None:
        try:
            text = self.port_file.read_text().strip()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise ConfigurationError(
                f"expected a readable {self.port_file}, found: {exc}"
            ) from None
        if not text.isdigit() or not 0 < int(text) < 65536:
            raise ConfigurationError(
                f"expected a TCP port in 1..65535 in {self.port_file}, found {text[:20]!r}"
            )
        return int(text)

    def _choose_port(self) -> int:
        """The stored port, or a free one stored for every later start."""
        if self._port is None:
            self._port = _free_port()
            self.data_dir.mkdir(parents=True, exist_ok=True)
            _write_atomically(self.port_file, f"{self._port}\n".encode())
            log.info("embedded chain: RPC port %d chosen, stored in %s", self._port, self.port_file)
        return self._port

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
            # without this a restarted node cannot answer reads at earlier blocks
            # (e.g. `latest - confirmations`)
            "--preserve-historical-states",
        ]  # fmt: skip
        if self.state_file.exists():
            # load only: anvil's own periodic --state writes are not atomic
            argv += ["--load-state", str(self.state_file)]
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
            self._choose_port()
            out = open(self.log_file, "ab")  # noqa: SIM115 - closed in stop()/_close_log()
            out.write(f"\n=== chainwitness: starting {' '.join(self.command())}\n".encode())
            out.flush()
            offset = out.tell()
            self._log = out
            self._proc = subprocess.Popen(
                self.command(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                # own process group: a Ctrl-C in our terminal must not kill anvil
                # before we have saved its state
                start_new_session=True,
                preexec_fn=death_signal_setter(),  # noqa: PLW1509
            )
            atexit.register(self.stop)
            try:
                self._await_ready(offset)
                self._keep_time_monotonic()
            except BaseException:
                self._terminate(kill=True)
                raise

    def _keep_time_monotonic(self) -> None:
        """After a restart, new blocks must not be older than the loaded chain's last one.

        anvil does not keep an ``evm_increaseTime`` offset in its state: a chain that ran
        ahead of the wall clock (time warped, as demos and tests do) would go on from the
        wall clock, back in time, and a deadline already passed on chain would be in the
        future again. The offset is restored from the latest block's timestamp.
        """
        latest = self._rpc("eth_getBlockByNumber", ["latest", False])
        assert isinstance(latest, dict)
        ahead = int(str(latest["timestamp"]), 16) - int(time.time())
        if ahead > 0:
            self._rpc("evm_increaseTime", [ahead + 1])
            log.info("embedded chain: time restored %d s ahead of the wall clock", ahead + 1)

    def _await_ready(self, log_offset: int) -> None:
        proc = self._proc
        assert proc is not None
        deadline = time.monotonic() + self.startup_timeout
        last_error = "no answer yet"
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                tail = self.log_tail()
                hint = (
                    f" (port {self._port} from {self.port_file} is taken by another process:"
                    " stop it, or delete the file to choose a new port)"
                    if "Address already in use" in tail or "address in use" in tail.lower()
                    else ""
                )
                raise ChainUnavailable(
                    f"expected anvil to keep running, found it exited with code {code}{hint}; "
                    f"last lines of {self.log_file}:\n{tail}"
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

    def _rpc(self, method: str, params: list[object], timeout: float = 2) -> object:
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
        request = urllib.request.Request(
            self.rpc_url, data=body.encode(), headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
        if "result" not in answer:
            raise ValueError(f"{method}: {answer.get('error')}")
        return answer["result"]

    def _rpc_chain_id(self) -> int:
        return int(str(self._rpc("eth_chainId", [])), 16)

    def block_number(self) -> int:
        """The node's latest block number. Raises OSError or ValueError if it does not answer."""
        return int(str(self._rpc("eth_blockNumber", [])), 16)

    def mine_when_due(self, target: int) -> bool:
        """Mine an empty block if the next block's time has reached ``target``.

        anvil mines only when a transaction arrives, so its chain time stands still
        between transactions; a deadline at ``target`` (Unix seconds, chain time)
        must pass with no other traffic. The next block's time is anvil's clock
        (wall time plus any ``evm_increaseTime`` offset). Returns True if it mined.

        Raises:
            ChainUnavailable: the node did not answer.
        """
        try:
            pending = self._rpc("eth_getBlockByNumber", ["pending", False])
            assert isinstance(pending, dict)
            if int(str(pending["timestamp"]), 16) < target:
                return False
            self._rpc("evm_mine", [])
        except (OSError, ValueError, KeyError, AssertionError) as exc:
            raise ChainUnavailable(f"expected anvil on {self.rpc_url} to mine, found: {exc}") from exc
        return True

    def save_state(self, timeout: float = 30, *, attached: bool = False) -> int:
        """Write the node's whole state to :attr:`state_file` atomically; return its block.

        Once this returns, everything mined up to that block survives a crash of
        anvil, of the service or of the machine. ``attached``: the node another process
        of this data directory runs (a worker of ``serve --workers``). Dump and write
        happen under a file lock, so that two processes never write an older dump over
        a newer one.

        Raises:
            ChainUnavailable: the node is not running or did not answer.
        """
        with self._lock, _file_lock(self.data_dir / ".state.lock"):
            if not attached and not self.is_running():
                raise ChainUnavailable(
                    f"expected a running anvil to save its state, found none ({self})"
                )
            try:
                block = self.block_number()
                # true: with the historical states, so reads at earlier blocks work after a restart
                dumped = str(self._rpc("anvil_dumpState", [True], timeout=timeout))
                state = gzip.decompress(bytes.fromhex(dumped.removeprefix("0x")))
            except (OSError, ValueError, EOFError) as exc:
                raise ChainUnavailable(
                    f"expected anvil on {self.rpc_url} to dump its state, found: {exc}"
                ) from exc
            _write_atomically(self.state_file, state)
            self.saved_block = block
            return block

    def stop(self, timeout: float = DEFAULT_STOP_TIMEOUT) -> None:
        """Save the state, then stop anvil with SIGTERM (SIGKILL after ``timeout`` s).

        Idempotent. A node that cannot save (hung, dying) is stopped anyway; the
        last saved state stays in place.
        """
        with self._lock:
            atexit.unregister(self.stop)
            if self.is_running():
                try:
                    self.save_state()
                except ChainUnavailable as exc:
                    log.error("embedded chain: state not saved on stop: %s", exc)
            self._terminate(kill=False, timeout=timeout)

    def kill(self) -> None:
        """SIGKILL anvil without saving its state (for crash tests)."""
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

        The node comes back with the last saved state: blocks mined after the
        last :meth:`save_state` are lost (the anchorer re-anchors what they held).
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

    def exit_code(self) -> int | None:
        """The exit code of the process we started, if it has ended."""
        return self._proc.poll() if self._proc is not None else None

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


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An exclusive ``flock`` on ``path`` (created if absent) for the block."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _write_atomically(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data``: a reader or a crash sees the old or the new file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class NodeSupervisor:
    """Keeps a :class:`ManagedAnvil` alive and its state file fresh, in a thread.

    Every ``interval_s``: a node that died is noticed (its exit code logged) and
    restarted from its last saved state on the same port; a node whose chain has
    moved since the last save is saved. :attr:`last_error` holds the latest failure
    (None when the node answered last time), for readiness checks.
    """

    def __init__(self, node: ManagedAnvil, interval_s: float = DEFAULT_SUPERVISE_INTERVAL) -> None:
        self.node = node
        self.interval_s = interval_s
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def check(self) -> None:
        """One pass: restart a dead node, save a moved one."""
        node = self.node
        try:
            if not node.is_running():
                log.error(
                    "embedded chain: anvil (port %s) exited with code %s; restarting from %s",
                    node._port, node.exit_code(), node.state_file,
                    extra={"event": "chain_restart", "port": node._port},
                )  # fmt: skip
                node.ensure_running()
                log.warning(
                    "embedded chain: anvil restarted on %s (restart %d), at block %d",
                    node.rpc_url, node.restarts, node.block_number(),
                    extra={"event": "chain_restarted", "rpc_url": node.rpc_url},
                )  # fmt: skip
            if node.block_number() != node.saved_block:
                node.save_state()
            self.last_error = None
        except (ChainUnavailable, ConfigurationError, OSError, ValueError) as exc:
            if self.last_error is None:
                log.error("embedded chain: %s", exc, extra={"event": "chain_outage"})
            self.last_error = str(exc)

    def run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.check()

    def start(self) -> Self:
        self._thread = threading.Thread(target=self.run, name="node-supervisor", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop supervising; then stops the node (saving its state). Idempotent.

        The node is stopped before this thread is joined: a node the supervisor
        restarted dies with the supervisor's thread (``PR_SET_PDEATHSIG``).
        """
        self._stop.set()
        self.node.stop()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None


class DataDirLock:
    """One service per data directory: an exclusive ``flock`` on ``<dir>/chainwitness.lock``.

    The kernel drops the lock when the process dies (even on ``kill -9``), so a
    stale lock file never blocks a restart. The holder's PID is written into it.
    """

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / "chainwitness.lock"
        self._fd: int | None = None

    def acquire(self) -> Self:
        """Raises ConfigurationError naming the holder's PID when another process holds it."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise ConfigurationError(
                f"expected no other chainwitness service on {self.path.parent}, found one "
                f"running as PID {holder} (it holds {self.path}); stop it, or use another "
                "--data-dir"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        self._fd = fd
        return self

    def holder(self) -> int | None:
        """The PID of the process holding the lock, or None when nobody holds it."""
        import fcntl

        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            text = os.pread(fd, 32, 0).decode(errors="replace").strip()
            return int(text) if text.isdigit() else -1
        finally:
            os.close(fd)  # also drops the shared lock, if we got it
        return None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing drops the flock
            self._fd = None
