"""`make bench`: performance figures for the evidence log, written to bench/results.json.

Figures (a flat JSON object of numbers; a key keeps its meaning once it exists):
  ingest_library_records_per_s   records/s built (EvidenceRecord.create) and appended through
                                 LogStore.append in batches of 10,000, SQLite (WAL,
                                 synchronous=FULL: durable at return), anchorer running
  ingest_postgres_records_per_s  the same records into LogStore on a fresh PostgreSQL database
                                 (no anchorer); skipped when the server cannot be reached
  ingest_http_records_per_s      records/s through POST /v1/records/batch (uvicorn, loopback)
  anchor_all_1070000_s           seconds from the first library append until a head covering
                                 every record is confirmed on chain, the anchorer running throughout
                                 (anchor_all_<N>_s for another record count N)
  gas_per_record                 anchoring gas spent during that run / records
  gas_per_record_naive           gas of one record per transaction (NaiveRecordStore) on the same anvil
  proof_median_ms                median time of an inclusion proof at the full log size (LogStore)
  proof_median_ms_1m             the same at tree size 1,000,000 through a LogStore opened afresh
                                 on the durable log (its cache of upper levels starts empty);
                                 only when at least 1,000,000 records are ingested
  pymerkle_proof_median_ms       the same through pymerkle 7's in-memory tree on the same leaves
  pymerkle_build_records_per_s   records/s built (EvidenceRecord.create) and appended to
                                 pymerkle 7's InmemoryTree, the peer of ingest_library_records_per_s

  anchor_latency_p50/p95/p99_s   deposit -> confirmed anchored head under a steady 1,000
                                 deposits/s (scripts/bench_latency.py)
  witness_latency_p50/p95/p99_s  deposit -> checkpoint cosigned by 2 of 3 log witnesses
                                 (separate processes), in the same run
  load_*                         sustained HTTP load from wrk at 16 connections on a served
                                 instance (scripts/bench_load.py): deposits and verification
                                 requests/s, p50/p99 ms and errors, /healthz as the peer

Record count: --records N, or the RECORDS environment variable (``make bench RECORDS=20000``).
Smoke run: ``--smoke`` (``make bench SMOKE=1``) runs every group on small sizes (2,000
records unless --records, small bids, 200 tenders, no PostgreSQL) and writes its figures
to bench/results-smoke.json, never to bench/results.json: it proves the benchmark runs
(from a fresh clone too), its figures are not the published ones.
PostgreSQL: CHAINWITNESS_BENCH_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test);
a database is created beside the one named and dropped afterwards.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ledger_service.api.app import create_app
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.runtime import open_services
from ledger_service.settings import MAX_BATCH, Settings
from ledger_service.store.db import make_engine, migrate
from ledger_service.store.log import LogStore
from ledger_service.store.tokens import create_token

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_RECORDS = 1_070_000
SMOKE_RECORDS = 2_000
SMOKE_TENDERS = 200
SMOKE_RESULTS = ROOT / "bench" / "results-smoke.json"
PROOF_SIZE_1M = 1_000_000
#: ours / pymerkle's build rate, measured in the same run (issue 16)
PYMERKLE_RATIO_TARGET = 3.5
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
TARGETS = {
    "ingest_library_records_per_s": (">=", 60_000),
    "proof_median_ms_1m": ("<=", 0.3),
    "anchor_all_1070000_s": ("<=", 60),
    "proof_median_ms": ("<=", 1.0),
    "seal_1gib_peak_rss_mib_above_baseline": ("<=", 64),
    "open_100x20mb_s": ("<=", 5),
    "package_build_1000_s": ("<=", 2),
    "package_verify_1000_s": ("<=", 2),
    "report_render_s": ("<=", 2),
    "anchor_latency_p95_s": ("<=", 2.0),
    "witness_latency_p95_s": ("<=", 5.0),
    "load_deposit_rps": (">=", 1_000),
    "load_deposit_p99_ms": ("<=", 100),
    "load_verify_rps": (">=", 2_000),
    "load_verify_p99_ms": ("<=", 100),
}


def records(start: int, n: int, now: Any) -> list[EvidenceRecord]:
    return [
        EvidenceRecord.create(
            kind="tender.event",
            subject=f"tender:BENCH-{(start + i) // 700:05d}",
            actor="operator:bench",
            digests={"sha256": hashlib.sha256((start + i).to_bytes(8, "big")).hexdigest()},
            metadata={"seq": start + i},
            now=now,
        )
        for i in range(n)
    ]


def progress(label: str, done: int, total: int, t0: float) -> None:
    rate = done / max(time.perf_counter() - t0, 1e-9)
    print(f"\r  {label}: {done:>9,}/{total:,} ({rate:,.0f}/s)", end="", flush=True, file=sys.stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_library_and_anchor(work: Path, total: int, out: dict[str, float]) -> tuple[Any, bytes]:
    from datetime import UTC, datetime

    services = open_services(Settings(data_dir=work / "lib", anchor_interval_s=1.0))
    try:
        assert services.client and services.evidence_log
        anchorer = Anchorer(
            services.log_store,
            services.anchors,
            services.client,
            services.evidence_log,
            interval_s=1.0,
            max_leaves=200_000,
            start_block=services.deployed_at_block,
        )
        now = datetime.now(UTC)
        thread, stop = anchorer.start_thread()
        t0 = time.perf_counter()
        done = 0
        for start in range(0, total, MAX_BATCH):
            # building (validating) the records is part of ingest, so it is timed too
            b = records(start, min(MAX_BATCH, total - start), now)
            services.log_store.append(b)
            done += len(b)
            progress("library ingest", done, total, t0)
        ingest_s = time.perf_counter() - t0
        final = anchorer.wait_anchored(total, timeout=600)
        anchor_all_s = time.perf_counter() - t0
        stop.set()
        thread.join(30)
        print(file=sys.stderr)
        gas = sum(
            services.client.receipt(a.tx_hash).gas_used  # type: ignore[union-attr]
            for a in services.anchors.all()
            if a.status != "dropped"
        )
        out["ingest_library_records_per_s"] = round(total / ingest_s)
        out[f"anchor_all_{total}_s"] = round(anchor_all_s, 2)
        out["anchors_made"] = len(services.anchors.all())
        out["gas_per_record"] = round(gas / total, 4)
        out["gas_anchor_total"] = gas
        assert final.tree_size == total

        # proofs at full size
        rnd = random.Random(7)
        idx = [rnd.randrange(total) for _ in range(2000)]
        times = []
        for i in idx:
            t = time.perf_counter()
            services.log_store.inclusion_proof(i, total)
            times.append((time.perf_counter() - t) * 1000)
        out["proof_median_ms"] = round(statistics.median(times), 4)
        out["proof_p99_ms"] = round(sorted(times)[int(len(times) * 0.99)], 4)
        if total >= PROOF_SIZE_1M:
            out["proof_median_ms_1m"] = proof_median(
                LogStore(services.log_store.engine), PROOF_SIZE_1M
            )

        # naive baseline on the same anvil
        addr, _, _ = services.client.deploy("NaiveRecordStore")
        naive = services.client.contract("NaiveRecordStore", addr)
        used = [
            services.client.send(
                naive.functions.record(hashlib.sha256(b"naive%d" % i).digest())
            ).gas_used
            for i in range(50)
        ]
        out["gas_per_record_naive"] = statistics.median(used)
        return now, services.log_store.head().root
    finally:
        services.close()


def proof_median(store: LogStore, size: int, count: int = 2000) -> float:
    """Median milliseconds of ``count`` inclusion proofs for random leaves at ``size``."""
    rnd = random.Random(11)
    times = []
    for _ in range(count):
        i = rnd.randrange(size)
        t = time.perf_counter()
        store.inclusion_proof(i, size)
        times.append((time.perf_counter() - t) * 1000)
    return round(statistics.median(times), 4)


def bench_postgres(total: int, now: Any, our_root: bytes, out: dict[str, float]) -> None:
    """LogStore on a fresh PostgreSQL database, the same records; roots must agree."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    server = os.environ.get("CHAINWITNESS_BENCH_POSTGRES_URL", POSTGRES_URL)
    admin = create_engine(
        server.replace("postgresql://", "postgresql+psycopg://", 1), isolation_level="AUTOCOMMIT"
    )
    name = f"cw_bench_{os.getpid()}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        print(f"PostgreSQL ingest skipped: {server} unreachable ({exc.orig})", file=sys.stderr)
        admin.dispose()
        return
    try:
        engine = make_engine(make_url(server).set(database=name).render_as_string(False))
        migrate(engine)
        store = LogStore(engine)
        t0 = time.perf_counter()
        for start in range(0, total, MAX_BATCH):
            store.append(records(start, min(MAX_BATCH, total - start), now))
            progress("PostgreSQL ingest", min(start + MAX_BATCH, total), total, t0)
        elapsed = time.perf_counter() - t0
        print(file=sys.stderr)
        if store.head().root != our_root:
            raise SystemExit("the PostgreSQL log's root differs from the SQLite log's")
        out["ingest_postgres_records_per_s"] = round(total / elapsed)
        engine.dispose()
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def bench_pymerkle(total: int, now: Any, our_root: bytes, out: dict[str, float]) -> None:
    """pymerkle 7 on the same leaves (the records' canonical bytes); roots must agree."""
    from pymerkle import InmemoryTree

    tree = InmemoryTree(algorithm="sha256")
    t0 = time.perf_counter()
    for s in range(0, total, MAX_BATCH):
        for r in records(s, min(MAX_BATCH, total - s), now):
            tree.append_entry(r.canonical_bytes())
        progress("pymerkle build", min(s + MAX_BATCH, total), total, t0)
    out["pymerkle_build_records_per_s"] = round(total / (time.perf_counter() - t0))
    print(file=sys.stderr)
    if tree.get_root() != our_root:
        raise SystemExit("pymerkle's root differs from ours on the same leaves")
    rnd = random.Random(7)
    times = []
    for _ in range(200):
        i = rnd.randrange(total)
        t = time.perf_counter()
        tree.prove_inclusion(i + 1, total)
        times.append((time.perf_counter() - t) * 1000)
    out["pymerkle_proof_median_ms"] = round(statistics.median(times), 4)


