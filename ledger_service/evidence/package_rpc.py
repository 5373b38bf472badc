"""The chain side of evidence packages: fetch anchor evidence, check packages against RPC.

``core.packages`` verifies from bytes alone; this adapter hands it a
:class:`~ledger_service.core.packages.ChainView` over JSON-RPC and fetches the raw
receipts and block headers a package carries.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.core.errors import LimitExceeded, MalformedInput, NotFound
from ledger_service.core.packages import (
    HEAD_ANCHORED_TOPIC,
    LIMITS,
    AnchorEvidence,
    Limits,
    Report,
)
from ledger_service.core.packages import (
    verify_package as verify_package_bytes,
)
from ledger_service.core.proofs import Anchor
from ledger_service.core.trust_policy import TrustPolicy

_HEADER_KEYS = (
    "parentHash", "sha3Uncles", "miner", "stateRoot", "transactionsRoot", "receiptsRoot",
    "logsBloom", "difficulty", "number", "gasLimit", "gasUsed", "timestamp", "extraData",
    "mixHash", "nonce", "baseFeePerGas", "withdrawalsRoot", "blobGasUsed", "excessBlobGas",
    "parentBeaconBlockRoot", "requestsHash", "hash",
)  # fmt: skip


def _hex(value: Any) -> str:
    """JSON-RPC values as lowercase hex text (web3 may hand back HexBytes or ints)."""
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    if isinstance(value, int):
        return hex(value)
    return str(value).lower()


def anchor_evidence(client: ChainClient, anchor: Anchor) -> AnchorEvidence:
    """Fetch the receipt of ``anchor.tx_hash`` and the header of its block.

    Keeps only the receipt's ``HeadAnchored`` logs from ``anchor.contract``.

    Raises:
        NotFound: the chain no longer knows the transaction or block (a reorg).
        ChainUnavailable: the endpoint does not answer.
    """
    receipt = client.request("eth_getTransactionReceipt", [anchor.tx_hash])
    if receipt is None:
        raise NotFound(f"expected the anchoring receipt of {anchor.tx_hash}, found none")
    block = client.request("eth_getBlockByNumber", [hex(anchor.block_number), False])
    if block is None:
        raise NotFound(f"expected block {anchor.block_number}, found none")
    logs = [
        {"address": _hex(lg["address"]), "topics": [_hex(t) for t in lg["topics"]],
         "data": _hex(lg["data"])}
        for lg in receipt["logs"]
        if _hex(lg["address"]) == anchor.contract.lower()
        and lg["topics"] and _hex(lg["topics"][0]) == HEAD_ANCHORED_TOPIC
    ]  # fmt: skip
    return AnchorEvidence(
        receipt={
            "transactionHash": _hex(receipt["transactionHash"]),
            "blockNumber": _hex(receipt["blockNumber"]),
            "blockHash": _hex(receipt["blockHash"]),
            "status": _hex(receipt["status"]),
            "logs": logs,
        },
        header={k: _hex(block[k]) for k in _HEADER_KEYS if k in block and block[k] is not None},
    )


class RpcChainView:
    """:class:`~ledger_service.core.packages.ChainView` over one JSON-RPC endpoint."""

    def __init__(self, rpc_url: str) -> None:
        from eth_account import Account

        self.description = rpc_url
        self._client = ChainClient(rpc_url, Account.create(), None, retries=2)

    def chain_id(self) -> int:
        return self._client.chain_id

    def block_hash(self, number: int) -> str | None:
        try:
            return self._client.block(number)["hash"].lower()
        except NotFound:
            return None

    def root_of(self, contract: str, size: int) -> bytes | None:
        return EvidenceLogContract(self._client, contract).root_of(size)


def verify_package(
    zip_bytes_or_path: bytes | str | Path,
    *,
    rpc_url: str | None = None,
    limits: Limits = LIMITS,
    policy: TrustPolicy | None = None,
) -> Report:
    """Verify a package offline and, with ``rpc_url``, against the chain there.

    With ``policy`` (pinned out of band) the package must name the pinned chain and
    EvidenceLog and carry its newest head's checkpoint cosigned at k of n.

    ``limits`` bounds what is read, the file's size first (default: the format's).

    Raises:
        MalformedInput, LimitExceeded, VerificationFailed: as ``core.packages.verify_package``;
            MalformedInput also when the file cannot be read.
        ChainUnavailable: ``rpc_url`` does not answer.
    """
    if isinstance(zip_bytes_or_path, bytes):
        data = zip_bytes_or_path
    else:
        path = Path(zip_bytes_or_path)
        try:
            size = path.stat().st_size
            if size > limits.package_bytes:
                raise LimitExceeded(
                    f"{path}: expected at most {limits.package_bytes} bytes, found {size}"
                )
            data = path.read_bytes()
        except OSError as exc:
            raise MalformedInput(f"expected a readable package at {path}, found: {exc}") from exc
    chain = RpcChainView(rpc_url) if rpc_url else None
    # the verifier's own clock: cosignatures dated after it do not count
    return verify_package_bytes(
        data, chain=chain, limits=limits, policy=policy, now=int(time.time())
    )


__all__ = ["RpcChainView", "anchor_evidence", "verify_package"]
