"""The tender story over HTTP: custodian agents and bidders use only the API, the CLI
and their own keys; the public sees no bidder before opening."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ledger_service.api.app import create_app
from ledger_service.chain.keys import create_keystore
from ledger_service.chain.tender_messages import tender_id_bytes
from ledger_service.cli.app import build_app
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token
from ledger_service.tenders import ocds
from ledger_service.tenders.bidder import bidder_public_key, pseudonym_of
from ledger_service.tenders.custodian import AgentRun, CustodianAgent, HttpRelay
from tests.integration.serving import serving

pytestmark = pytest.mark.integration
CODE = "HTTP-2026-001"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[Services, str]]:
    services = open_services(Settings(data_dir=tmp_path / "svc"))
    try:
        with serving(create_app(services)) as (url, _):
            yield services, url
    finally:
        services.close()


cli = build_app()


def test_tender_over_http_and_cli(
    server: tuple[Services, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    services, url = server
    assert services.client is not None and services.tenders is not None
    engine = services.log_store.engine
    op = {"Authorization": f"Bearer {create_token(engine, 'centre', 'operator')[1]}"}
    monkeypatch.setenv("CHAINWITNESS_KEY_PASSWORD", PASSWORD)
    runner = CliRunner()
    http = httpx.Client(base_url=url, timeout=60)

    registry = services.tenders.registry_address
    rpc, chain_id = services.client.rpc_url, services.client.chain_id
    trust = ["--rpc", rpc, "--chain-id", str(chain_id), "--registry", registry]

    # five custodians make their keys and register them on chain with the CLI
    agents = []
    for i in range(5):
        keys = tmp_path / f"custodian{i}.json"
        r = runner.invoke(cli, ["custodian", "init", "--name", f"custodian {i}", "-o", str(keys)])
        assert r.exit_code == 0, r.output
        agent = CustodianAgent.load(keys, PASSWORD)
        services.client.request("anvil_setBalance", [agent.address, hex(10**20)])
        r = runner.invoke(cli, ["custodian", "register-key", "--keys", str(keys), *trust])
        assert r.exit_code == 0, r.output
        agents.append(agent)
    # each custodian's token is issued in its own address: it relays only as itself
    tokens = {a.address: create_token(engine, a.address, "custodian")[1] for a in agents}
    runs = [AgentRun.connect(a, rpc, registry, chain_id, HttpRelay(url, tokens[a.address]),
                             clock=time.time) for a in agents]  # fmt: skip

    now = services.tenders.chain_time()
    r = http.post("/v1/tenders", headers=op, json={
        "code": CODE, "title": "政府采购 procurement", "dealing_deadline": now + 100,
        "complaint_deadline": now + 200, "bid_deadline": now + 600,
        "opening_time": now + 1200, "threshold": 3,
        "custodians": [{"name": a.name, "address": a.address} for a in agents]})  # fmt: skip
    assert r.status_code == 201, r.text
    # one custodian's token cannot post as another: custodian 2 posting under index 1
    tid = "0x" + tender_id_bytes(CODE).hex()
    other = {"Authorization": f"Bearer {tokens[agents[1].address]}"}
    r = http.post(f"/v1/tenders/{tid}/dealings", headers=other,
                  json={"index": 1, "body": "00", "signature": "00" * 65})  # fmt: skip
    assert r.status_code == 403, r.text
    assert "a custodian acts only as itself" in r.json()["detail"]

    def warp(seconds: int) -> None:
        services.client.request("evm_increaseTime", [seconds])  # type: ignore[union-attr]
        services.client.request("evm_mine", [])  # type: ignore[union-attr]

    for run in runs:
        run.step()  # deal over HTTP, signed by each custodian
    warp(200)
    for run in runs:
        run.step()  # approve; the t-th approval makes the service relay finalizeKey
    assert http.get(f"/v1/tenders/{CODE}").json()["opening_public_key"]
    doc = hashlib.sha256(b"documents").hexdigest()
    assert http.post(f"/v1/tenders/{CODE}/documents", headers=op,
                     json={"name": "招标文件.pdf", "sha256": doc}).status_code == 200  # fmt: skip

    # three bidders with their own keystores seal and submit with the CLI
    plaintexts = {}
    for i in range(3):
        ks = tmp_path / f"bidder{i}.json"
        account = create_keystore(ks, PASSWORD)
        r = http.post(f"/v1/tenders/{CODE}/bidders", headers=op, json={
            "name": f"投标人 {i}", "address": account.address,
            "public_key": bidder_public_key(account).hex(),
            "pseudonym": pseudonym_of(account, tender_id_bytes(CODE)).address})  # fmt: skip
        assert r.status_code == 201, r.text
        bidder_token = create_token(engine, account.address, "bidder")[1]
        bid = tmp_path / f"bid{i}.pdf"
        bid.write_bytes(f"报价 price {i} ".encode() * 20_000)
        plaintexts[account.address] = bid.read_bytes()
        common = ["--tender", CODE, "--server", url, "--keystore", str(ks), *trust]
        r = runner.invoke(cli, ["bid", "seal", str(bid), *common])
        assert r.exit_code == 0, r.output
        sealed = tmp_path / f"bid{i}.pdf.cwseal"
        r = runner.invoke(cli, ["bid", "submit", str(sealed), *common, "--token", bidder_token])
        assert r.exit_code == 0, r.output
        assert "accepted by the chain" in r.stdout
        r = runner.invoke(cli, ["bid", "status", *common], env={"CHAINWITNESS_TOKEN": bidder_token})
        assert "active" in r.stdout, r.output
        own = tmp_path / f"own{i}.pdf"
        r = runner.invoke(
            cli, ["bid", "open-own", str(sealed), "--keystore", str(ks), "-o", str(own)]
        )
        assert r.exit_code == 0 and own.read_bytes() == bid.read_bytes()

    # a bidder cannot look up another bidder's bids
    other = http.get(f"/v1/tenders/{CODE}/bids/{account.address}",
                     headers={"Authorization": f"Bearer {create_token(engine, '0x' + '00' * 20, 'bidder')[1]}"})  # fmt: skip
    assert other.status_code == 403 and "issued for" in other.json()["detail"]

    # before opening the public sees no bidder, oversight roles do
    public = http.get(f"/v1/tenders/{CODE}").json()
    assert public["bidder_details_withheld"] and public["bids"] == [] and public["bidders"] == []
    assert not any(e["event"] == "bid_submitted" for e in public["events"])
    assert len(http.get(f"/v1/tenders/{CODE}", headers=op).json()["bids"]) == 3

    warp(500)
    services.tenders.close_bidding(CODE)  # the service reveals the bids after the deadline
    warp(700)
    for run in runs[1:4]:
        # three custodians release at opening time: their own clocks are ahead of the
        # chain's here, as anvil's time was warped forward
        run.clock = lambda: float(services.tenders.chain_time())
        run.step()
    r = http.post(f"/v1/tenders/{CODE}/open", headers=op)
    assert r.status_code == 200, r.text
    record = r.json()
    opened_dir = services.tenders.opening_dir(CODE)
    assert {b["bidder"]: (opened_dir / f"{b['bidder']}-{b['nonce']}.bin").read_bytes()
            for b in record["bids"]} == plaintexts  # fmt: skip
    after = http.get(f"/v1/tenders/{CODE}").json()
    assert not after["bidder_details_withheld"] and len(after["bids"]) == 3
    pkg = http.get(f"/v1/tenders/{CODE}/ocds").json()
    for release in pkg["release_package"]["releases"]:
        ocds.validate_release(release)
    assert all(e["record_index"] is not None for e in pkg["evidence"])
    assert len(pkg["record_package"]["records"][0]["compiledRelease"]["bids"]["details"]) == 3