def bench_http(work: Path, total: int, out: dict[str, float]) -> None:
    services = open_services(Settings(data_dir=work / "http"), chain=False)
    _, token = create_token(services.log_store.engine, "bench", "operator")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(services), host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    try:
        bodies = []
        for s in range(0, total, MAX_BATCH):
            n = min(MAX_BATCH, total - s)
            bodies.append(
                json.dumps(
                    {
                        "records": [
                            {
                                "kind": "tender.event",
                                "subject": f"tender:BENCH-{(s + i) // 700:05d}",
                                "digests": {
                                    "sha256": hashlib.sha256((s + i).to_bytes(8, "big")).hexdigest()
                                },
                                "metadata": {"seq": s + i},
                            }
                            for i in range(n)
                        ]
                    }
                ).encode()
            )
        with httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=120,
            headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        ) as http:
            t0 = time.perf_counter()
            done = 0
            for body in bodies:
                r = http.post("/v1/records/batch", content=body)
                r.raise_for_status()
                done += r.json()["count"]
                progress("HTTP ingest", done, total, t0)
            elapsed = time.perf_counter() - t0
        print(file=sys.stderr)
        out["ingest_http_records_per_s"] = round(total / elapsed)
    finally:
        server.should_exit = True
        thread.join(10)
        services.close()


