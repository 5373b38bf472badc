"""Evidence-package and witness-report figures for `make bench` (issue 4).

package_build_1000_s   build (and self-check) the evidence package of a tender with
                       1,000 event records, all anchored, on the embedded anvil
package_verify_1000_s  verify that package offline with the independent verifier
report_render_s        render and sign (PAdES) the witness report of those 1,000 events
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from ledger_service.core.packages import verify_package
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.packaging import build_package
from ledger_service.reports.ca import init_witness_ca, load_witness_signer
from ledger_service.reports.layout import render_report
from ledger_service.reports.model import NO_TX, ChainRef, EventRow, TreeHeadRef, WitnessReport
from ledger_service.reports.pades import sign_report
from ledger_service.runtime import open_services
from ledger_service.settings import Settings

EVENTS = 1000
PASSWORD = "bench-only password"


def run(out: dict[str, float]) -> None:
    work = Path(tempfile.mkdtemp(prefix="cw-bench-witness-"))
    services = open_services(Settings(data_dir=work))
    try:
        assert services.client and services.evidence_log and services.chain
        records = [
            EvidenceRecord.create(
                kind="tender.bid_submitted", subject="tender:BENCH-1000", actor=f"bidder:{i}",
                digests={"sha256": hashlib.sha256(b"event %d" % i).hexdigest()},
                metadata={"seq": i, "tx_hash": "0x" + f"{i:064x}"},
            )
            for i in range(EVENTS)
        ]  # fmt: skip
        for start in range(0, EVENTS, 100):  # ten anchors: the package carries 10 heads
            services.log_store.append(records[start : start + 100])
            Anchorer(services.log_store, services.anchors, services.client, services.evidence_log,
                     start_block=services.deployed_at_block).step()  # fmt: skip
        t = time.perf_counter()
        data = build_package(services.package_sources(), "tender:BENCH-1000", include_files=False)
        out["package_build_1000_s"] = round(time.perf_counter() - t, 3)
        t = time.perf_counter()
        verify_package(data)
        out["package_verify_1000_s"] = round(time.perf_counter() - t, 3)

        init_witness_ca(work, PASSWORD, "bench")
        signer = load_witness_signer(work, PASSWORD)
        anchor = services.anchors.latest_confirmed()
        assert anchor is not None
        rows = [
            EventRow(time=r.submitted_at[:19] + "Z", event="bid_submitted", label_zh="投标文件递交",
                     label_en="Bid submitted", actor=r.actor, digest=r.digests["sha256"],
                     record_index=i, tx_hash=str(r.metadata["tx_hash"]) if i % 2 else NO_TX)
            for i, r in enumerate(records)
        ]  # fmt: skip
        report = WitnessReport(
            number="CW-2026-000001", kind="tender", subject_code="BENCH-1000",
            subject_title="基准测试 benchmark tender", issued_at=datetime.now(UTC).replace(microsecond=0),
            chain=ChainRef(services.chain.chain_id, services.chain.evidence_log, None),
            head=TreeHeadRef(anchor.tree_size, anchor.root.hex(), anchor.tx_hash, anchor.block_number,
                             datetime.fromtimestamp(anchor.block_time, UTC)),
            events=rows, opening=None, verify_url="http://127.0.0.1:8700/verify?report=CW-2026-000001",
        )  # fmt: skip
        t = time.perf_counter()
        sign_report(render_report(report), signer, reason="bench", location="bench")
        out["report_render_s"] = round(time.perf_counter() - t, 3)
    finally:
        services.close()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    figures: dict[str, float] = {}
    run(figures)
    print(figures)
