"""The typed EvidenceLog wrapper: anchor heads, read them back, list HeadAnchored events."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from eth_typing import ChecksumAddress
from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak
from web3 import Web3
from web3.contract.contract import ContractFunction
from web3.types import BlockIdentifier

from ledger_service.chain.client import ChainClient
from ledger_service.chain.tx import TxResult
from ledger_service.core.merkle import SizeProof

EVIDENCE_LOG = "EvidenceLog"
ANCHORER_ROLE = keccak(text="ANCHORER_ROLE")
_ZERO32 = bytes(32)


@dataclass(frozen=True)
class ChainHead:
    size: int
    root: bytes
    anchored_at: int
    index: int


@dataclass(frozen=True)
class ChainHeadAt:
    size: int
    root: bytes
    anchored_at: int
    block_number: int


@dataclass(frozen=True)
class AnchoredEvent:
    index: int
    size: int
    root: bytes
    anchored_at: int
    anchorer: str
    tx_hash: str
    block_number: int
    block_hash: str


class EvidenceLogContract:
    """Typed access to one deployed ``EvidenceLog``.

    Reads take ``block_identifier`` (default ``"latest"``), e.g. an integer
    ``latest - confirmations`` to read only sufficiently buried state.
    """

    def __init__(self, client: ChainClient, address: str) -> None:
        self.client = client
        self.contract = client.contract(EVIDENCE_LOG, address)
        self.address: ChecksumAddress = self.contract.address

    def _read(self, fn: ContractFunction, block_identifier: BlockIdentifier) -> Any:
        return self.client.call(fn, block_identifier)

    def anchor(
        self,
        size: int,
        root: bytes,
        proof: Sequence[bytes],
        size_proof: SizeProof,
        *,
        on_sent: Callable[[str], None] | None = None,
    ) -> TxResult:
        """Anchor a new head (size, root), proven consistent with the latest one and proven
        to hold exactly ``size`` leaves (``size_proof``, docs/anchoring.md).

        Raises ContractReverted (e.g. EvidenceLogStaleHead, EvidenceLogBadConsistencyProof,
        EvidenceLogBadBlockWitness, AccessControlUnauthorizedAccount); see
        :meth:`ChainClient.send` for ``on_sent``.
        """
        fn = self.contract.functions.anchor(size, root, list(proof), size_proof.as_abi())
        return self.client.send(fn, on_sent=on_sent)

    def latest_head(self, block_identifier: BlockIdentifier = "latest") -> ChainHead:
        size, root, anchored_at, index = self._read(
            self.contract.functions.latestHead(), block_identifier
        )
        return ChainHead(size, bytes(root), anchored_at, index)

    def head_count(self, block_identifier: BlockIdentifier = "latest") -> int:
        count: int = self._read(self.contract.functions.headCount(), block_identifier)
        return count

    def head_at(self, index: int, block_identifier: BlockIdentifier = "latest") -> ChainHeadAt:
        """Raises ContractReverted('EvidenceLogNoSuchHead', (index, count)) past the end."""
        size, root, anchored_at, block_number = self._read(
            self.contract.functions.headAt(index), block_identifier
        )
        return ChainHeadAt(size, bytes(root), anchored_at, block_number)

    def root_of(self, size: int, block_identifier: BlockIdentifier = "latest") -> bytes | None:
        """The root anchored at ``size``, or None if no head of that size was anchored."""
        root = bytes(self._read(self.contract.functions.rootOf(size), block_identifier))
        return None if root == _ZERO32 else root

    def version(self, block_identifier: BlockIdentifier = "latest") -> str:
        text: str = self._read(self.contract.functions.version(), block_identifier)
        return text

    def anchored_events(
        self, from_block: BlockIdentifier, to_block: BlockIdentifier = "latest"
    ) -> list[AnchoredEvent]:
        """HeadAnchored events in ``[from_block, to_block]``, in chain order.

        An empty range (``from_block`` past ``to_block`` or the chain's head) is [].
        """
        if isinstance(from_block, int):
            last = to_block if isinstance(to_block, int) else self.client.block(to_block)["number"]
            if from_block > last:
                return []
        logs = self.client.get_logs(self.contract.events.HeadAnchored, from_block, to_block)
        return [
            AnchoredEvent(
                index=e["args"]["index"],
                size=e["args"]["size"],
                root=bytes(e["args"]["root"]),
                anchored_at=e["args"]["anchoredAt"],
                anchorer=e["args"]["anchorer"],
                tx_hash=Web3.to_hex(e["transactionHash"]),
                block_number=e["blockNumber"],
                block_hash=Web3.to_hex(e["blockHash"]),
            )
            for e in logs
        ]

    def grant_anchorer(self, address: str) -> TxResult:
        """Give ``address`` ANCHORER_ROLE (the signer must hold the admin role)."""
        return self.client.send(
            self.contract.functions.grantRole(ANCHORER_ROLE, to_checksum_address(address))
        )
