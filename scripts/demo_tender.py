"""The tender half of `make demo`: 5 custodians (t = 3), 20 bidders, sealed bids that
open themselves at opening time, a late bid refused by the chain, a custodian offline,
a tampered ciphertext flagged, the opening repeated from the chain, the OCDS record."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import httpx
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.core.errors import EvidenceError
from ledger_service.runtime import Services
from ledger_service.store.tokens import create_token
from ledger_service.tenders.bidder import BidderClient, bidder_public_key
from ledger_service.tenders.custodian import CustodianAgent, HttpDuties

CODE = "GC-2026-0417"
CUSTODIANS = ["交易中心 trading centre", "行业监督 regulator", "公证处 notary office",
              "审计局 audit office", "银行 bank"]  # fmt: skip
N_BIDDERS = 20


def run(services: Services, base: str, work: Path, say: Callable[[str], None]) -> int:
    assert services.client is not None and services.tenders is not None
    root = Path(__file__).resolve().parent.parent
    work.mkdir(parents=True, exist_ok=True)
    engine = services.log_store.engine
    op = {"Authorization": f"Bearer {create_token(engine, 'centre', 'operator')[1]}"}
    http = httpx.Client(base_url=base, timeout=120)
    dev = services.client

    say("8. 密钥托管 Five custodians generate the tender's opening key together (3-of-5)")
    agents = [CustodianAgent.create(name) for name in CUSTODIANS]
    duties = HttpDuties(base, create_token(engine, "custodians", "custodian")[1])
    chains = []
    for a in agents:
        dev.request("anvil_setBalance", [a.address, hex(10**20)])
        client = ChainClient(dev.rpc_url, a.account, None)
        chains.append((client, TenderRegistryContract(client, duties.registry_address())))
    now = services.tenders.chain_time()
    deadline, opening_time = now + 3600, now + 7200
    http.post("/v1/tenders", headers=op, json={
        "code": CODE, "title": "市政道路改造工程 municipal road works", "bid_deadline": deadline,
        "opening_time": opening_time, "threshold": 3,
        "custodians": [{"name": a.name, "address": a.address, "public_key": a.public_key.hex()}
                       for a in agents]}).raise_for_status()  # fmt: skip
    for a, (client, registry) in zip(agents, chains, strict=True):
        a.step(duties, client, registry)
    tender = http.post(f"/v1/tenders/{CODE}/key", headers=op).json()
    print(f"   opening public key {tender['opening_public_key']}: no one holds its secret")

    say("9. 招标文件 Tender documents issued; 20 bidders registered")
    doc = work / "招标文件-GC-2026-0417.pdf"
    doc.write_bytes("招标文件 tender documents\n".encode() * 5000)
    http.post(f"/v1/tenders/{CODE}/documents", headers=op,
              json={"name": doc.name, "sha256": hashlib.sha256(doc.read_bytes()).hexdigest()}
              ).raise_for_status()  # fmt: skip
    bidders = [
        Account.from_key(hashlib.sha256(b"demo bidder %d" % i).digest()) for i in range(N_BIDDERS)
    ]
    for i, b in enumerate(bidders):
        http.post(f"/v1/tenders/{CODE}/bidders", headers=op, json={
            "name": f"投标人 bidder {i + 1:02d}", "address": b.address,
            "public_key": bidder_public_key(b).hex()}).raise_for_status()  # fmt: skip

    say("10. 投标 Bidders seal on their own machines and sign their own commitments")
    bids_dir = work / "bids"
    bids_dir.mkdir()
    receipts = {}
    for i, b in enumerate(bidders[:-1]):
        plain = bids_dir / f"bid-{i + 1:02d}.pdf"
        plain.write_bytes(f"投标报价 bid price {1_000_000 + 7919 * i} CNY\n".encode() * 3000)
        # each bidder holds a token issued in its own address
        client = BidderClient(base, create_token(engine, b.address, "bidder")[1], b)
        client.seal(CODE, plain, bids_dir / f"bid-{i + 1:02d}.pdf.cwseal")
        receipts[b.address] = client.submit(CODE, bids_dir / f"bid-{i + 1:02d}.pdf.cwseal")
    print(f"   {len(receipts)} sealed bids accepted on chain before the deadline")

    say("11. 截止 The deadline passes by chain time: a late bid is refused by the chain")
    dev.request("evm_increaseTime", [deadline - services.tenders.chain_time()])
    dev.request("evm_mine", [])
    late = BidderClient(base, create_token(engine, bidders[-1].address, "bidder")[1], bidders[-1])
    plain = bids_dir / "bid-20-late.pdf"
    plain.write_bytes(b"late bid\n" * 1000)
    late.seal(CODE, plain, bids_dir / "bid-20-late.pdf.cwseal")
    try:
        late.submit(CODE, bids_dir / "bid-20-late.pdf.cwseal")
        print("   the late bid was accepted: WRONG")
        return 1
    except EvidenceError as exc:
        print(f"   refused: {str(exc)[:150]}")

    say("12. 篡改 Someone alters one stored ciphertext (bidder 07)")
    victim = receipts[bidders[6].address]["ciphertext_sha256"]
    path = services.blobs.open(victim)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    say("13. 开标 Opening time: 4 custodians release their shares (one is offline); bids open")
    dev.request("evm_increaseTime", [opening_time - services.tenders.chain_time()])
    dev.request("evm_mine", [])
    for a, (client, registry) in list(zip(agents, chains, strict=True))[:4]:
        a.step(duties, client, registry)
    r = http.post(f"/v1/tenders/{CODE}/open", headers=op)
    r.raise_for_status()
    record = r.json()
    opened = [b for b in record["bids"] if b["result"] == "opened"]
    flagged = [b for b in record["bids"] if b["result"] != "opened"]
    print(f"   {len(opened)} bids opened and matched their commitments, without any bidder present")
    for b in flagged:
        print(f"   flagged: {b['bidder']} {b['result']}: {b['detail'][:90]}")
    expected = {hashlib.sha256((bids_dir / f"bid-{i + 1:02d}.pdf").read_bytes()).hexdigest()
                for i in range(N_BIDDERS - 1) if i != 6}  # fmt: skip
    opened_dir = services.tenders.opening_dir(CODE)
    got = {hashlib.sha256((opened_dir / f"{b['bidder']}-{b['nonce']}.bin").read_bytes()).hexdigest()
           for b in opened}  # fmt: skip
    if got != expected or len(flagged) != 1:
        print("   opening results are not as expected")
        return 1
    record_file = work / "opening-record.json"
    record_file.write_text(json.dumps(record, indent=2, ensure_ascii=False) + "\n")

    say("14. 复核 Anyone repeats the opening from the chain and the ciphertexts alone")
    tender = http.get(f"/v1/tenders/{CODE}").json()
    cmd = [sys.executable, "-m", "ledger_service", "tender", "verify-opening", "--tender", CODE,
           "--rpc", dev.rpc_url, "--registry", tender["chain"]["tender_registry"],
           "--ciphertexts", str(services.settings.blob_dir)]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    print(
        "   $ chainwitness tender verify-opening --tender GC-2026-0417 --rpc ... --ciphertexts ..."
    )
    print("   " + (res.stdout + res.stderr).strip().splitlines()[-1])
    if res.returncode != 0:
        return 1

    say("15. OCDS Open Contracting releases and the compiled record")
    pkg = http.get(f"/v1/tenders/{CODE}/ocds").json()
    ocds_file = work / "ocds-record-package.json"
    ocds_file.write_text(json.dumps(pkg["record_package"], indent=2, ensure_ascii=False) + "\n")
    print(f"   {len(pkg['release_package']['releases'])} releases, each digest in the evidence log;"
          f" compiled record in {ocds_file.relative_to(root)}")  # fmt: skip
    print(f"   opening record in {record_file.relative_to(root)}")
    return 0
