"""Sustained HTTP load on a served instance: deposits and public verification.

A real ``chainwitness serve`` (its own data directory and anvil) on loopback, driven by
``wrk`` (Debian's package: a C load generator, so the client costs little of the two
cores) at 16 connections for a bounded time per phase:

  load_deposit_rps / _p50_ms / _p99_ms / _errors   POST /v1/records, a distinct record
                                                   per request, operator token
  load_verify_rps / _p50_ms / _p99_ms / _errors    GET /v1/verify/{sha256} over digests
                                                   the deposit phase recorded
  load_healthz_rps                                 GET /healthz: the peer figure, what
                                                   this HTTP stack serves on this machine
                                                   when a route does nearly nothing

Errors are non-2xx answers plus socket errors. Without wrk (and no apt-get to install
it) the phase is skipped with one line.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
CONNECTIONS = 16
DURATION_S = int(os.environ.get("LOAD_SECONDS") or 10)

_COMMON_LUA = r"""
done = function(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write
    + summary.errors.status + summary.errors.timeout
  io.stderr:write(string.format(
    "WRKJSON {\"requests\": %d, \"duration_us\": %d, \"errors\": %d, \"non2xx\": %d, "
    .. "\"p50_us\": %d, \"p99_us\": %d, \"max_us\": %d}\n",
    summary.requests, summary.duration, errors, summary.errors.status,
    latency:percentile(50), latency:percentile(99), latency.max))
end
"""

_DEPOSIT_LUA = r"""
local n = 0
local id = 0
setup = function(thread) id = id + 1; thread:set("tid", id) end
local headers = {}
init = function(args)
  headers["Authorization"] = "Bearer " .. os.getenv("CW_TOKEN")
  headers["Content-Type"] = "application/json"
end
request = function()
  n = n + 1
  local body = string.format(
    '{"kind":"bench.load","subject":"load:%d","digests":{"sha256":"%016x%048x"},'
    .. '"metadata":{"n":%d}}', tid, tid, n, n)
  return wrk.format("POST", "/v1/records", headers, body)
end
"""

_VERIFY_LUA = r"""
local digests = {}
init = function(args)
  for line in io.lines(os.getenv("CW_DIGESTS")) do digests[#digests + 1] = line end
end
local i = 0
request = function()
  i = i % #digests + 1
  return wrk.format("GET", "/v1/verify/" .. digests[i])
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_wrk() -> str | None:
    """wrk's path, installing Debian's package when apt-get is available."""
    found = shutil.which("wrk")
    if found is None and shutil.which("apt-get") and os.geteuid() == 0:
        print("installing wrk (Debian package) for the load figures", file=sys.stderr)
        env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env,
                       capture_output=True, check=False)  # fmt: skip
        found = shutil.which("wrk")
    return found


def _wrk(wrk: str, url: str, script: str, env: dict[str, str]) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        f.write(script + _COMMON_LUA)
    try:
        proc = subprocess.run(
            [wrk, "-t2", f"-c{CONNECTIONS}", f"-d{DURATION_S}s", "--timeout", "5s",
             "-s", f.name, url],
            env=os.environ | env, capture_output=True, text=True, timeout=DURATION_S + 60,
        )  # fmt: skip
    finally:
        os.unlink(f.name)
    line = next((x for x in proc.stderr.splitlines() if x.startswith("WRKJSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk gave no summary: {proc.stdout[-400:]} {proc.stderr[-400:]}")
    stats: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    return stats


def _figures(prefix: str, stats: dict[str, Any], out: dict[str, Any]) -> None:
    seconds = stats["duration_us"] / 1e6
    out[f"{prefix}_rps"] = round(stats["requests"] / seconds)
    out[f"{prefix}_p50_ms"] = round(stats["p50_us"] / 1000, 2)
    out[f"{prefix}_p99_ms"] = round(stats["p99_us"] / 1000, 2)
    out[f"{prefix}_errors"] = stats["errors"]


def run(out: dict[str, Any]) -> None:
    wrk = ensure_wrk()
    if wrk is None:
        print("load figures skipped: wrk not installed (apt-get install wrk)", file=sys.stderr)
        return
    chainwitness = str(Path(sys.executable).with_name("chainwitness"))
    work = Path(tempfile.mkdtemp(prefix="cw-load-"))
    data = work / "svc"
    port = _free_port()
    env = os.environ | {"CHAINWITNESS_DATA_DIR": str(data)}
    try:
        token = subprocess.run(
            [chainwitness, "token", "create", "--role", "operator", "--name", "load"],
            env=env, capture_output=True, text=True, check=True,
        ).stdout.strip()  # fmt: skip
        log = (work / "serve.log").open("wb")
        server = subprocess.Popen([chainwitness, "serve", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        base = f"http://127.0.0.1:{port}"
        try:
            until = time.monotonic() + 120
            while True:
                try:
                    if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                if server.poll() is not None or time.monotonic() > until:
                    raise RuntimeError(f"serve did not start: see {work / 'serve.log'}")
                time.sleep(0.2)
            print(f"load: {CONNECTIONS} connections, {DURATION_S} s per phase", file=sys.stderr)
            _figures("load_deposit", _wrk(wrk, base, _DEPOSIT_LUA, {"CW_TOKEN": token}), out)
            digests = work / "digests.txt"
            # the digests the deposit phase recorded (thread ids 1 and 2, counters from 1)
            per = max(1, min(5000, out["load_deposit_rps"] * DURATION_S // 4))
            digests.write_text("".join(
                f"{t:016x}{n:048x}\n" for t in (1, 2) for n in range(1, per + 1)))  # fmt: skip
            _figures("load_verify", _wrk(wrk, base, _VERIFY_LUA, {"CW_DIGESTS": str(digests)}),
                     out)  # fmt: skip
            health = _wrk(wrk, base + "/healthz", "", {})
            out["load_healthz_rps"] = round(health["requests"] / (health["duration_us"] / 1e6))
            found = httpx.get(f"{base}/v1/verify/{1:016x}{1:048x}", timeout=5)
            assert found.status_code == 200, f"a deposited digest was not found: {found.text}"
        finally:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
            log.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    out["load_connections"] = CONNECTIONS
    out["load_seconds_per_phase"] = DURATION_S


if __name__ == "__main__":
    figures: dict[str, Any] = {}
    run(figures)
    print(json.dumps(figures, indent=2, sort_keys=True))
