"""Steps 15b and 15c of `make demo` (智慧监管): the collusion ring planted in the tender is found from
the signals captured at upload and opening, its alert is an evidence record with proofs,
the regulator confirms it; then the tamper watch catches a record changed in the
"trading system" behind the log's back."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx

from ledger_service.core.proofs import InclusionProof
from ledger_service.runtime import Services
from ledger_service.store.tokens import create_token

#: the ring: bidders 03, 04 and 05 (indices), one laptop, one file lineage, prices in step
RING = (2, 3, 4)
RING_DEVICE = "ring-laptop-7f3a"
RING_FILE_ID = "c0ffee00a11ce5b0b5ca1ab1e0ddba11"


def price_of(i: int) -> int:
    """Honest prices scatter below 1,090,000; the ring's three climb by exactly 21,000 above."""
    if i in RING:
        return 1_120_000 + 21_000 * RING.index(i)
    return (
        1_000_000
        + int.from_bytes(hashlib.sha256(b"price %d" % i).digest()[:4]) % 90_000 // 100 * 100
    )


def device_of(i: int) -> str:
    return RING_DEVICE if i in RING else hashlib.sha256(b"device %d" % i).hexdigest()[:32]


def bid_document(i: int) -> bytes:
    """Bidder ``i``'s bid. Honest bidders write their own text; the ring's PDFs are copies
    of one file saved under another name (the /ID's first element and the creation id stay)."""
    body = "".join(
        f"施工方案 {i} {hashlib.sha256(b'%d/%d' % (i, j)).hexdigest()}\n" for j in range(2000)
    )
    if i not in RING:
        return f"投标函 bidder {i + 1:02d}\n投标报价：{price_of(i):,}元\n{body}".encode()
    second = hashlib.sha256(b"save %d" % i).hexdigest()[:32]
    return (b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n2 0 obj\n<< /Length "
            + str(len(body.encode())).encode() + b" >>\nstream\n" + body.encode() + b"\nendstream\n"
            b"endobj\n3 0 obj\n<< /Author (Hengda Bid Office) /Creator (BidMaker 3.2) "
            b"/CreationID (MC-5A3F-0091) /BidPrice (" + str(price_of(i)).encode() + b") >>\nendobj\n"
            b"trailer\n<< /Size 4 /Root 1 0 R /Info 3 0 R /ID [<" + RING_FILE_ID.encode() + b"> <"
            + second.encode() + b">] >>\n%%EOF\n")  # fmt: skip


def run(services: Services, base: str, work: Path, say: Callable[[str], None], code: str,
        ring: list[str]) -> int:  # fmt: skip
    engine = services.log_store.engine
    reg = {"Authorization": f"Bearer {create_token(engine, '行业监督 regulator', 'regulator')[1]}"}
    op_token = create_token(engine, "trading system", "operator")[1]
    http = httpx.Client(base_url=base, timeout=120)

    say(
        "15b. 智慧监管 The regulator scans the tender: the planted ring is named, with its evidence"
    )
    res = http.post(f"/v1/supervision/tenders/{code}/scan", headers=reg)
    res.raise_for_status()
    alert = res.json()["alert"]
    print(f"   alert record {alert['record_index']}: severity {alert['severity']}, score "
          f"{alert['score']} (alert at {alert['weights']['alert_at']}); rules {alert['points']}")  # fmt: skip
    ring_set = {r.lower() for r in ring}
    named = []
    for h in alert["hits"]:
        if {p.lower() for p in h["parties"]} == ring_set:
            named.append(h["rule"])
            what = h["detail"].get("identifier") or h["zh"].split("：")[-1]
            print(f"   - {h['rule']} ({alert['points'][h['rule']]} points): {what}; "
                  f"evidence records {h['refs']}")  # fmt: skip
    for h in alert["hits"]:
        if h["rule"] in ("shared_ip", "submission_timing"):
            print(f"   - ({h['rule']}: every bidder uploaded from this one demo machine, so all "
                  f"{len(h['parties'])} share it: honest noise, weighed as such)")  # fmt: skip
            break
    wanted = {"shared_device", "shared_pdf_id", "shared_creation_id", "price_progression"}
    if not wanted <= set(named):
        print(f"   the ring's alert does not name {sorted(wanted - set(named))}: WRONG")
        return 1
    shown = http.get(f"/v1/supervision/alerts/{alert['record_index']}", headers=reg).json()
    InclusionProof.from_json(shown["proof"]).verify()
    for ev in shown["evidence_records"]:
        InclusionProof.from_json(ev["proof"]).verify()
    print(f"   the alert and its {len(shown['evidence_records'])} evidence records each verify "
          f"against the log's head (inclusion proofs)")  # fmt: skip
    public = http.get(f"/v1/records/{alert['record_index']}")
    print(
        f"   the public cannot read the alert: {public.status_code} (a suspicion is not a finding)"
    )
    done = http.post(f"/v1/supervision/alerts/{alert['record_index']}/dispositions", headers=reg,
                     json={"decision": "confirmed",
                           "reason": "同一设备、同一文件来源、报价等差：移交调查 referred for investigation"})  # fmt: skip
    done.raise_for_status()
    print(f"   the regulator confirms it: disposition record {done.json()['record_index']}")

    say("15c. 篡改监测 The trading system's bid table changes behind the log's back")
    opening = http.get(f"/v1/tenders/{code}", headers=reg).json()["opening_record"]
    table = [{"id": f"{code}/{b['bidder']}", "bidder": b["bidder"], "tender": code,
              "status": b["result"], "plaintext_size": b["plaintext_size"] or 0}
             for b in opening["bids"]]  # fmt: skip
    op = {"Authorization": f"Bearer {op_token}"}
    http.post("/v1/supervision/trading-records", headers=op,
              json={"source": "bids", "records": table}).raise_for_status()  # fmt: skip
    print(f"   the trading system recorded its {len(table)} bid rows in the log")
    changed = [dict(r) for r in table]
    changed[0]["status"] = "disqualified"  # someone edits the live database
    export = work / "trading-export.json"
    export.write_text(json.dumps(changed, ensure_ascii=False, indent=1))
    cmd = [sys.executable, "-m", "ledger_service", "supervise", "tamper-watch", str(export),
           "--source", "bids", "--server", base, "--token", reg["Authorization"].split()[1]]  # fmt: skip
    out = subprocess.run(cmd, capture_output=True, text=True)
    print("   $ chainwitness supervise tamper-watch trading-export.json --source bids")
    for line in out.stdout.strip().splitlines():
        print("   " + line)
    if out.returncode != 3 or "/status" not in out.stdout:
        print(f"   the tamper watch did not flag the change: WRONG ({out.stderr.strip()[:200]})")
        return 1
    return 0
