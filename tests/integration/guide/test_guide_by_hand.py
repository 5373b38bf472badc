"""The guide docs/guide-tender-by-hand.md, run literally (so the guide cannot rot).

Every fenced ``sh`` block preceded by ``<!-- run: TERMINAL[; background][; waits-for: TEXT]
[; retry: SECONDS][; expect: TEXT][; parallel] -->`` is run as written, in the order of the page, by
bash, in that terminal's own working directory and environment (each block continues where
the terminal's previous block left its ``cd`` and ``export``s, as a real terminal would).
Background blocks (``serve``, the custodians' agents) run as their own process groups until
``<!-- stop: TERMINAL -->`` (Ctrl-C: SIGINT to the group); neighbouring ``parallel`` blocks
in different terminals (the bidders, each in its own) run at the same time. A ``retry`` block is run
again until it succeeds (and its output holds ``expect``), as the guide tells a reader to
do. Only the placeholders the
guide's table documents are replaced: the working folder, the HTTP port, the chain's RPC
URL and contract addresses (read from ``status --json`` as a reader reads them from
``status``), and the tender's four times (shortened to seconds).
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

pytestmark = pytest.mark.integration

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "guide-tender-by-hand.md"
CODE = "GC-2026-0417"
#: the guide's times -> the test's (seconds from the announcement)
TIMES = {
    "--dealing-deadline +3m --complaint-deadline +5m --bid-deadline +12m --opening-time +13m":
        "--dealing-deadline +6s --complaint-deadline +10s --bid-deadline +120s --opening-time +125s",
}  # fmt: skip
RPC_PLACEHOLDER = "http://127.0.0.1:8545"
TENDER_REGISTRY_PLACEHOLDER = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
NOTARY_REGISTRY_PLACEHOLDER = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"
BLOCK_TIMEOUT_S = 180
_MARK = re.compile(r"<!--\s*(run|stop):\s*(.*?)\s*-->")
_FENCE = re.compile(r"```sh\n(.*?)```", re.S)


@dataclass
class Step:
    kind: str  # "run" or "stop"
    terminal: str
    script: str = ""
    background: bool = False
    waits_for: str | None = None
    retry_s: float = 0.0
    expect: str | None = None
    parallel: bool = False  # runs at the same time as its neighbours marked so


def parse_guide(text: str) -> list[Step]:
    """The marked steps of the guide, in order. A ``run`` mark must be followed by an ``sh``
    fence (blank lines between are allowed)."""
    steps = []
    for m in _MARK.finditer(text):
        parts = [p.strip() for p in m.group(2).split(";")]
        step = Step(m.group(1), parts[0])
        for p in parts[1:]:
            key, _, value = p.partition(":")
            if key == "background":
                step.background = True
            elif key == "parallel":
                step.parallel = True
            elif key == "waits-for":
                step.waits_for = value.strip()
            elif key == "retry":
                step.retry_s = float(value)
            elif key == "expect":
                step.expect = value.strip()
            else:
                raise AssertionError(f"unknown mark option {p!r} in {m.group(0)}")
        if step.kind == "run":
            rest = text[m.end():]
            fence = _FENCE.match(rest.lstrip("\n"))
            assert fence is not None, f"expected a ```sh block after {m.group(0)}"
            step.script = fence.group(1)
        steps.append(step)
    return steps


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Terminal:
    cwd: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    logs: list[Path] = field(default_factory=list)
    outputs: list[str] = field(default_factory=list)


class Session:
    """The terminals of the guide, with the placeholders' values."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.work = root / "cw-tender"
        self.port = _free_port()
        self.chain: dict[str, str] | None = None
        env = {k: v for k, v in os.environ.items() if not k.startswith("CHAINWITNESS_")}
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        env["COLUMNS"] = "200"
        self.base_env = env
        self.terminals: dict[str, Terminal] = {}

    def terminal(self, name: str) -> Terminal:
        if name not in self.terminals:
            self.terminals[name] = Terminal(self.root, dict(self.base_env))
        return self.terminals[name]

    def _chain_values(self) -> dict[str, str]:
        """What the operator's ``status`` prints, read once the data directory exists."""
        if self.chain is None:
            data = self.work / "centre" / "data"
            res = subprocess.run(["chainwitness", "status", "--data-dir", str(data), "--json"],
                                 capture_output=True, text=True, env=self.base_env, timeout=60)  # fmt: skip
            status = json.loads(res.stdout)
            self.chain = {"rpc": status["chain"]["rpc_url"], **status["contracts"]}
        return self.chain

    def substitute(self, script: str) -> str:
        script = script.replace("~/cw-tender", str(self.work))
        script = script.replace("127.0.0.1:8700", f"127.0.0.1:{self.port}")
        script = script.replace("--port 8700", f"--port {self.port}")
        for guide, test in TIMES.items():
            script = script.replace(guide, test)
        if any(p in script for p in (RPC_PLACEHOLDER, TENDER_REGISTRY_PLACEHOLDER,
                                     NOTARY_REGISTRY_PLACEHOLDER)):  # fmt: skip
            chain = self._chain_values()
            script = script.replace(RPC_PLACEHOLDER, chain["rpc"])
            script = script.replace(TENDER_REGISTRY_PLACEHOLDER, chain["TenderRegistry"])
            script = script.replace(NOTARY_REGISTRY_PLACEHOLDER, chain["NotaryRegistry"])
        return script

    def run(self, step: Step) -> None:
        term = self.terminal(step.terminal)
        script = self.substitute(step.script)
        if step.background:
            self._start(step, term, script)
            return
        deadline = time.monotonic() + step.retry_s
        while True:
            ok, output = self._foreground(term, script)
            if ok and (step.expect is None or step.expect in output):
                term.outputs.append(output)
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"terminal {step.terminal}: block failed\n{script}\n"
                                     f"--- output ---\n{output}\n{self.logs()}")  # fmt: skip
            time.sleep(2)

    def _foreground(self, term: Terminal, script: str) -> tuple[bool, str]:
        state = self.root / ".state" / str(id(term))
        state.mkdir(parents=True, exist_ok=True)
        full = (f"set -eo pipefail\n{script}\n"
                f'pwd > "{state}/cwd"\nenv -0 > "{state}/env"\n')  # fmt: skip
        proc = subprocess.Popen(["bash", "-c", full], cwd=term.cwd, env=term.env, text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                start_new_session=True)  # fmt: skip
        try:
            stdout, stderr = proc.communicate(timeout=BLOCK_TIMEOUT_S)
        except subprocess.TimeoutExpired:  # the whole group, not only bash
            os.killpg(proc.pid, signal.SIGKILL)
            stdout, stderr = proc.communicate()
            return False, f"{stdout}{stderr}\n(killed after {BLOCK_TIMEOUT_S} s)"
        if proc.returncode != 0:
            return False, stdout + stderr
        term.cwd = Path((state / "cwd").read_text().strip())
        pairs = (item.partition("=") for item in (state / "env").read_text().split("\0") if item)
        term.env = {k: v for k, _, v in pairs if k not in ("_", "PWD", "OLDPWD", "SHLVL")}
        return True, stdout + stderr

    def _start(self, step: Step, term: Terminal, script: str) -> None:
        assert term.process is None or term.process.poll() is not None, "already running"
        log_file = self.root / f"{step.terminal}.{len(term.logs)}.log"
        term.logs.append(log_file)
        with log_file.open("wb") as log:
            term.process = subprocess.Popen(["bash", "-c", f"set -e\n{script}"], cwd=term.cwd,
                                            env=term.env, stdout=log, stderr=subprocess.STDOUT,
                                            start_new_session=True)  # fmt: skip
        until = time.monotonic() + 90
        while step.waits_for and step.waits_for not in log_file.read_text(errors="replace"):
            if term.process.poll() is not None or time.monotonic() > until:
                raise AssertionError(f"terminal {step.terminal}: expected {step.waits_for!r}\n"
                                     f"{self.logs()}")  # fmt: skip
            time.sleep(0.3)

    def stop(self, name: str) -> int | None:
        """Ctrl-C in terminal ``name``: SIGINT to its foreground process group."""
        term = self.terminals[name]
        assert term.process is not None and term.process.poll() is None, f"{name} is not running"
        os.killpg(term.process.pid, signal.SIGINT)
        try:
            return term.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(term.process.pid, signal.SIGKILL)
            return term.process.wait(timeout=10)

    def kill_all(self) -> None:
        for term in self.terminals.values():
            p = term.process
            if p is not None and p.poll() is None:
                for sig in (signal.SIGTERM, signal.SIGKILL):
                    try:
                        os.killpg(p.pid, sig)
                        p.wait(timeout=20)
                        break
                    except (ProcessLookupError, subprocess.TimeoutExpired):
                        continue

    def logs(self) -> str:
        parts = []
        for log in sorted(self.root.glob("*.log")):
            parts.append(f"--- {log.name} (last lines) ---\n"
                         + "\n".join(log.read_text(errors="replace").splitlines()[-25:]))  # fmt: skip
        return "\n".join(parts)


