"""The tender half of `make demo`: 5 custodians (t = 3), 20 bidders, sealed bids that
open themselves at opening time, a late bid refused by the chain, a custodian offline,
a tampered ciphertext flagged, the opening repeated from the chain, the OCDS record.

It runs on real time (no warp of the dev chain): the deadlines are seconds apart, and
every party uses its own clock. Each custodian agent reads only its configured chain,
pins the trust policy and releases only when its own clock, chain time and the
witnessed time (a checkpoint the independent witnesses cosign now) agree; each bidder
checks that the witnesses saw its bid before the deadline."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import demo_supervision
import httpx
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.core.errors import EvidenceError
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.evidence.checkpointing import FRESH_S
from ledger_service.runtime import Services
from ledger_service.store.tokens import create_token
from ledger_service.tenders.bidder import BidderClient, ChainTrust, bidder_public_key
from ledger_service.tenders.custodian import AgentRun, CustodianAgent, HttpRelay
from ledger_service.tenders.watcher import TenderWatcher

CODE = "GC-2026-0417"
CUSTODIANS = ["交易中心 trading centre", "行业监督 regulator", "公证处 notary office",
              "审计局 audit office", "银行 bank"]  # fmt: skip
N_BIDDERS = 20


#: seconds from the announcement to each deadline (real time; generous for slow machines)
DEALING_S, COMPLAINT_S, BID_S, OPENING_S = 8, 14, 60, 65


class RegistryView:
    """What anyone reads from the chain (a throwaway account, no service)."""

    def __init__(self, dev: ChainClient, registry: str) -> None:
        client = ChainClient(dev.rpc_url, Account.create(), dev.chain_id)
        self._registry = TenderRegistryContract(client, registry)

    def bidders(self, code: str) -> list[str]:
        return [str(a) for a in self._registry.bidders(tender_id_bytes(code))]


def _wait_until(dev: ChainClient, t: int, what: str) -> None:
    """Wait on the real clock until ``t``, then mine a block at that time."""
    left = t - time.time()
    if left > 0:
        print(f"   (waiting {left:.0f} s for the {what})")
        time.sleep(left)
    dev.request("evm_mine", [])


def run(
    services: Services, base: str, work: Path, say: Callable[[str], None], policy_file: Path
) -> int:
    assert services.client is not None and services.tenders is not None
    root = Path(__file__).resolve().parent.parent
    work.mkdir(parents=True, exist_ok=True)
    engine = services.log_store.engine
    op = {"Authorization": f"Bearer {create_token(engine, 'centre', 'operator')[1]}"}
    http = httpx.Client(base_url=base, timeout=120)
    dev = services.client

    registry = services.tenders.registry_address
    watcher = TenderWatcher(services.tenders)

    say("8. 密钥托管 Five custodians register their own keys and generate the opening key (3-of-5)")
    policy = TrustPolicy.from_bytes(policy_file.read_bytes())
    agents = [CustodianAgent.create(name) for name in CUSTODIANS]
    runs = []
    for a in agents:
        dev.set_dev_balance(a.address, 10**20)
        # each custodian's token is issued in its own address: it relays only as itself
        relay = HttpRelay(base, create_token(engine, a.address, "custodian")[1])
        # its own clock (time.time), its own chain endpoint, the pinned witnesses
        run_ = AgentRun.connect(a, dev.rpc_url, registry, dev.chain_id, relay,
                                witnessed_time=relay.witnessed_time(policy))  # fmt: skip
        a.register_key(run_.registry)
        runs.append(run_)
    dev.request("evm_mine", [])
    now = max(int(time.time()), services.tenders.chain_time())
    dealing, complaints = now + DEALING_S, now + COMPLAINT_S
    deadline, opening_time = now + BID_S, now + OPENING_S
    http.post("/v1/tenders", headers=op, json={
        "code": CODE, "title": "市政道路改造工程 municipal road works",
        "dealing_deadline": dealing, "complaint_deadline": complaints, "bid_deadline": deadline,
        "opening_time": opening_time, "threshold": 3,
        "custodians": [{"name": a.name, "address": a.address} for a in agents]}).raise_for_status()  # fmt: skip

    print(f"   deadlines (real time, seconds from now): dealings {DEALING_S}, complaints "
          f"{COMPLAINT_S}, bids {BID_S}, opening {OPENING_S}")  # fmt: skip
    for run_ in runs:
        run_.step()  # signed dealings with proofs of knowledge, relayed by the service
    _wait_until(dev, complaints, "complaint deadline")
    for run_ in runs:
        run_.step()  # each approves the key it computed itself; the 3rd approval finalizes it
    tender = http.get(f"/v1/tenders/{CODE}").json()
    print(f"   opening public key {tender['opening_public_key']}: approved on chain by custodians")

    say("9. 招标文件 Tender documents issued; 20 bidders registered under pseudonyms")
    doc = work / "招标文件-GC-2026-0417.pdf"
    doc.write_bytes("招标文件 tender documents\n".encode() * 5000)
    http.post(f"/v1/tenders/{CODE}/documents", headers=op,
              json={"name": doc.name, "sha256": hashlib.sha256(doc.read_bytes()).hexdigest()}
              ).raise_for_status()  # fmt: skip
    bidders = [
        Account.from_key(hashlib.sha256(b"demo bidder %d" % i).digest()) for i in range(N_BIDDERS)
    ]
    trust = ChainTrust(dev.rpc_url, dev.chain_id, registry, tuple(a.address for a in agents),
                       policy=policy)  # fmt: skip
    clients = []
    for i, b in enumerate(bidders):
        # each bidder holds a token issued in its own address and pins the chain
        client = BidderClient(base, create_token(engine, b.address, "bidder")[1], b, trust)
        http.post(f"/v1/tenders/{CODE}/bidders", headers=op, json={
            "name": f"投标人 bidder {i + 1:02d}", "address": b.address,
            "public_key": bidder_public_key(b).hex(),
            "pseudonym": client.pseudonym(CODE).address}).raise_for_status()  # fmt: skip
        clients.append(client)

    say("10. 投标 Bidders check the key on their own chain, seal, and sign their own commitments")
    bids_dir = work / "bids"
    bids_dir.mkdir()
    receipts = {}
    for i, (b, client) in enumerate(zip(bidders[:-1], clients[:-1], strict=True)):
        plain = bids_dir / f"bid-{i + 1:02d}.pdf"
        plain.write_bytes(demo_supervision.bid_document(i))  # bidders 03-05: a planted ring
        client.seal(CODE, plain, bids_dir / f"bid-{i + 1:02d}.pdf.cwseal")
        receipts[b.address] = client.submit(CODE, bids_dir / f"bid-{i + 1:02d}.pdf.cwseal",
                                            device=demo_supervision.device_of(i))  # fmt: skip
    print(f"   {len(receipts)} sealed bids accepted on chain; the chain names no bidder: "
          f"bidders() = {RegistryView(dev, registry).bidders(CODE)}")  # fmt: skip
    witnessed = [c.on_time(CODE, receipts[b.address], wait_s=60)
                 for b, c in zip(bidders[:-1], clients[:-1], strict=True)]  # fmt: skip
    latest = max(w.witnessed_time for w in witnessed)
    print(f"   each bidder checked on its own that {witnessed[0].k} of {witnessed[0].n} pinned "
          f"witnesses cosigned its bid before the deadline (latest {deadline - latest} s early; "
          f"bidder 01 by {', '.join(witnessed[0].cosigned_by)})")  # fmt: skip

    say("11. 截止 The deadline passes: a late bid is refused by the chain")
    _wait_until(dev, deadline, "bid deadline")
    late = clients[-1]
    plain = bids_dir / "bid-20-late.pdf"
    plain.write_bytes(b"late bid\n" * 1000)
    late.seal(CODE, plain, bids_dir / "bid-20-late.pdf.cwseal")
    try:
        late.submit(CODE, bids_dir / "bid-20-late.pdf.cwseal")
        print("   the late bid was accepted: WRONG")
        return 1
    except EvidenceError as exc:
        print(f"   refused: {str(exc)[:150]}")
    watcher.step()  # closes bidding and reveals the sealed bids on chain
    print(f"   {services.tenders.revealed_count(CODE)} bids revealed on chain after the deadline")

    say("12. 篡改 Someone alters one stored ciphertext (bidder 07)")
    victim = receipts[bidders[6].address]["ciphertext_sha256"]
    path = services.blobs.open(victim)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    path.write_bytes(bytes(data))

    say("13. 开标 Opening time: 4 custodians release their shares (one is offline); bids open")
    _wait_until(dev, opening_time + 1, "opening time")
    time.sleep(FRESH_S)  # a fresh checkpoint made after the opening time
    for run_ in runs[:4]:
        run_.step()
        print(f"   {run_.agent.name} checked on its own before releasing:")
        for line in next(iter(run_.checks.values())):
            print(f"     - {line}")
    if watcher.step() != [CODE]:
        print("   the tender did not open itself")
        return 1
    record = json.loads(
        json.dumps(http.get(f"/v1/tenders/{CODE}", headers=op).json()["opening_record"])
    )
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
    cmd = [sys.executable, "-m", "ledger_service", "tender", "verify-opening", "--tender", CODE,
           "--rpc", dev.rpc_url, "--policy", str(policy_file),
           "--ciphertexts", str(services.settings.blob_dir)]  # fmt: skip
    res = subprocess.run(cmd, capture_output=True, text=True, cwd=root)
    print("   $ chainwitness tender verify-opening --tender GC-2026-0417 --rpc ... "
          "--policy trust-policy.json --ciphertexts ...")  # fmt: skip
    for line in (res.stdout + res.stderr).strip().splitlines()[-2:]:
        print("   " + line)
    if res.returncode != 0:
        return 1

    say("15. OCDS Open Contracting releases and the compiled record")
    pkg = http.get(f"/v1/tenders/{CODE}/ocds").json()
    ocds_file = work / "ocds-record-package.json"
    ocds_file.write_text(json.dumps(pkg["record_package"], indent=2, ensure_ascii=False) + "\n")
    print(f"   {len(pkg['release_package']['releases'])} releases, each digest in the evidence log;"
          f" compiled record in {ocds_file.relative_to(root)}")  # fmt: skip
    print(f"   opening record in {record_file.relative_to(root)}")
    ring = [bidders[i].address for i in demo_supervision.RING]
    return demo_supervision.run(services, base, work, say, CODE, ring)
