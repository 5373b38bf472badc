"""The chain side of evidence packages: fetch anchor evidence, check packages against RPC.

``core.packages`` verifies from bytes alone; this adapter hands it a
:class:`~ledger_service.core.packages.ChainView` over JSON-RPC and fetches the raw
receipts, block headers and receipt proofs a package carries.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.core.errors import ChainUnavailable, LimitExceeded, MalformedInput, NotFound
from ledger_service.core.packages import (
    LIMITS,
    AnchorEvidence,
    Limits,
    Report,
)
from ledger_service.core.packages import (
    verify_package as verify_package_bytes,
)
from ledger_service.core.proofs import Anchor
from ledger_service.core.receipts import encode_receipt, receipt_trie_proof
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


def _receipt(r: Any) -> dict[str, Any]:
    """A JSON-RPC receipt's consensus fields and position, as a package carries them."""
    return {
        "transactionHash": _hex(r["transactionHash"]),
        "transactionIndex": _hex(r["transactionIndex"]),
        "blockNumber": _hex(r["blockNumber"]),
        "blockHash": _hex(r["blockHash"]),
        "status": _hex(r["status"]),
        "type": _hex(r.get("type") or "0x0"),
        "cumulativeGasUsed": _hex(r["cumulativeGasUsed"]),
        "logsBloom": _hex(r["logsBloom"]),
        "logs": [
            {"address": _hex(lg["address"]), "topics": [_hex(t) for t in lg["topics"]],
             "data": _hex(lg["data"])}
            for lg in r["logs"]
        ],
    }  # fmt: skip


def block_receipts(client: ChainClient, block: Any) -> list[dict[str, Any]]:
    """Every receipt of ``block`` (an ``eth_getBlockByNumber`` answer), in transaction order.

    Asks ``eth_getBlockReceipts``; a node without it is asked
    ``eth_getTransactionReceipt`` for each of the block's transactions. Hardhat Network
    (2.x, EDR) is such a node: it answers ``eth_getBlockReceipts`` with error -32004
    "Method eth_getBlockReceipts is not supported" (see docs/deployment.md).

    Raises:
        NotFound: a receipt is missing (the block went away: a reorg).
        ChainUnavailable: the endpoint does not answer.
    """
    number = _hex(block["number"])
    offered, found = client.request_if_offered("eth_getBlockReceipts", [number])
    if not offered or found is None:
        # Hardhat Network, or a node that knows the method but not the block yet:
        # one eth_getTransactionReceipt per transaction, checked the same way below
        found = []
        for tx in block["transactions"]:
            r = client.request("eth_getTransactionReceipt", [_hex(tx)])
            if r is None:
                raise NotFound(f"expected the receipt of {_hex(tx)} in block {number}, found none")
            found.append(r)
    receipts = sorted((_receipt(r) for r in found), key=lambda r: int(r["transactionIndex"], 16))
    if [int(r["transactionIndex"], 16) for r in receipts] != list(range(len(receipts))):
        raise ChainUnavailable(
            f"expected the receipts of block {number} at indexes 0..{len(receipts) - 1}, "
            f"found {[r['transactionIndex'] for r in receipts]}"
        )
    return receipts


def anchor_evidence(client: ChainClient, anchor: Anchor) -> AnchorEvidence:
    """Fetch the receipt of ``anchor.tx_hash``, the header of its block and the receipt's
    Merkle-Patricia proof under the header's ``receiptsRoot`` (anchor evidence version 2).

    The proof is built from all the block's receipts (:func:`block_receipts`); their trie
    must have the header's ``receiptsRoot``, else the node's answers disagree.

    Raises:
        NotFound: the chain no longer knows the transaction or block (a reorg).
        ChainUnavailable: the endpoint does not answer, or answers inconsistently.
    """
    block = client.request("eth_getBlockByNumber", [hex(anchor.block_number), False])
    if block is None:
        raise NotFound(f"expected block {anchor.block_number}, found none")
    receipts = block_receipts(client, block)
    mine = [r for r in receipts if r["transactionHash"] == anchor.tx_hash.lower()]
    if len(mine) != 1 or _hex(block["hash"]) != anchor.block_hash.lower():
        raise NotFound(
            f"expected the anchoring receipt of {anchor.tx_hash} in block {anchor.block_number} "
            f"{anchor.block_hash}, found none (the block is {_hex(block['hash'])})"
        )
    encoded = [encode_receipt(r) for r in receipts]
    index = int(mine[0]["transactionIndex"], 16)
    root, proof = receipt_trie_proof(encoded, index)
    if "0x" + root.hex() != _hex(block["receiptsRoot"]):
        raise ChainUnavailable(
            f"expected the {len(receipts)} receipts of block {anchor.block_number} from "
            f"{client.rpc_url} to have its receiptsRoot {_hex(block['receiptsRoot'])}, "
            f"found 0x{root.hex()}"
        )
    return AnchorEvidence(
        receipt=mine[0],
        header={k: _hex(block[k]) for k in _HEADER_KEYS if k in block and block[k] is not None},
        receipt_proof=tuple("0x" + node.hex() for node in proof),
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


__all__ = ["RpcChainView", "anchor_evidence", "block_receipts", "verify_package"]
