"""`make demo`: the evidence-storage story (数据存证) on the embedded default.

Starts three log witnesses as separate processes, then the service on SQLite and
its own anvil; deposits documents and tender events through the HTTP API, waits
for the anchor and the witnesses' cosignatures, shows a backdated checkpoint
refused by the witnesses' clocks, fetches a proof and verifies it against the
pinned trust policy with the independent verifier in a separate process that has
no database.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from ledger_service.api.app import create_app
from ledger_service.core.trust_policy import TrustPolicy
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.trust_file import build_trust_policy, write_trust_policy
from ledger_service.reports.ca import init_witness_ca
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token

sys.path.insert(0, str(Path(__file__).resolve().parent))
import demo_court  # noqa: E402
import demo_notary  # noqa: E402
import demo_tender  # noqa: E402
import demo_witnesses  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
#: Only for the throwaway demo data directory.
DEMO_WITNESS_PASSWORD = "demo-only witness password"
DEMO_DIR = ROOT / "var" / "demo"


def say(title: str) -> None:
    print(f"\n\033[1m== {title}\033[0m", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def demo_port(preferred: int = 8700) -> int:
    """The service's usual port when it is free (stable URLs to click), else any free one."""
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
        except OSError:
            return free_port()
    return preferred


#: `make demo KEEP=1`: leave the service running after the story, for clicking through
KEEP = os.environ.get("CHAINWITNESS_DEMO_KEEP", "") not in ("", "0")


def show_pages(services: Services, base: str, policy_file: Path, digest: str, rpc_url: str) -> None:
    """Print the URL of each page, and what to load into it (tokens for /court and
    /regulator, which the pages ask for)."""
    say("页面 Pages (every asset served by the service; nothing from the internet)")
    print(f"   公开验证 public verification   {base}/verify")
    print(f"     a recorded document          {base}/verify?sha256={digest}")
    print(f"     load the trust policy        {policy_file} (fingerprint printed above)")
    print(f"     chain node (JSON-RPC)        {rpc_url}")
    print(f"     or drop an evidence package  {DEMO_DIR / 'tender'}/*.zip")
    _, court = create_token(services.log_store.engine, "demo-court", "court")
    print(f"   司法取证 court retrieval         {base}/court")
    print(f"     court token (demo only)      {court}")
    _, regulator = create_token(services.log_store.engine, "demo-regulator", "regulator")
    print(f"   行业监督 regulator dashboard     {base}/regulator  (tender GC-2026-0417)")
    print(f"     regulator token (demo only)  {regulator}")
    print(f"   投标人 bidder                    {base}/bidder  (own key in the page; tender GC-2026-0417)")
    print(f"   数字公证 notary                  {base}/notary  (the notary's own key in the page)")
    print(f"   API reference (OpenAPI)        {base}/docs")


def main() -> int:
    if DEMO_DIR.exists():
        shutil.rmtree(DEMO_DIR)
    files_dir = DEMO_DIR / "files"
    files_dir.mkdir(parents=True)
    say("0. 日志见证人 Three independent log witnesses (court, regulator, notary office)")
    with demo_witnesses.witnesses(DEMO_DIR / "witnesses", DEMO_DIR / "service") as ws:
        for w in ws:
            print(f"   {w.name:28} own process, own key and data dir, {w.url}")
        return story(files_dir, ws)


