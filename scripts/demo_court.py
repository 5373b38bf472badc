"""The retrieval half of `make demo` (issue 4): a signed witness report, a court's
evidence package verified by the independent verifier with no database, and an
electronic contract signed by its parties with their own keys."""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
from eth_account import Account

from ledger_service.chain.eip712 import sign_typed
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.reports.ca import WitnessPaths, load_cert
from ledger_service.reports.pades import verify_report
from ledger_service.runtime import Services
from ledger_service.store.tokens import create_token

CODE = "GC-2026-0417"


def run(services: Services, anchorer: Anchorer, base: str, work: Path,
        say: Callable[[str], None], policy: Path | None = None) -> int:  # fmt: skip
    root = Path(__file__).resolve().parent.parent
    engine = services.log_store.engine
    op = {"Authorization": f"Bearer {create_token(engine, 'centre', 'operator')[1]}"}
    court = {"Authorization": f"Bearer {create_token(engine, '中级人民法院 court', 'court')[1]}"}
    http = httpx.Client(base_url=base, timeout=300)

    say(
        "16. 电子合同见证 The winning bidder and the tenderee sign the contract with their own keys"
    )
    tenderee = Account.from_key(hashlib.sha256(b"demo tenderee").digest())
    winner = Account.from_key(hashlib.sha256(b"demo bidder 0").digest())
    contract_doc = hashlib.sha256("施工合同 construction contract".encode()).hexdigest()
    http.post("/v1/contracts", headers=op, json={
        "code": "HT-2026-0088", "document_sha256": contract_doc, "document_name": "施工合同.pdf",
        "parties": [{"name": "招标人 tenderee", "address": tenderee.address},
                    {"name": "中标人 winner", "address": winner.address}],
        "amount_fen": 128_000_000_00, "date": "2026-12-01",
        "terms_sha256": hashlib.sha256(b"terms").hexdigest()}).raise_for_status()  # fmt: skip
    typed = http.get("/v1/contracts/HT-2026-0088/typed-data", headers=op).json()
    for party in (tenderee, winner):
        http.post("/v1/contracts/HT-2026-0088/signatures", headers=op, json={
            "party": party.address, "signature": sign_typed(party, typed).hex()}).raise_for_status()  # fmt: skip
    view = http.get("/v1/contracts/HT-2026-0088", headers=op).json()
    print(f"   complete: {view['complete']}; signatures on chain: "
          f"{sum(p['signed'] for p in view['parties'])}/2")  # fmt: skip

    anchorer.wait_anchored(services.log_store.head().size, timeout=60)

    say("17. 链见证报告 A signed, bilingual witness report of the tender")
    r = http.post("/v1/reports", headers=op, json={"subject": f"tender:{CODE}"})
    r.raise_for_status()
    number = r.json()["number"]
    pdf = http.get(f"/v1/reports/{number}/pdf", headers=court).content
    report_file = work / f"{number}.pdf"
    report_file.write_bytes(pdf)
    check = verify_report(pdf, load_cert(WitnessPaths.under(services.settings.data_dir).ca_cert))
    print(f"   {report_file.relative_to(root)}: PAdES signature intact={check.intact} "
          f"trusted={check.trusted} whole file={check.covers_whole_file}")  # fmt: skip
    if not check.ok:
        return 1

    anchorer.wait_anchored(services.log_store.head().size, timeout=60)
    say("18. 链上取证 A court retrieves the tender's evidence package and verifies it offline")
    r = http.post("/v1/court/packages", headers=court, json={"subject": f"tender:{CODE}"})
    if r.status_code >= 400:
        print(f"   the package was refused: {r.json().get('detail')}")
        return 1
    package = work / f"evidence-{CODE}.zip"
    package.write_bytes(http.get(r.json()["download"], headers=court).content)
    cmd = [sys.executable, "-m", "ledger_service", "verify", str(package),
           "--rpc", services.client.rpc_url if services.client else ""]  # fmt: skip
    if policy is not None:
        cmd += ["--policy", str(policy)]
    res = subprocess.run(
        cmd, capture_output=True, text=True, cwd=root, env={"PATH": "/usr/bin:/bin"}
    )
    lines = (res.stdout + res.stderr).strip().splitlines()
    pinned = " --policy trust-policy.json" if policy is not None else ""
    print(f"   $ chainwitness verify {package.relative_to(root)}{pinned} --rpc ...   (no database)")
    # the pinned chain and contract, the newest head's cosigned checkpoint, the chain's check
    checkpoints = [x for x in lines if "checkpoints/" in x]
    on_time = [x for x in lines if ": on time: bid by" in x]
    shown = [x for x in lines if "pinned ones" in x] + checkpoints[-1:] + on_time[:1]
    if on_time:
        shown.append(f"... {len(on_time)} bids on time by witnessed time (step 8a)")
    shown += lines[-3:]
    for line in shown:
        print("   " + line)
    if res.returncode != 0:
        return 1
    print(f"   package {package.stat().st_size} bytes; the retrieval is itself on record "
          f"(custody record {r.json()['custody_record']})")  # fmt: skip
    return 0
