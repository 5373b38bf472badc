"""Transaction receipts under a block's ``receiptsRoot``: encoding, tries and proofs.

A block's ``receiptsRoot`` is the root of a Merkle-Patricia trie (Yellow Paper, appendix
D) that maps ``RLP(transactionIndex)`` to the receipt's consensus encoding (EIP-2718):

- legacy (type 0): ``RLP([status, cumulativeGasUsed, logsBloom, logs])``;
- typed (1 access list, 2 EIP-1559, 3 blob, 4 set-code, ...): ``type || RLP([...])``

with each log ``[address, [topic, ...], data]`` and ``status`` 1 as ``0x01``, 0 as the
empty string. :func:`encode_receipt` computes it from JSON-RPC fields;
:func:`receipt_trie_proof` (the package builder's side) builds the trie of a whole block
and proves one index; :func:`verify_receipt_proof` (the verifier's side) checks a proof
against a root and returns the proven value. The trie code is the ``trie`` package
(py-trie); its hashing is keccak256 of each node's RLP.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import rlp
import trie.exceptions
from eth_hash.auto import keccak
from trie.hexary import HexaryTrie

from ledger_service.core._fields import hex_text, quantity
from ledger_service.core.errors import MalformedInput, VerificationFailed

__all__ = [
    "MAX_PROOF_NODES",
    "MAX_RECEIPT_TYPE",
    "encode_receipt",
    "receipt_trie_proof",
    "receipts_root",
    "verify_receipt_proof",
]

#: EIP-2718 reserves 0x00-0x7f for transaction types
MAX_RECEIPT_TYPE: Final = 0x7F
#: a trie over 2**32 transactions is at most 9 nibble levels deep; a proof is shorter
MAX_PROOF_NODES: Final = 64
_BLOOM_BYTES = 256


def encode_receipt(receipt: Mapping[str, Any], name: str = "receipt") -> bytes:
    """The consensus encoding of a JSON-RPC receipt (``type``, ``status``,
    ``cumulativeGasUsed``, ``logsBloom``, ``logs`` each ``address``/``topics``/``data``).

    ``type`` absent means legacy (0). Other members are ignored here.

    Raises:
        MalformedInput: a field is missing or malformed (the message names it).
    """
    for f in ("status", "cumulativeGasUsed", "logsBloom", "logs"):
        if f not in receipt:
            raise MalformedInput(f"{name}: expected field {f!r}, found it missing")
    tx_type = quantity(f"{name}.type", receipt.get("type", "0x0"))
    if tx_type > MAX_RECEIPT_TYPE:
        raise MalformedInput(f"{name}.type: expected 0 ... 0x7f (EIP-2718), found {tx_type:#x}")
    status = quantity(f"{name}.status", receipt["status"])
    if status not in (0, 1):
        raise MalformedInput(f"{name}.status: expected 0x0 or 0x1, found {receipt['status']!r}")
    gas = quantity(f"{name}.cumulativeGasUsed", receipt["cumulativeGasUsed"])
    bloom = hex_text(f"{name}.logsBloom", receipt["logsBloom"], _BLOOM_BYTES)
    if type(receipt["logs"]) is not list:
        raise MalformedInput(f"{name}.logs: expected an array")
    logs = []
    for i, log in enumerate(receipt["logs"]):
        where = f"{name}.logs[{i}]"
        if not isinstance(log, Mapping) or not {"address", "topics", "data"} <= set(log):
            raise MalformedInput(f"{where}: expected an object with address, topics and data")
        if type(log["topics"]) is not list or len(log["topics"]) > 4:
            raise MalformedInput(f"{where}.topics: expected an array of at most 4 topics")
        logs.append([
            bytes.fromhex(hex_text(f"{where}.address", log["address"], 20)[2:]),
            [bytes.fromhex(hex_text(f"{where}.topics", t, 32)[2:]) for t in log["topics"]],
            bytes.fromhex(hex_text(f"{where}.data", log["data"])[2:]),
        ])  # fmt: skip
    body = rlp.encode([b"\x01" if status else b"", _int(gas), bytes.fromhex(bloom[2:]), logs])
    return bytes(body) if tx_type == 0 else bytes([tx_type]) + body


def _int(v: int) -> bytes:
    return v.to_bytes((v.bit_length() + 7) // 8, "big")


def _key(index: int) -> bytes:
    return bytes(rlp.encode(index))


# ---------------------------------------------------------------- the builder's side


def _trie(encoded: Sequence[bytes]) -> HexaryTrie:
    t = HexaryTrie(db={})
    for i, value in enumerate(encoded):
        t[_key(i)] = value
    return t


def receipts_root(encoded: Sequence[bytes]) -> bytes:
    """The ``receiptsRoot`` of a block whose receipts, in transaction order, are ``encoded``."""
    return bytes(_trie(encoded).root_hash)


def receipt_trie_proof(encoded: Sequence[bytes], index: int) -> tuple[bytes, list[bytes]]:
    """(root, proof) for receipt ``index`` of a block's ``encoded`` receipts: the trie's
    root and the RLP encodings of the nodes on the path from it to ``index``.

    Requires ``0 <= index < len(encoded)`` (else MalformedInput).
    """
    if not 0 <= index < len(encoded):
        raise MalformedInput(f"receipt index: expected 0 <= index < {len(encoded)}, found {index}")
    t = _trie(encoded)
    return bytes(t.root_hash), [bytes(rlp.encode(node)) for node in t.get_proof(_key(index))]  # type: ignore[no-untyped-call]


# ---------------------------------------------------------------- the verifier's side


def verify_receipt_proof(root: bytes, index: int, proof: Sequence[bytes], name: str) -> bytes:
    """The value the trie of ``root`` holds at ``RLP(index)``, as shown by ``proof``.

    ``proof`` holds RLP-encoded trie nodes, the root's first; each node referred to by
    hash must be among them, so the value returned is the one under ``root``.

    Raises:
        VerificationFailed: the proof does not lead from ``root`` to a value at ``index``
            (a node is missing or malformed, or the trie holds nothing there).
    """
    if not proof or len(proof) > MAX_PROOF_NODES:
        raise VerificationFailed(
            f"{name}: expected 1 to {MAX_PROOF_NODES} proof nodes, found {len(proof)}"
        )
    if keccak(proof[0]) != root:
        raise VerificationFailed(
            f"{name}: expected the first proof node to hash to receiptsRoot 0x{root.hex()}, "
            f"found 0x{keccak(proof[0]).hex()}"
        )
    try:
        nodes = [rlp.decode(node, strict=True) for node in proof]
        value = HexaryTrie.get_from_proof(root, _key(index), nodes)  # type: ignore[no-untyped-call]
    except (
        rlp.exceptions.RLPException,
        trie.exceptions.BadTrieProof,
        trie.exceptions.InvalidNode,
        trie.exceptions.ValidationError,
        ValueError,
        TypeError,
        IndexError,
    ) as exc:
        raise VerificationFailed(
            f"{name}: expected a Merkle-Patricia proof of receipt {index} under receiptsRoot "
            f"0x{root.hex()}, found a broken one ({type(exc).__name__}: {exc})"
        ) from None
    if not value:
        raise VerificationFailed(
            f"{name}: expected a receipt at index {index} under receiptsRoot 0x{root.hex()}, "
            "found the trie holds none there"
        )
    return bytes(value)
