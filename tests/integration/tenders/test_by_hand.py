"""Every role's journey by hand: keys made with `key create`, accounts funded by the
embedded service, bidders registered from what their own command printed."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ledger_service.api.app import create_app
from ledger_service.chain.dev_funding import MIN_BALANCE_WEI, TOP_UP_WEI
from ledger_service.chain.keys import load_signer
from ledger_service.cli.app import build_app
from ledger_service.store.tokens import create_token
from ledger_service.tenders.bidder import bidder_public_key
from ledger_service.tenders.custodian import CustodianAgent
from tests.integration.serving import serving

from .conftest import World
from .helpers import CODE, announce, generate_key

pytestmark = pytest.mark.integration
PASSWORD = "correct horse battery staple"
cli = build_app()


@pytest.fixture
def pwfile(tmp_path: Path) -> Path:
    p = tmp_path / "pw.txt"
    p.write_text(PASSWORD + "\n")
    return p


def _fields(output: str) -> dict[str, str]:
    return {line[:12].strip(): line[12:].strip() for line in output.splitlines() if line.strip()}


def test_key_create_each_role(tmp_path: Path, pwfile: Path) -> None:
    runner = CliRunner()
    for role in ("bidder", "custodian", "notary"):
        key = tmp_path / f"{role}.json"
        r = runner.invoke(cli, ["key", "create", "--role", role, "--name", f"某{role}",
                                "--out", str(key), "--password-file", str(pwfile)])  # fmt: skip
        assert r.exit_code == 0, r.output
        printed = _fields(r.stdout)
        handover = json.loads((tmp_path / f"{role}.json.pub.json").read_text())
        assert printed["address"] == handover["address"]
        assert printed["public key"] == handover["public_key"]
        assert PASSWORD not in (tmp_path / f"{role}.json.pub.json").read_text()
        if role == "custodian":
            agent = CustodianAgent.load(key, PASSWORD)
            assert agent.address == handover["address"]
            assert agent.public_key.hex() == handover["public_key"]
        else:
            account = load_signer(None, key, PASSWORD)
            assert account.address == handover["address"]
            assert bidder_public_key(account).hex() == handover["public_key"]
    # never overwrites; refuses a short password and a missing terminal, in one line each
    again = runner.invoke(cli, ["key", "create", "--role", "bidder", "--name", "x", "--out",
                                str(tmp_path / "bidder.json"), "--password-file", str(pwfile)])  # fmt: skip
    assert again.exit_code == 1 and "already there" in again.stderr
    short = tmp_path / "short.txt"
    short.write_text("1234567\n")
    r = runner.invoke(cli, ["key", "create", "--role", "bidder", "--name", "x", "--out",
                            str(tmp_path / "b2.json"), "--password-file", str(short)])  # fmt: skip
    assert r.exit_code == 1
    assert r.stderr.strip() == "error: password: expected at least 8 characters, found 7"
    r = runner.invoke(cli, ["key", "create", "--role", "bidder", "--name", "x", "--out",
                            str(tmp_path / "b3.json")])  # fmt: skip
    assert r.exit_code == 1 and "expected a terminal to ask on, --password-file" in r.stderr
    r = runner.invoke(cli, ["key", "create", "--role", "court", "--name", "x", "--out",
                            str(tmp_path / "b4.json"), "--password-file", str(pwfile)])  # fmt: skip
    assert r.exit_code == 1 and "--role: expected one of bidder, custodian, notary" in r.stderr


def test_funded_registered_from_the_handover(world: World, tmp_path: Path, pwfile: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:  # fmt: skip
    services = world.services
    assert services.client is not None
    engine = services.log_store.engine
    runner = CliRunner()
    bidder_key, custodian_key = tmp_path / "me.json", tmp_path / "cust.json"
    for role, key in (("bidder", bidder_key), ("custodian", custodian_key)):
        r = runner.invoke(cli, ["key", "create", "--role", role, "--name", "某建设公司",
                                "--out", str(key), "--password-file", str(pwfile)])  # fmt: skip
        assert r.exit_code == 0, r.output
    bidder = json.loads((tmp_path / "me.json.pub.json").read_text())
    custodian = json.loads((tmp_path / "cust.json.pub.json").read_text())

    def balance(address: str) -> int:
        return int(services.client.w3.eth.get_balance(address))  # type: ignore[union-attr]

    assert balance(custodian["address"]) == 0
    # the operator issues tokens in the parties' addresses; the embedded service funds them
    create_token(engine, custodian["address"], "custodian")
    create_token(engine, bidder["address"], "bidder")
    op = create_token(engine, "centre", "operator")[1]
    funder = services.dev_funder()
    assert funder is not None
    assert set(funder.step()) == {custodian["address"].lower(), bidder["address"].lower()}
    assert balance(custodian["address"]) == TOP_UP_WEI >= MIN_BALANCE_WEI
    assert funder.step() == []  # funded once, not on every pass

    # the custodian registers its key from its own (now funded) account
    assert services.tenders is not None
    monkeypatch.setenv("CHAINWITNESS_KEY_PASSWORD", PASSWORD)
    trust = ["--rpc", services.client.rpc_url, "--chain-id", str(services.client.chain_id),
             "--registry", services.tenders.registry_address]  # fmt: skip
    r = runner.invoke(cli, ["custodian", "register-key", "--keys", str(custodian_key), *trust])
    assert r.exit_code == 0, r.output

    announce(world)
    generate_key(world)
    services.tenders.issue_documents(CODE, "ab" * 32, "招标文件.pdf")
    with serving(create_app(services)) as (url, _):
        common = ["--tender", CODE, "--server", url, "--token", op]
        r = runner.invoke(cli, ["tender", "register-bidder", *common, "--from",
                                str(tmp_path / "me.json.pub.json")])  # fmt: skip
        assert r.exit_code == 1
        assert f"expected a pseudonym for tender {CODE}" in r.stderr
        assert "chainwitness key show --keystore KEYFILE --tender" in r.stderr
        r = runner.invoke(cli, ["key", "show", "--keystore", str(bidder_key), "--tender", CODE])
        assert r.exit_code == 0, r.output
        pseudonym = json.loads((tmp_path / "me.json.pub.json").read_text())["pseudonyms"][CODE]
        assert f"pseudonym   {pseudonym} (tender {CODE})" in r.stdout
        r = runner.invoke(cli, ["tender", "register-bidder", *common, "--from",
                                str(tmp_path / "me.json.pub.json")])  # fmt: skip
        assert r.exit_code == 0, r.output
        view = httpx.get(f"{url}/v1/tenders/{CODE}", headers={"Authorization": f"Bearer {op}"})
        assert bidder["address"] in json.dumps(view.json())
        # a custodian's hand-over is not a bidder's
        r = runner.invoke(cli, ["tender", "register-bidder", *common, "--from",
                                str(tmp_path / "cust.json.pub.json")])  # fmt: skip
        assert r.exit_code == 1 and "expected a bidder's hand-over, found a custodian's" in r.stderr
