"""Tender clients take the chain id and TenderRegistry from a pinned policy; an explicit
option that differs from the policy is refused, naming both (no silent override)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger_service.cli.app import build_app
from ledger_service.cli.console import load_policy, pinned_tender_chain
from ledger_service.core.errors import MalformedInput
from tests.unit.core.test_trust_policy import TENDERS, policy


def test_the_policy_gives_chain_and_registry() -> None:
    assert pinned_tender_chain(policy(), None, None) == (31337, TENDERS)
    assert pinned_tender_chain(policy(), 31337, TENDERS.lower()) == (31337, TENDERS)


def test_an_explicit_value_that_differs_from_the_policy_is_refused() -> None:
    other = "0x" + "12" * 20
    with pytest.raises(MalformedInput, match=f"--registry: expected {TENDERS} .* found {other}"):
        pinned_tender_chain(policy(), None, other)
    with pytest.raises(MalformedInput, match="--chain-id: expected 31337 .* found 1"):
        pinned_tender_chain(policy(), 1, None)


def test_without_a_policy_both_options_are_needed() -> None:
    assert pinned_tender_chain(None, 5, TENDERS) == (5, TENDERS)
    with pytest.raises(MalformedInput, match="or --policy FILE, found neither"):
        pinned_tender_chain(None, 5, None)


def test_policy_file_is_read_and_checked(tmp_path: Path) -> None:
    path = tmp_path / "trust-policy.json"
    path.write_bytes(policy().to_bytes())
    assert load_policy(path) == policy()
    with pytest.raises(MalformedInput, match="expected a trust policy file"):
        load_policy(tmp_path / "missing.json")


def test_cli_refuses_a_registry_other_than_the_pinned_one(tmp_path: Path) -> None:
    path = tmp_path / "trust-policy.json"
    path.write_bytes(policy().to_bytes())
    r = CliRunner().invoke(build_app(), [
        "tender", "verify-opening", "--tender", "T-1", "--rpc", "http://127.0.0.1:9",
        "--ciphertexts", str(tmp_path), "--policy", str(path), "--registry", "0x" + "12" * 20,
    ])  # fmt: skip
    assert r.exit_code == 1
    assert "--registry: expected" in r.output and "(the pinned policy)" in r.output
