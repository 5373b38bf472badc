"""What every typed contract wrapper shares: the client, reads, writes, version, events."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from eth_typing import ChecksumAddress
from web3.contract.contract import ContractFunction
from web3.types import BlockIdentifier

from ledger_service.chain.client import ChainClient
from ledger_service.chain.tx import TxResult


class ContractWrapper:
    """Base of the typed wrappers; ``ARTIFACT`` names the shipped artifact.

    Writes are signed by the client's signer and raise ContractReverted with the
    decoded custom error; reads take ``block_identifier`` (default ``"latest"``).
    """

    ARTIFACT: ClassVar[str]

    def __init__(self, client: ChainClient, address: str) -> None:
        self.client = client
        self.contract = client.contract(self.ARTIFACT, address)
        self.address: ChecksumAddress = self.contract.address

    def _send(
        self,
        fn: ContractFunction,
        on_sent: Callable[[str], None] | None,
        gas: int | None = None,
    ) -> TxResult:
        return self.client.send(fn, on_sent=on_sent, gas=gas)

    def _read(self, fn: ContractFunction, block_identifier: BlockIdentifier) -> Any:
        return self.client.call(fn, block_identifier)

    def version(self, block_identifier: BlockIdentifier = "latest") -> str:
        text: str = self._read(self.contract.functions.version(), block_identifier)
        return text


class Eip712Wrapper(ContractWrapper):
    """A wrapper of a contract that checks EIP-712 signatures."""

    def domain_separator(self, block_identifier: BlockIdentifier = "latest") -> bytes:
        return bytes(self._read(self.contract.functions.DOMAIN_SEPARATOR(), block_identifier))


@dataclass(frozen=True)
class ContractEvent:
    """One contract log: its name, decoded arguments and position on the chain."""

    name: str
    args: dict[str, Any]
    tx_hash: str
    block_number: int
    log_index: int