@pytest.fixture
def session(tmp_path: Path) -> Iterator[Session]:
    s = Session(tmp_path)
    try:
        yield s
    finally:
        s.kill_all()


def test_the_guide_has_its_marks() -> None:
    steps = parse_guide(GUIDE.read_text())
    runs = {s.terminal for s in steps if s.kind == "run"}
    assert {"centre", "server", "notary", "court", "custodian-1", "custodian-2", "custodian-3",
            "bidder-a", "bidder-b", "bidder-c"} <= runs  # fmt: skip
    serve = [s for s in steps if s.kind == "run" and "chainwitness serve" in s.script]
    assert len(serve) == 2 and all(s.background for s in serve)  # started, then restarted
    text = GUIDE.read_text()
    for placeholder in ("~/cw-tender", "8700", RPC_PLACEHOLDER, TENDER_REGISTRY_PLACEHOLDER,
                        NOTARY_REGISTRY_PLACEHOLDER, *TIMES):  # fmt: skip
        assert placeholder in text
    # documented in the table of placeholders
    for placeholder in ("~/cw-tender", "8700", RPC_PLACEHOLDER, TENDER_REGISTRY_PLACEHOLDER,
                        NOTARY_REGISTRY_PLACEHOLDER, "+3m", "+13m"):  # fmt: skip
        assert f"`{placeholder}`" in text


