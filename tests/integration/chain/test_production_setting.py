"""A production setting (``CHAINWITNESS_CHAIN_KIND=consortium``) refuses a chain its
operator controls: the embedded anvil, or any node that reports itself as anvil."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger_service.chain.client import ChainClient
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.errors import ConfigurationError
from ledger_service.runtime import open_services
from ledger_service.settings import Settings


def test_consortium_setting_refuses_the_embedded_anvil(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="found the embedded anvil"):
        open_services(Settings(data_dir=tmp_path / "svc", chain_kind="consortium"))
    assert not (tmp_path / "svc" / "anvil").exists()  # refused before any node started


def test_consortium_setting_refuses_an_anvil_behind_an_rpc_url(
    tmp_path: Path, anvil: ManagedAnvil, chain_client: ChainClient
) -> None:
    settings = Settings(
        data_dir=tmp_path / "svc", chain_kind="consortium", rpc_url=anvil.rpc_url,
        signer_key="0x" + bytes(chain_client.signer.key).hex(),
    )  # fmt: skip
    with pytest.raises(ConfigurationError, match="found 'anvil/.*a development node its operator"):
        open_services(settings)
    # the development setting takes the same node (and says so in every verdict)
    open_services(settings.model_copy(update={"chain_kind": None})).close()