def story(files_dir: Path, ws: list[demo_witnesses.Witness]) -> int:
    settings = Settings(
        data_dir=DEMO_DIR / "service",
        port=demo_port() if KEEP else free_port(),
        anchor_interval_s=0.5,
        witness_password=DEMO_WITNESS_PASSWORD,
        log_origin=demo_witnesses.ORIGIN,
        witnesses=[w.setting for w in ws],
        witness_quorum=demo_witnesses.QUORUM,
    )
    # the platform's witness CA (admin, once): `chainwitness witness init-ca`
    init_witness_ca(settings.data_dir, DEMO_WITNESS_PASSWORD, "链见证演示平台 Chain Witness demo")

    say("1. 启动服务 Start the service (SQLite + embedded anvil, contracts deployed on first run)")
    services = open_services(settings)
    assert services.chain and services.client and services.evidence_log
    print(f"   chain id {services.chain.chain_id}, RPC {services.chain.rpc_url}")
    print(f"   EvidenceLog contract {services.chain.evidence_log}")
    policy = build_trust_policy(settings, services.chain.chain_id, services.contract_addresses)
    assert policy is not None and services.publisher is not None
    policy_file = write_trust_policy(policy, DEMO_DIR)
    print(f"   trust policy {policy_file.relative_to(ROOT)} {policy.fingerprint}")
    print(f"   (published with the tender notice; chain kind {policy.chain_kind}: the embedded")
    print("   anvil is controlled by its operator, and every chain-based verdict says so)")
    anchorer = Anchorer(
        services.log_store,
        services.anchors,
        services.client,
        services.evidence_log,
        interval_s=settings.anchor_interval_s,
        start_block=services.deployed_at_block,
        on_head=services.publisher.ensure,
    )
    _, token = create_token(services.log_store.engine, "trading-centre", "operator")
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(services, anchorer=anchorer),
            host="127.0.0.1",
            port=settings.port,
            log_level="warning",
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{settings.port}"
    while not server.started:
        time.sleep(0.05)
    print(f"   API {base} (OpenAPI at {base}/docs)")
    auth = {"Authorization": f"Bearer {token}"}
    try:
        with httpx.Client(base_url=base, timeout=30) as http:
            say(
                "2. 存证 Deposit tender documents (streaming upload; SHA-256 computed while streaming)"
            )
            docs = {
                "招标文件-GC-2026-0417.txt": "招标文件 Tender document GC-2026-0417: 市政道路改造工程\n",
                "澄清-01.txt": "澄清与修改 Clarification 01: 投标截止时间不变\n",
                "投标回执-B07.txt": "投标回执 Bid receipt, bidder B07\n",
            }
            deposited = []
            for name, text in docs.items():
                path = files_dir / name
                path.write_text(text * 200, encoding="utf-8")
                r = http.post(
                    "/v1/files",
                    params={"name": name, "subject": "tender:GC-2026-0417"},
                    content=path.read_bytes(),
                    headers={**auth, "Content-Type": "application/octet-stream"},
                )
                r.raise_for_status()
                body = r.json()
                deposited.append((body["index"], body["sha256"], path))
                print(f"   #{body['index']}  {body['sha256'][:16]}...  {name}")

            size = body["tree_size"]
            say("3. 上链锚定 Wait for the tree head to be anchored on chain")
            a = anchorer.wait_anchored(size, timeout=30)
            print(
                f"   size {a.tree_size} root {a.root.hex()[:16]}... in block {a.block_number}, "
                f"tx {a.tx_hash}"
            )
            say("3a. 见证 The log's checkpoint (GET /checkpoint), cosigned by the witnesses")
            show_cosigned_when_ready(services, base, policy, a.tree_size)
            if not demo_witnesses.backdating_attempt(services, ws, say):
                print("   a witness cosigned a backdated checkpoint: FAILED")
                return 1

            say("4. 取证 Fetch the inclusion proof of the tender document")
            index, digest, path = deposited[0]
            proof = http.get(f"/v1/records/{index}", headers=auth).json()
            proof_file = DEMO_DIR / "proof.json"
            proof_file.write_text(json.dumps(proof, indent=2, ensure_ascii=False) + "\n")
            p = proof["proof"]
            print(
                f"   leaf {p['leaf_index']} of {p['tree_size']}, {len(p['path'])} path hashes, "
                f"written to {proof_file.relative_to(ROOT)}"
            )

            say("5. 独立验证 Verify independently (new process, no database, chain over RPC)")
            cmd = [
                sys.executable,
                "-m",
                "ledger_service",
                "verify",
                str(proof_file),
                "--rpc",
                services.chain.rpc_url,
                "--policy",
                str(policy_file),
            ]
            res = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
            print(
                "   $ chainwitness verify var/demo/proof.json --policy var/demo/trust-policy.json"
                " --rpc " + services.chain.rpc_url
            )
            for line in (res.stdout + res.stderr).splitlines():
                print("   " + line)
            if res.returncode != 0:
                print("   verification FAILED")
                return 1

            say("6. 公众核验 Public check by file digest")
            v = http.get(f"/v1/verify/{digest}").json()
            print(
                f"   {path.name}: found={v['found']}, recorded at chain time "
                f"{v['proofs'][0]['anchor']['block_time']}"
            )
        say("7. 招投标全流程见证 Full-process tender witness with sealed bids")
        if demo_tender.run(services, base, DEMO_DIR / "tender", say, policy_file) != 0:
            print("   the tender story FAILED")
            return 1
        if demo_court.run(services, anchorer, base, DEMO_DIR / "tender", say, policy_file) != 0:
            print("   the retrieval story FAILED")
            return 1
        if demo_notary.run(services, anchorer, DEMO_DIR / "tender", say, policy_file) != 0:
            print("   the notarization story FAILED")
            return 1
        show_pages(services, base, policy_file, deposited[0][1], services.chain.rpc_url)
        if KEEP:
            print(
                "\n   KEEP=1: the service, its anvil and the witnesses stay up; Ctrl-C stops them."
            )
            # SIGTERM too (a demo started in the background ignores SIGINT): the finally
            # blocks then stop the server, the anvil and the witnesses
            signal.signal(signal.SIGTERM, signal.default_int_handler)
            try:
                while thread.is_alive():
                    time.sleep(1)
            except KeyboardInterrupt:
                print("   stopping")
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        services.close()

    say("Files 文件")
    print(f"   service state   {settings.data_dir.relative_to(ROOT)}/ (SQLite, blobs, anvil state)")
    print(f"   documents       {files_dir.relative_to(ROOT)}/")
    print(f"   proof           {(DEMO_DIR / 'proof.json').relative_to(ROOT)}")
    print(f"   trust policy    {(DEMO_DIR / 'trust-policy.json').relative_to(ROOT)}")
    print(f"   witnesses       {(DEMO_DIR / 'witnesses').relative_to(ROOT)}/ (each its key, state,"
          " refused.jsonl evidence)")  # fmt: skip
    print(
        f"   tender story    {(DEMO_DIR / 'tender').relative_to(ROOT)}/ (bids, opening record, OCDS,"
        " witness report PDF, evidence package)"
    )
    print(
        "\nDemo complete: every head cosigned by independent witnesses, a backdated checkpoint"
        " refused; proofs verified offline and on chain against the pinned trust policy; bids"
        " witnessed before the deadline; the tender opened itself once the custodians' clocks,"
        " the chain and the witnesses agreed; its signed report, evidence package and"
        " notarization verified."
    )
    return 0


def show_cosigned_when_ready(
    services: Services, base: str, policy: TrustPolicy, size: int, timeout: float = 30
) -> None:
    """Wait until the checkpoint of ``size`` has its quorum, then print it."""
    deadline = time.monotonic() + timeout
    while True:
        stored = services.checkpoints.latest_cosigned(policy.witnesses.k)
        if stored is not None and stored.tree_size >= size:
            break
        if time.monotonic() > deadline:
            raise RuntimeError(f"expected a checkpoint of size {size} witnessed within {timeout}s")
        time.sleep(0.1)
    demo_witnesses.show_cosigned(base, policy)


if __name__ == "__main__":
    sys.exit(main())