def test_a_tender_by_hand_as_the_guide_says(session: Session) -> None:
    started = time.monotonic()
    steps = parse_guide(GUIDE.read_text())
    agents_at_restart: list[int | None] = []
    restarted = False
    final: dict[str, object] | None = None
    i = 0
    while i < len(steps):
        step = steps[i]
        i += 1
        if step.kind == "stop":
            if step.terminal == "server" and not restarted:
                # the service goes away in the middle: the agents must live through it
                assert session.stop("server") is not None
                agents_at_restart = [session.terminals[f"custodian-{n}"].process.poll()  # type: ignore[union-attr]
                                     for n in (1, 2, 3)]  # fmt: skip
                restarted = True
            else:
                if final is None:  # before the end of the guide stops everything
                    op = (session.work / "centre" / "operator.token").read_text().strip()
                    final = httpx.get(f"http://127.0.0.1:{session.port}/v1/tenders/{CODE}",
                                      headers={"Authorization": f"Bearer {op}"},
                                      timeout=30).json()  # fmt: skip
                session.stop(step.terminal)
            continue
        t0 = time.monotonic()
        group = [step]
        while (step.parallel and i < len(steps) and steps[i].parallel
               and steps[i].terminal not in {s.terminal for s in group}):  # fmt: skip
            group.append(steps[i])
            i += 1
        if len(group) == 1:
            session.run(step)
        else:  # separate terminals at the same time, as people would
            with ThreadPoolExecutor(len(group)) as pool:
                for done in [pool.submit(session.run, s) for s in group]:
                    done.result()
        print(f"{t0 - started:6.1f} s +{time.monotonic() - t0:5.1f} s  {step.terminal}: "
              f"{step.script.strip().splitlines()[-1][:70]}")  # fmt: skip
    assert restarted and agents_at_restart == [None, None, None]

    assert final is not None and final["state"] == "awarded", final
    record = final["opening_record"]
    assert isinstance(record, dict)
    assert [b["result"] for b in record["bids"]] == ["opened"] * 3, record
    work = session.work
    centre = work / "centre"
    # the bids opened by themselves and were downloaded under their original names
    opened = centre / "opened-bids"
    for who, doc in (("bidder-a", "投标文件-甲.pdf"), ("bidder-b", "投标文件-乙.pdf"),
                     ("bidder-c", "投标文件-丙.pdf")):  # fmt: skip
        address = json.loads((work / who / "bidder.json.pub.json").read_text())["address"]
        assert (opened / address / doc).read_bytes() == (work / who / doc).read_bytes()
    assert "active" in session.terminals["bidder-a"].outputs[-1]
    # the agents lived through the restart and logged it in one line, no traceback
    for i in (1, 2, 3):
        (log_file,) = session.terminals[f"custodian-{i}"].logs
        log = log_file.read_text()
        assert "Traceback" not in log, log
        assert "released share" in log, log
    # a report, a package that verifies offline and a certificate that verifies on chain
    assert (centre / "链见证报告-GC-2026-0417.pdf").read_bytes().startswith(b"%PDF")
    court = "\n".join(session.terminals["court"].outputs)
    assert "OK" in court
    notary = "\n".join(session.terminals["notary"].outputs)
    assert (work / "notary" / "公证书-GC-2026-0417.pdf").read_bytes().startswith(b"%PDF")
    print(notary)
    print(f"guide run in {time.monotonic() - started:.0f} s")

