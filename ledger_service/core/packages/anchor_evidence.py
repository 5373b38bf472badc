"""Anchor evidence (section 5 of ``docs/evidence-package.md``): receipt and block header.

For every anchored head a package carries the anchoring transaction's receipt and
its block's header exactly as JSON-RPC returns them. Offline, a verifier hashes the
header from its fields (:func:`header_hash`, keccak256 of the RLP list) and finds
the ``HeadAnchored`` log (:data:`HEAD_ANCHORED_TOPIC`) in the receipt
(:meth:`AnchorEvidence.check_head`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from ledger_service.core._fields import exact_fields, formatted, hex_text, quantity
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.proofs import Anchor

__all__ = [
    "ANCHOR_EVIDENCE_FORMAT",
    "ANCHOR_EVIDENCE_VERSION",
    "HEAD_ANCHORED_TOPIC",
    "AnchorEvidence",
    "header_hash",
]

ANCHOR_EVIDENCE_FORMAT = "chainwitness/anchor-evidence"
ANCHOR_EVIDENCE_VERSION = 1
#: topic 0 of EvidenceLog's ``HeadAnchored(uint256 indexed index, uint64 indexed size,
#: bytes32 root, uint64 anchoredAt, address indexed anchorer)``
HEAD_ANCHORED_TOPIC = "0x" + keccak(b"HeadAnchored(uint256,uint64,bytes32,uint64,address)").hex()

# Block header fields in RLP order (Yellow Paper, then EIP-1559, 4895, 4844/4788,
# 7685). The first 15 are required; the others, when present, form a prefix.
_HEADER_FIELDS: tuple[tuple[str, bool], ...] = (
    ("parentHash", False), ("sha3Uncles", False), ("miner", False), ("stateRoot", False),
    ("transactionsRoot", False), ("receiptsRoot", False), ("logsBloom", False),
    ("difficulty", True), ("number", True), ("gasLimit", True), ("gasUsed", True),
    ("timestamp", True), ("extraData", False), ("mixHash", False), ("nonce", False),
    ("baseFeePerGas", True), ("withdrawalsRoot", False), ("blobGasUsed", True),
    ("excessBlobGas", True), ("parentBeaconBlockRoot", False), ("requestsHash", False),
)  # fmt: skip
_REQUIRED_HEADER_FIELDS = 15
_RECEIPT_FIELDS = {"transactionHash", "blockNumber", "blockHash", "status", "logs"}
_LOG_FIELDS = {"address", "topics", "data"}


# ---------------------------------------------------------------- RLP and headers


def _rlp_length(n: int, offset: int) -> bytes:
    if n < 56:
        return bytes([offset + n])
    length = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(length)]) + length


def _rlp_item(b: bytes) -> bytes:
    return b if len(b) == 1 and b[0] < 0x80 else _rlp_length(len(b), 0x80) + b


def header_hash(header: Mapping[str, Any]) -> str:
    """Return ``0x`` + keccak256(RLP(header fields)) of an ``eth_getBlockByNumber`` header.

    ``header`` holds the fields of ``_HEADER_FIELDS`` as JSON-RPC hex (the first 15
    required, later ones a prefix of the rest) and may hold ``hash``, ignored here.

    Raises:
        MalformedInput: a field is missing, unknown, or not hex of the right kind.
    """
    known = {name for name, _ in _HEADER_FIELDS} | {"hash"}
    unknown = sorted(set(header) - known)
    if unknown:
        raise MalformedInput(f"header: expected only block header fields, found {unknown}")
    items = []
    for i, (name, is_int) in enumerate(_HEADER_FIELDS):
        if name not in header:
            if i < _REQUIRED_HEADER_FIELDS:
                raise MalformedInput(f"header: expected field {name!r}, found it missing")
            later = [n for n, _ in _HEADER_FIELDS[i:] if n in header]
            if later:
                raise MalformedInput(f"header: expected {name!r} before {later}, found it missing")
            break
        if is_int:
            v = quantity(f"header.{name}", header[name])
            items.append(_rlp_item(v.to_bytes((v.bit_length() + 7) // 8, "big")))
        else:
            items.append(_rlp_item(bytes.fromhex(hex_text(f"header.{name}", header[name])[2:])))
    payload = b"".join(items)
    return "0x" + keccak(_rlp_length(len(payload), 0xC0) + payload).hex()


# ---------------------------------------------------------------- the entry


@dataclass(frozen=True)
class AnchorEvidence:
    """The anchoring transaction's receipt and its block's header, as JSON-RPC returns them.

    ``receipt``: ``transactionHash``, ``blockNumber``, ``blockHash``, ``status`` and
    ``logs`` (each ``address``, ``topics``, ``data``); ``header``: the fields of
    :func:`header_hash` plus ``hash``. Validated on construction (MalformedInput).
    """

    receipt: Mapping[str, Any]
    header: Mapping[str, Any]

    def __post_init__(self) -> None:
        r = exact_fields("receipt", self.receipt, _RECEIPT_FIELDS)
        hex_text("receipt.transactionHash", r["transactionHash"], 32)
        hex_text("receipt.blockHash", r["blockHash"], 32)
        quantity("receipt.blockNumber", r["blockNumber"])
        quantity("receipt.status", r["status"])
        if type(r["logs"]) is not list:
            raise MalformedInput("receipt.logs: expected an array")
        for i, log in enumerate(r["logs"]):
            lg = exact_fields(f"receipt.logs[{i}]", log, _LOG_FIELDS)
            hex_text(f"receipt.logs[{i}].address", lg["address"], 20)
            hex_text(f"receipt.logs[{i}].data", lg["data"])
            if type(lg["topics"]) is not list:
                raise MalformedInput(f"receipt.logs[{i}].topics: expected an array")
            for t in lg["topics"]:
                hex_text(f"receipt.logs[{i}].topics", t, 32)
        if "hash" not in self.header:
            raise MalformedInput("header: expected field 'hash', found it missing")
        hex_text("header.hash", self.header["hash"], 32)
        header_hash(self.header)  # shape of every field

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ANCHOR_EVIDENCE_FORMAT, "version": ANCHOR_EVIDENCE_VERSION,
            "receipt": dict(self.receipt), "header": dict(self.header),
        }  # fmt: skip

    @classmethod
    def from_json(cls, obj: object) -> AnchorEvidence:
        o = formatted("anchor evidence", obj, {"format", "version", "receipt", "header"},
                      ANCHOR_EVIDENCE_FORMAT, ANCHOR_EVIDENCE_VERSION)  # fmt: skip
        if not isinstance(o["header"], Mapping):
            raise MalformedInput("header: expected an object")
        return cls(o["receipt"], o["header"])

    def check_head(self, head: Anchor, name: str) -> None:
        """Steps 4.1-4.3 of section 7: this evidence shows ``head`` anchored.

        The header hashes to its ``hash``; receipt and header name the head's transaction,
        block, number and time; the receipt succeeded and holds the head's
        ``HeadAnchored`` log. ``name`` (the entry) starts every message.

        Raises:
            VerificationFailed: one of these does not hold.
        """
        r, h = self.receipt, self.header
        checks = [
            ("header hash keccak256(RLP(header))", h["hash"], header_hash(h)),
            ("receipt transactionHash", head.tx_hash, r["transactionHash"]),
            ("receipt blockHash", head.block_hash, r["blockHash"]),
            ("header hash", head.block_hash, h["hash"]),
            ("receipt blockNumber", head.block_number, int(r["blockNumber"], 16)),
            ("header number", head.block_number, int(h["number"], 16)),
            ("header timestamp", head.block_time, int(h["timestamp"], 16)),
            ("receipt status", 1, int(r["status"], 16)),
        ]
        for what, want, found in checks:
            if want != found:
                raise VerificationFailed(f"{name}: expected {what} {want}, found {found}")
        want_log = (
            head.contract.lower(),
            [HEAD_ANCHORED_TOPIC, "0x" + head.head_index.to_bytes(32, "big").hex(),
             "0x" + head.tree_size.to_bytes(32, "big").hex()],
            head.root.hex(),
        )  # fmt: skip
        for log in r["logs"]:
            if (log["address"].lower(), log["topics"][:3], log["data"][2:66]) == want_log:
                return
        raise VerificationFailed(
            f"{name}: expected a HeadAnchored log from {head.contract} with index {head.head_index}, "
            f"size {head.tree_size}, root {head.root.hex()}, found none in the receipt"
        )