def main() -> int:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--records",
        type=int,
        default=int(os.environ.get("RECORDS") or DEFAULT_RECORDS),
        help=f"records to ingest (default: $RECORDS, else {DEFAULT_RECORDS:,})",
    )
    ap.add_argument(
        "--http-records", type=int, default=None, help="records through HTTP (default: same)"
    )
    ap.add_argument("--skip-pymerkle", action="store_true")
    ap.add_argument("--smoke", action="store_true", help="every group on small sizes (see above)")
    ap.add_argument("--skip-postgres", action="store_true")
    ap.add_argument(
        "--only",
        choices=["log", "sealing", "witness", "supervision", "load", "latency"],
        help="run one group of figures",
    )
    args = ap.parse_args()
    if args.smoke:
        args.records = int(os.environ.get("RECORDS") or SMOKE_RECORDS)
        args.http_records = args.http_records or min(args.records, 500)
        args.skip_postgres = True
    total = args.records
    if total < 1:
        ap.error(f"expected at least 1 record, found {total}")
    out: dict[str, Any] = {}
    work = Path(
        tempfile.mkdtemp(prefix="cw-bench-", dir=ROOT / "var" if (ROOT / "var").exists() else None)
    )
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        file=sys.stderr,
    )
    try:
        if args.only in (None, "log"):
            now, root = bench_library_and_anchor(work, total, out)
            if not args.skip_postgres:
                bench_postgres(total, now, root, out)
            bench_http(work, args.http_records or total, out)
            if not args.skip_pymerkle:
                bench_pymerkle(total, now, root, out)
            out["records"] = total
        if args.only in (None, "sealing"):
            import bench_sealing

            bench_sealing.run(out, smoke=args.smoke)
        if args.only in (None, "witness"):
            import bench_witness

            bench_witness.run(out)
        if args.only in (None, "latency"):
            import bench_latency

            bench_latency.run(out, seconds=3 if args.smoke else bench_latency.SECONDS)
        if args.only in (None, "load"):
            import bench_load

            bench_load.run(out)
        if args.only in (None, "supervision"):
            import bench_supervision

            bench_supervision.run(
                out,
                work / "supervision.json" if args.smoke else ROOT / "bench" / "supervision.json",
                SMOKE_TENDERS if args.smoke else 10_000,
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results = SMOKE_RESULTS if args.smoke else RESULTS
    results.parent.mkdir(exist_ok=True)
    old: dict[str, Any] = (
        json.loads(results.read_text()) if results.exists() and not args.smoke else {}
    )
    old.update(out)
    results.write_text(json.dumps(old, indent=2, sort_keys=True) + "\n")
    print(json.dumps(out, indent=2, sort_keys=True))
    if args.smoke:
        print(f"smoke run (small sizes): figures in {results}, not comparable with the targets")
    for key, (op, target) in TARGETS.items():
        if key not in out:
            continue
        v = out.get(key)
        ok = v is not None and (v >= target if op == ">=" else v <= target)
        print(f"{key}: {v} (target {op} {target}) {'met' if ok else 'NOT met'}")
    if "seal_mb_per_s" in out:
        floor = 0.7 * min(out["openssl_aes_gcm_mb_per_s"], out["openssl_sha256_mb_per_s"])
        for key in ("seal_mb_per_s", "open_mb_per_s"):
            print(f"{key}: {out[key]} (target >= {floor:.0f}, 70% of the slower openssl figure) "
                  f"{'met' if out[key] >= floor else 'NOT met'}")  # fmt: skip
    if "pymerkle_build_records_per_s" in out:
        ratio = out["ingest_library_records_per_s"] / out["pymerkle_build_records_per_s"]
        print(f"library ingest / pymerkle build: {ratio:.2f}x (target >= {PYMERKLE_RATIO_TARGET}x) "
              f"{'met' if ratio >= PYMERKLE_RATIO_TARGET else 'NOT met'}")  # fmt: skip
    if "gas_per_record" in out:
        ratio = out["gas_per_record_naive"] / max(out["gas_per_record"], 1e-9)
        print(f"gas ratio naive/batched: {ratio:,.0f}x (target >= 1000x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
