"""Anchor evidence (section 5 of ``docs/evidence-package.md``): receipt and block header.

For every anchored head a package carries the anchoring transaction's receipt and
its block's header exactly as JSON-RPC returns them. Offline, a verifier hashes the
header from its fields by the chain's consensus (:func:`header_hash` in
:mod:`ledger_service.core.headers`: keccak256 of the RLP list, Besu's BFT headers without their commit
seals) and finds the ``HeadAnchored`` log (:data:`HEAD_ANCHORED_TOPIC`) in the receipt
(:meth:`AnchorEvidence.check_head`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from ledger_service.core._fields import exact_fields, formatted, hex_text, quantity
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.headers import CONSENSUS_SCHEMES, header_hash
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

#: how each scheme's hash is named in messages
_HASHING = {
    "ethereum": "keccak256(RLP(header))",
    "qbft": "keccak256(RLP(header, QBFT extraData without commit seals, round 0))",
    "ibft2": "keccak256(RLP(header, IBFT 2.0 extraData without commit seals and round))",
}
_RECEIPT_FIELDS = {"transactionHash", "blockNumber", "blockHash", "status", "logs"}
_LOG_FIELDS = {"address", "topics", "data"}


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
        header_hash(self.header)  # shape of every field (extraData: by check_head's scheme)

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

    def check_head(self, head: Anchor, name: str, consensus: str | None = None) -> str:
        """Steps 4.1-4.3 of section 7: this evidence shows ``head`` anchored.

        The header hashes to its ``hash`` under ``consensus`` (the trust policy's
        ``chain.consensus``; None: the first of :data:`CONSENSUS_SCHEMES` it hashes under);
        receipt and header name the head's transaction, block, number and time; the receipt
        succeeded and holds the head's ``HeadAnchored`` log. ``name`` (the entry) starts
        every message. Returns the scheme the header hashed under.

        Raises:
            VerificationFailed: one of these does not hold.
        """
        r, h = self.receipt, self.header
        scheme, computed = _hash_by(h, consensus, name)
        checks = [
            (f"header hash {_HASHING[scheme]}", h["hash"], computed),
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
                return scheme
        raise VerificationFailed(
            f"{name}: expected a HeadAnchored log from {head.contract} with index {head.head_index}, "
            f"size {head.tree_size}, root {head.root.hex()}, found none in the receipt"
        )


def _hash_by(header: Mapping[str, Any], consensus: str | None, name: str) -> tuple[str, str]:
    """(scheme, hash): by ``consensus``, or the first scheme the header's hash matches."""
    if consensus is not None:
        try:
            return consensus, header_hash(header, consensus)
        except MalformedInput as exc:
            raise VerificationFailed(
                f"{name}: expected a {consensus} header, found: {exc}"
            ) from exc
    for scheme in CONSENSUS_SCHEMES:
        try:
            computed = header_hash(header, scheme)
        except MalformedInput:
            continue  # extraData is not of this scheme's shape
        if computed == header["hash"]:
            return scheme, computed
    return CONSENSUS_SCHEMES[0], header_hash(header)
