"""``kill -9`` of ``serve`` during bid upload and during opening.

The tender is set up in-process (custodians' keys, key generation, bidders registered);
then a real ``serve`` process on the same data directory takes sealed bids over HTTP
from bidder threads and is killed at random moments, round after round. After each
restart every bidder sends its envelope again (what the bidder client does when it got
no receipt): an acknowledged bid must come back with the same receipt, an unacknowledged
one must be taken now, never refused for a nonce the lost attempt used on chain. Then the
deadline passes, the custodians (their own keys and chain clients, the service only as
relay) release their shares, and ``serve`` is killed while it opens; after the restart
every bid opens exactly once with its plaintext.
"""

from __future__ import annotations

import hashlib
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest
from eth_account import Account

from ledger_service.chain.client import ChainClient
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.chain.tender_registry import TenderRegistryContract
from ledger_service.runtime import open_services, open_store
from ledger_service.settings import Settings
from ledger_service.store.tenders import TenderStore
from ledger_service.store.tokens import create_token
from ledger_service.tenders.custodian import AgentRun, HttpRelay
from tests.integration.ops.harness import Served, wait_until
from tests.integration.tenders.conftest import make_world
from tests.integration.tenders.helpers import CODE, announce, generate_key, open_for_bids, seal
from tests.integration.tenders.helpers import signed_bid as make_signed_bid

pytestmark = pytest.mark.integration

BIDDERS = 8
KILL_ROUNDS = 2


def _document(i: int) -> bytes:
    # ~1 MB each, so that opening takes long enough to be killed in the middle
    return f"投标文件 {i} bid document\n".encode() * (40_000 + 300 * i)


def _query(bid: Any) -> dict[str, str | int]:
    j = bid.to_json()
    return {k: j[k] for k in ("bidder", "pseudonym", "nonce", "salt", "plaintext_commitment",
                              "envelope_digest", "sealed_signature", "bid_signature")}  # fmt: skip


def _submit(http: httpx.Client, url: str, token: str, bid: Any, envelope: bytes) -> httpx.Response:
    return http.post(f"{url}/v1/tenders/{CODE}/bids", params=_query(bid), content=envelope,
                     headers={"Authorization": f"Bearer {token}",
                              "Content-Type": "application/octet-stream"})  # fmt: skip


def _check_bids(data_dir: Path, envelopes: dict[str, bytes]) -> None:
    """At most one active stored bid and one bid record per bidder, matching its envelope;
    no half-written upload left in the blob store."""
    log_store, _, _ = open_store(Settings(data_dir=data_dir))
    try:
        stored = TenderStore(log_store.engine).bids(CODE, active_only=True)
        per = Counter(b.bidder for b in stored)
        assert all(n == 1 for n in per.values()), f"a bidder with two active bids: {per}"
        for b in stored:
            assert b.ciphertext_sha256 == hashlib.sha256(envelopes[b.bidder]).hexdigest()
        head = log_store.head()
        kinds = Counter(
            r.actor for r in (log_store.record(i).record for i in range(head.size))
            if r.subject == f"tender:{CODE}" and r.kind.endswith("bid_submitted")
        )  # fmt: skip
        assert all(n == 1 for n in kinds.values()), f"a bid recorded twice: {kinds}"
    finally:
        log_store.engine.dispose()
    leftovers = list((data_dir / "blobs").rglob(".upload-*"))
    assert not leftovers, f"half-written uploads left after restart: {leftovers}"


