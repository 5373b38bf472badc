"""Deposit -> anchored head latency under a steady deposit rate, for `make bench` (issue 16).

  anchor_latency_p50_s / _p95_s / _p99_s   seconds from a deposit's durable append until
                                           a head covering it is confirmed on chain (and,
                                           as `serve` does, the node's state holding it
                                           is saved), over every deposit of the run
  witness_latency_p50_s / _p95_s / _p99_s  seconds from the append until a checkpoint
                                           covering it is cosigned by k = 2 of the n = 3
                                           log witnesses (separate processes, their own
                                           keys, on loopback)
  anchor_latency_rate_per_s                the deposit rate the client kept
  anchor_latency_seconds                   how long the steady phase ran

The client appends 10 records every 10 ms (LATENCY_RATE deposits/s, default 1,000) for
LATENCY_SECONDS (default 20) through LogStore.append on the embedded SQLite log, with
the service's own Anchorer on the embedded anvil (default interval 1 s, 0
confirmations). A poller reads the latest confirmed anchor every 10 ms: that poll
interval bounds the figures' resolution.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import demo_witnesses

from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.runtime import open_services
from ledger_service.settings import Settings

QUORUM = 2
RATE = int(os.environ.get("LATENCY_RATE") or 1000)
SECONDS = float(os.environ.get("LATENCY_SECONDS") or 20)
TICK_S = 0.01
POLL_S = 0.01


def _batch(start: int, n: int, now: datetime) -> list[EvidenceRecord]:
    return [
        EvidenceRecord.create(kind="bench.latency", subject=f"latency:{start + i}",
                              actor="bench", digests={"sha256": f"{start + i:064x}"}, now=now)
        for i in range(n)
    ]  # fmt: skip


def run(out: dict[str, Any], seconds: float = SECONDS) -> None:
    work = Path(tempfile.mkdtemp(prefix="cw-bench-latency-"))
    try:
        with demo_witnesses.witnesses(work / "witnesses", work / "svc") as ws:
            _run(work, ws, out, seconds)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _latencies(appended: list[tuple[int, int, float]], covered: list[tuple[int, float]],
               what: str) -> list[float]:  # fmt: skip
    out: list[float] = []
    j = 0
    for first, count, at in appended:
        while j < len(covered) and covered[j][0] < first + count:
            j += 1
        if j == len(covered):
            raise RuntimeError(f"records from {first} were never seen {what}")
        out += [covered[j][1] - at] * count
    return sorted(out)


def _figures(prefix: str, latencies: list[float], out: dict[str, Any]) -> None:
    q = statistics.quantiles(latencies, n=100)
    out[f"{prefix}_p50_s"] = round(statistics.median(latencies), 3)
    out[f"{prefix}_p95_s"] = round(q[94], 3)
    out[f"{prefix}_p99_s"] = round(q[98], 3)


def _run(work: Path, ws: list[Any], out: dict[str, Any], seconds: float) -> None:
    services = open_services(Settings(
        data_dir=work / "svc", log_origin=demo_witnesses.ORIGIN,
        witnesses=[w.setting for w in ws], witness_quorum=QUORUM,
    ))  # fmt: skip
    try:
        assert services.client and services.evidence_log and services.node
        s = services.settings
        anchorer = Anchorer(
            services.log_store, services.anchors, services.client, services.evidence_log,
            interval_s=s.anchor_interval_s, max_leaves=s.anchor_max_leaves,
            confirmations=s.confirmations, start_block=services.deployed_at_block,
            make_durable=services.node.save_state,
            # a checkpoint of every anchored head, cosigned by the witnesses
            on_head=services.publisher.ensure if services.publisher else None,
        )  # fmt: skip
        thread, stop = anchorer.start_thread()
        appended: list[tuple[int, int, float]] = []  # (first index, count, time)
        covered: list[tuple[int, float]] = []  # (confirmed size, first time seen)
        witnessed: list[tuple[int, float]] = []  # (size cosigned by k, first time seen)
        done = threading.Event()

        def poll() -> None:
            last = last_w = 0
            while not done.is_set():
                info = services.anchors.latest_confirmed()
                if info is not None and info.tree_size > last:
                    last = info.tree_size
                    covered.append((last, time.perf_counter()))
                cp = services.checkpoints.latest_cosigned(QUORUM)
                if cp is not None and cp.tree_size > last_w:
                    last_w = cp.tree_size
                    witnessed.append((last_w, time.perf_counter()))
                time.sleep(POLL_S)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        per_tick = max(1, round(RATE * TICK_S))
        now = datetime.now(UTC)
        t0 = time.perf_counter()
        n = 0
        next_tick = t0
        while time.perf_counter() - t0 < seconds:
            result = services.log_store.append(_batch(n, per_tick, now))
            appended.append((result.first_index, per_tick, time.perf_counter()))
            n += per_tick
            next_tick += TICK_S
            delay = next_tick - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        elapsed = time.perf_counter() - t0
        total = n
        anchorer.wait_anchored(total, timeout=120)
        deadline = time.perf_counter() + 30
        # both seen by the poller (a head is cosigned before its anchor counts confirmed)
        while time.perf_counter() < deadline and not all(
            seen and seen[-1][0] >= total for seen in (covered, witnessed)
        ):
            time.sleep(POLL_S)
        done.set()
        poller.join(5)
        stop.set()
        thread.join(30)
        _figures("anchor_latency", _latencies(appended, covered, "anchored"), out)
        _figures("witness_latency", _latencies(appended, witnessed, "witnessed"), out)
        out["anchor_latency_rate_per_s"] = round(total / elapsed)
        out["anchor_latency_seconds"] = round(elapsed, 1)
        print(f"latency: {total:,} deposits at {total / elapsed:,.0f}/s, p95 anchored "
              f"{out['anchor_latency_p95_s']} s, witnessed {out['witness_latency_p95_s']} s",
              file=sys.stderr)  # fmt: skip
    finally:
        services.close()


if __name__ == "__main__":
    import json

    figures: dict[str, Any] = {}
    run(figures)
    print(json.dumps(figures, indent=2, sort_keys=True))
