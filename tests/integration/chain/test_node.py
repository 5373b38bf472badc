"""ManagedAnvil against the real anvil binary: lifecycle, persistence, supervision."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.request
from pathlib import Path

import pytest
from eth_account import Account

from ledger_service.chain import node as node_module
from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.errors import ChainUnavailable, ConfigurationError

pytestmark = pytest.mark.integration


def _chain_id(url: str) -> int:
    body = b'{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":[]}'
    request = urllib.request.Request(url, body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=2) as response:
        return int(json.loads(response.read())["result"], 16)


def _deploy(node: ManagedAnvil) -> tuple[ChainClient, str]:
    client = ChainClient(node.rpc_url, Account.create(), node.chain_id)
    client.fund_from_dev_account(10**20)
    address, _tx, _block = client.deploy("EvidenceLog", client.address, client.address)
    return client, address


def _dumped_block(state_file: Path) -> int:
    try:
        state = json.loads(state_file.read_text())
    except (OSError, ValueError):
        return -1  # not written yet, or caught mid-write
    number = state["best_block_number"]
    return int(number, 16) if isinstance(number, str) else int(number)


def test_start_answers_on_loopback_and_stop_ends_the_process(tmp_path: Path) -> None:
    node = ManagedAnvil(tmp_path, chain_id=4242)
    with node:
        assert node.is_running()
        assert node.rpc_url.startswith("http://127.0.0.1:")
        assert _chain_id(node.rpc_url) == 4242
        pid = node.pid
    assert not node.is_running()
    assert pid is not None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert "Listening on 127.0.0.1:" in node.log_file.read_text()
    assert node.state_file.exists()


def test_state_survives_a_graceful_restart(tmp_path: Path) -> None:
    with ManagedAnvil(tmp_path) as first:
        client, address = _deploy(first)
        client.request("evm_mine", [])
        height = client.block_number()
        head_hash = client.block(height)["hash"]
        code = client.code_at(address)
    assert code

    with ManagedAnvil(tmp_path) as second:
        again = ChainClient(second.rpc_url, client.signer, second.chain_id)
        assert again.block_number() == height
        assert again.block(height)["hash"] == head_hash
        assert again.code_at(address) == code
        assert EvidenceLogContract(again, address).version()
        # historical state is kept, so reads at `latest - confirmations` still work
        assert again.code_at(address, height - 1) == code


def test_ensure_running_restarts_after_kill_9_on_the_same_url(tmp_path: Path) -> None:
    node = ManagedAnvil(tmp_path)
    with node:
        assert node.ensure_running() is False
        client, address = _deploy(node)
        height = client.block_number()
        assert node.save_state() == height
        assert _dumped_block(node.state_file) == height
        url = node.rpc_url
        assert node.pid is not None
        os.kill(node.pid, signal.SIGKILL)
        deadline = time.monotonic() + 5
        while node.is_running():
            assert time.monotonic() < deadline
            time.sleep(0.05)

        assert node.ensure_running() is True
        assert node.restarts == 1
        assert node.rpc_url == url
        assert client.block_number() == height
        assert EvidenceLogContract(client, address).version()


def test_block_time_mines_without_transactions(tmp_path: Path) -> None:
    with ManagedAnvil(tmp_path, block_time=0.2) as node:
        client = ChainClient(node.rpc_url, Account.create(), node.chain_id)
        start = client.block_number()
        deadline = time.monotonic() + 5
        while client.block_number() < start + 2:
            assert time.monotonic() < deadline, "no interval mining"
            time.sleep(0.1)


def test_corrupt_state_fails_start_with_the_log_tail(tmp_path: Path) -> None:
    (tmp_path / "anvil-state.json").write_text('{"broken')
    node = ManagedAnvil(tmp_path)
    with pytest.raises(ChainUnavailable, match=r"(?s)exited with code 2.*failed to parse json"):
        node.start()
    assert not node.is_running()


def test_missing_binary_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigurationError, match=r"expected an executable anvil at .*found nothing"
    ):
        ManagedAnvil(tmp_path, tmp_path / "no-anvil")


def test_search_names_every_place_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(node_module, "_REPO_ROOT", tmp_path / "repo")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))
    with pytest.raises(ConfigurationError, match=r"repo/node_modules/.*anvil.*and on PATH"):
        ManagedAnvil(tmp_path)


def test_invalid_options_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="expected a TCP port in 1..65535, found 0"):
        ManagedAnvil(tmp_path, port=0)
    with pytest.raises(ConfigurationError, match=r"expected block_time > 0 seconds, found -1"):
        ManagedAnvil(tmp_path, block_time=-1)