def test_kill_9_during_bid_upload_and_opening(tmp_path: Path) -> None:
    data = tmp_path / "svc"
    services = open_services(Settings(data_dir=data))
    try:
        world = make_world(services, tmp_path)
        schedule = announce(world)
        generate_key(world)
        open_for_bids(world, BIDDERS)
        bidders = world.bidders[:BIDDERS]
        prepared: dict[str, tuple[Any, bytes]] = {}
        for i, b in enumerate(bidders):
            envelope, res = seal(world, b, _document(i))
            prepared[b.address] = (make_signed_bid(world, b, res, 1), envelope)
        engine = services.log_store.engine
        bidder_tokens = {b.address: create_token(engine, b.address, "bidder")[1] for b in bidders}
        custodian_tokens = [create_token(engine, a.address, "custodian")[1] for a in world.agents]
        registry_address = services.tenders.registry_address  # type: ignore[union-attr]
    finally:
        services.close()
    envelopes = {a: env for a, (_, env) in prepared.items()}

    served = Served(data)
    rnd = random.Random(20261204)
    receipts: dict[str, dict[str, Any]] = {}
    lock = threading.Lock()

    def bidder_thread(address: str, url: str, errors: list[str]) -> None:
        bid, envelope = prepared[address]
        with httpx.Client(timeout=60) as http:
            try:
                r = _submit(http, url, bidder_tokens[address], bid, envelope)
            except httpx.TransportError:
                return  # killed mid-request: no receipt, the bidder will send again
        if r.status_code != 201:
            errors.append(f"{address}: {r.status_code} {r.text[:300]}")
            return
        with lock:
            earlier = receipts.setdefault(address, r.json())
        if earlier != r.json():
            errors.append(f"{address}: a second receipt {r.json()} differs from {earlier}")

    try:
        for round_no in range(KILL_ROUNDS + 1):
            served.start()
            if round_no:  # what the killed server left, as the restarted one sees it
                _check_bids(data, envelopes)
            errors: list[str] = []
            threads = [threading.Thread(target=bidder_thread, args=(a, served.url, errors))
                       for a in rnd.sample(list(prepared), len(prepared))]  # fmt: skip
            for t in threads:
                t.start()
                time.sleep(rnd.uniform(0, 0.05))
            if round_no < KILL_ROUNDS:
                time.sleep(rnd.uniform(0.05, 0.8))
                served.signal(signal.SIGKILL)
                served.wait_exit()
            for t in threads:
                t.join(90)
            assert not errors, "\n".join(errors)
        assert set(receipts) == set(prepared), "every bidder holds a receipt in the end"
        _check_bids(data, envelopes)

        # the bid deadline passes: serve closes bidding and reveals the bids on chain
        rpc = served.rpc_url()
        dev = ChainClient(rpc, Account.create(), None, retries=2)
        op = served.headers()

        def state() -> str:
            r = httpx.get(f"{served.url}/v1/tenders/{CODE}", headers=op, timeout=30)
            return str(r.json()["state"]) if r.status_code == 200 else ""

        def advance_to(t: int) -> None:
            now = int(dev.block("latest")["timestamp"])
            if t > now:
                dev.request("evm_increaseTime", [t - now])
            dev.request("evm_mine", [])

        registry = TenderRegistryContract(dev, registry_address)

        def revealed() -> int:
            return int(registry.get_tender(tender_id_bytes(CODE)).revealed_bids)

        advance_to(schedule.bid_deadline + 1)
        wait_until("the bids to close", lambda: state() == "bids_closed", 120, 0.2)
        # killed while it reveals the bids on chain: the restarted one reveals the rest
        served.signal(signal.SIGKILL)
        served.wait_exit()
        served.start()
        wait_until("every bid revealed", lambda: revealed() == BIDDERS, 120, 0.5)
        # the opening time passes; the custodians release their shares
        advance_to(schedule.opening_time + 1)
        world.clock.now = schedule.opening_time + 1
        runs = []
        for agent, token in zip(world.agents, custodian_tokens, strict=True):
            client = ChainClient(rpc, agent.account, None, retries=2)
            runs.append(AgentRun(agent, TenderRegistryContract(client, registry_address),
                                 HttpRelay(served.url, token, retry_s=5), world.clock))  # fmt: skip
        for run in runs:  # t of n shares released on chain by the custodians themselves
            run.step()
        # serve opens on its own now: kill it while it does (its first opened file written)
        openings = data / "openings"
        wait_until("serve to start opening",
                   lambda: openings.is_dir() and any(p.is_file() for p in openings.rglob("*")),
                   120, 0.005)  # fmt: skip
        served.signal(signal.SIGKILL)
        served.wait_exit()
        served.start()

        def opened_yet() -> bool:
            # the agents run on, as `custodian run` does: a share the restarted node lost
            # (mined after its last saved state) is released again
            for run in runs:
                run.step()
            return state() == "opened"

        wait_until("the tender to open after the restart", opened_yet, 180, 1.0)
        listed = httpx.get(f"{served.url}/v1/tenders/{CODE}/opened", headers=op, timeout=30)
        assert listed.status_code == 200, listed.text
        opened = listed.json()
        assert Counter(o["bidder"] for o in opened) == Counter(list(prepared)), opened
        for i, b in enumerate(bidders):
            r = httpx.get(f"{served.url}/v1/tenders/{CODE}/opened/{b.address}/1", headers=op,
                          timeout=30)  # fmt: skip
            assert r.status_code == 200, r.text
            assert r.content == _document(i), f"bid of {b.address} opened to other bytes"
    finally:
        served.stop()
