"""Anchor evidence (section 5 of ``docs/evidence-package.md``): receipt and block header.

For every anchored head a package carries the anchoring transaction's receipt and
its block's header exactly as JSON-RPC returns them. Offline, a verifier hashes the
header from its fields by the chain's consensus (:func:`header_hash` in
:mod:`ledger_service.core.headers`: keccak256 of the RLP list, Besu's BFT headers without their commit
seals) and finds the ``HeadAnchored`` log (:data:`HEAD_ANCHORED_TOPIC`) in the receipt
(:meth:`AnchorEvidence.check_head`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak

from ledger_service.core._fields import exact_fields, formatted, hex_text, quantity
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.headers import CONSENSUS_SCHEMES, check_commit_seals, header_hash
from ledger_service.core.proofs import Anchor
from ledger_service.core.receipts import MAX_PROOF_NODES, encode_receipt, verify_receipt_proof

__all__ = [
    "ANCHOR_EVIDENCE_FORMAT",
    "ANCHOR_EVIDENCE_VERSION",
    "HEAD_ANCHORED_TOPIC",
    "AnchorEvidence",
    "header_hash",
]

ANCHOR_EVIDENCE_FORMAT = "chainwitness/anchor-evidence"
#: 2 adds ``receiptProof`` and the whole receipt (added 2026-12, issue 15); 1 still verifies
ANCHOR_EVIDENCE_VERSION = 2
ANCHOR_EVIDENCE_VERSIONS = (1, 2)
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
#: version 2: the whole consensus receipt, so that its encoding can be proven
_RECEIPT_FIELDS_V2 = _RECEIPT_FIELDS | {"transactionIndex", "type", "cumulativeGasUsed",
                                        "logsBloom"}  # fmt: skip
_LOG_FIELDS = {"address", "topics", "data"}


# ---------------------------------------------------------------- the entry


@dataclass(frozen=True)
class AnchorEvidence:
    """The anchoring transaction's receipt and its block's header, as JSON-RPC returns them.

    ``receipt``: ``transactionHash``, ``blockNumber``, ``blockHash``, ``status`` and
    ``logs`` (each ``address``, ``topics``, ``data``); ``header``: the fields of
    :func:`header_hash` plus ``hash``. With ``receipt_proof`` (version 2) the receipt also
    has ``transactionIndex``, ``type``, ``cumulativeGasUsed`` and ``logsBloom`` and all its
    logs, and ``receipt_proof`` holds the RLP trie nodes (``0x`` hex) proving its encoding
    under ``header.receiptsRoot`` at ``transactionIndex``. Validated on construction
    (MalformedInput).
    """

    receipt: Mapping[str, Any]
    header: Mapping[str, Any]
    receipt_proof: tuple[str, ...] | None = None

    @property
    def version(self) -> int:
        return 1 if self.receipt_proof is None else 2

    def __post_init__(self) -> None:
        fields = _RECEIPT_FIELDS if self.receipt_proof is None else _RECEIPT_FIELDS_V2
        r = exact_fields("receipt", self.receipt, fields)
        if self.receipt_proof is not None:
            quantity("receipt.transactionIndex", r["transactionIndex"])
            encode_receipt(r)  # shape of type, status, gas, bloom and logs
            p = self.receipt_proof
            if type(p) is not tuple or not 1 <= len(p) <= MAX_PROOF_NODES:
                raise MalformedInput(
                    f"receiptProof: expected 1 to {MAX_PROOF_NODES} trie nodes, found "
                    f"{len(p) if type(p) is tuple else type(p).__name__}"
                )
            for node in p:
                hex_text("receiptProof", node)
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
        out: dict[str, Any] = {
            "format": ANCHOR_EVIDENCE_FORMAT, "version": self.version,
            "receipt": dict(self.receipt), "header": dict(self.header),
        }  # fmt: skip
        if self.receipt_proof is not None:
            out["receiptProof"] = list(self.receipt_proof)
        return out

    @classmethod
    def from_json(cls, obj: object) -> AnchorEvidence:
        """Parse version 1 (receipt and header) or 2 (also ``receiptProof``)."""
        if not isinstance(obj, Mapping):
            raise MalformedInput(f"anchor evidence: expected an object, found {type(obj).__name__}")
        v = obj.get("version")
        if type(v) is not int or v not in ANCHOR_EVIDENCE_VERSIONS:
            raise MalformedInput(
                f"anchor evidence: expected format {ANCHOR_EVIDENCE_FORMAT!r} version 1 or 2, "
                f"found {obj.get('format')!r} version {v!r}"
            )
        fields = {"format", "version", "receipt", "header"} | (
            {"receiptProof"} if v == 2 else set()
        )
        o = formatted("anchor evidence", obj, fields, ANCHOR_EVIDENCE_FORMAT, v)
        if not isinstance(o["header"], Mapping):
            raise MalformedInput("header: expected an object")
        proof = None
        if v == 2:
            if type(o["receiptProof"]) is not list:
                raise MalformedInput("receiptProof: expected an array of trie nodes")
            proof = tuple(o["receiptProof"])
        return cls(o["receipt"], o["header"], proof)

    def check_head(
        self,
        head: Anchor,
        name: str,
        consensus: str | None = None,
        validators: Sequence[str] = (),
    ) -> str:
        """Steps 4.1-4.3 of section 7: this evidence shows ``head`` anchored.

        The header hashes to its ``hash`` under ``consensus`` (the trust policy's
        ``chain.consensus``; None: the first of :data:`CONSENSUS_SCHEMES` it hashes under);
        with pinned BFT ``validators``, the header carries commit seals of ceil(2n/3) of them
        (``core/headers.py``: :func:`check_commit_seals`);
        with a ``receipt_proof``, the receipt's encoding is the value the header's
        ``receiptsRoot`` holds at its ``transactionIndex``; receipt and header name the head's transaction, block, number and time; the receipt
        succeeded and holds the head's ``HeadAnchored`` log. ``name`` (the entry) starts
        every message. Returns the scheme the header hashed under.

        Raises:
            VerificationFailed: one of these does not hold.
        """
        r, h = self.receipt, self.header
        scheme, computed = _hash_by(h, consensus, name)
        if h["hash"] != computed:
            raise VerificationFailed(
                f"{name}: expected header hash {_HASHING[scheme]} {h['hash']}, found {computed}"
            )
        if validators and scheme != "ethereum":
            check_commit_seals(h, scheme, validators, name)
        if self.receipt_proof is not None:
            self._check_receipt_proof(name)
        checks = [
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

    def _check_receipt_proof(self, name: str) -> None:
        """Step 4.2 of section 7: the receipt is the block's, at its transaction index."""
        assert self.receipt_proof is not None
        root = bytes.fromhex(self.header["receiptsRoot"][2:])
        index = int(self.receipt["transactionIndex"], 16)
        nodes = [bytes.fromhex(n[2:]) for n in self.receipt_proof]
        proven = verify_receipt_proof(root, index, nodes, f"{name}: receipt proof")
        if proven != encode_receipt(self.receipt):
            raise VerificationFailed(
                f"{name}: receipt proof: expected receipt {index} under receiptsRoot "
                f"0x{root.hex()} to encode this receipt (status, gas, bloom and logs), found "
                "another receipt there: the receipt was altered"
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
