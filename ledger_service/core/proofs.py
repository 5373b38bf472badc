"""Wire formats of tree heads, anchors and proofs: frozen, versioned, validated.

Every object is JSON with a ``format`` and a ``version``; unknown or missing fields
are rejected, tree hashes are 64 lowercase hex digits without ``0x``, Ethereum
hashes are ``0x`` + 64 lowercase hex digits, the contract address is EIP-55
checksummed, integers are within +-(2**53 - 1) (I-JSON). The specification,
including verification step by step, is ``docs/proof-format.md``.

Construction checks shape (``MalformedInput``); ``verify()`` checks the
mathematics (``VerificationFailed``). Neither fetches anything: whether an
anchor's root really is ``EvidenceLog.rootOf(tree_size)`` on chain is checked by
the caller that can reach the chain.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from ledger_service.core import merkle
from ledger_service.core._fields import (
    Wire,
    address,
    integer,
    is_lower_hex,
    shown,
    wire_fields,
    wire_header,
)
from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed
from ledger_service.core.records import MAX_RECORD_BYTES

__all__ = [
    "MAX_PROOF_ELEMENTS",
    "Anchor",
    "ConsistencyProof",
    "InclusionProof",
    "TreeHead",
]

#: no RFC 9162 proof for a tree of at most 2**53 - 1 leaves has more elements (54)
MAX_PROOF_ELEMENTS = 64
# base64 text of the largest record: 4 characters per 3 bytes, padded
_MAX_RECORD_BASE64 = 4 * -(-MAX_RECORD_BYTES // 3)


# ---------------------------------------------------------------- field checks


def _hash(name: str, value: object) -> bytes:
    if type(value) is not bytes or len(value) != merkle.HASH_SIZE:
        found = f"{len(value)} bytes" if isinstance(value, bytes) else type(value).__name__
        raise MalformedInput(f"{name}: expected a {merkle.HASH_SIZE}-byte hash, found {found}")
    return value


def _hash_from_json(name: str, value: object) -> bytes:
    if type(value) is not str or not is_lower_hex(value, 2 * merkle.HASH_SIZE):
        raise MalformedInput(
            f"{name}: expected {2 * merkle.HASH_SIZE} lowercase hex digits without 0x, "
            f"found {shown(value)}"
        )
    return bytes.fromhex(value)


def _eth_hash(name: str, value: object) -> str:
    if type(value) is not str or value[:2] != "0x" or not is_lower_hex(value[2:], 64):
        raise MalformedInput(
            f"{name}: expected 0x and 64 lowercase hex digits, found {shown(value)}"
        )
    return value


def _path(name: str, value: object) -> tuple[bytes, ...]:
    if isinstance(value, bytes | str) or not isinstance(value, Sequence):
        raise MalformedInput(f"{name}: expected a sequence of hashes, found {type(value).__name__}")
    if len(value) > MAX_PROOF_ELEMENTS:
        raise LimitExceeded(
            f"{name}: expected at most {MAX_PROOF_ELEMENTS} elements, found {len(value)}"
        )
    return tuple(_hash(f"{name}[{i}]", h) for i, h in enumerate(value))


def _path_from_json(name: str, value: object) -> tuple[bytes, ...]:
    if type(value) is not list:
        raise MalformedInput(f"{name}: expected an array, found {type(value).__name__}")
    if len(value) > MAX_PROOF_ELEMENTS:
        raise LimitExceeded(
            f"{name}: expected at most {MAX_PROOF_ELEMENTS} elements, found {len(value)}"
        )
    return tuple(_hash_from_json(f"{name}[{i}]", h) for i, h in enumerate(value))


# ---------------------------------------------------------------- objects


@dataclass(frozen=True, slots=True)
class TreeHead(Wire):
    """A log head: the tree of ``size`` leaves has root ``root``.

    Raises (on construction): MalformedInput if ``size`` is not in
    ``0..2**53 - 1``, ``root`` is not 32 bytes, or ``size`` is 0 and ``root`` is not
    :data:`merkle.EMPTY_ROOT`.
    """

    FORMAT: ClassVar[str] = "chainwitness/tree-head"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = ("size", "root")

    size: int
    root: bytes

    def __post_init__(self) -> None:
        integer("size", self.size, 0)
        _hash("root", self.root)
        if self.size == 0 and self.root != merkle.EMPTY_ROOT:
            raise MalformedInput(
                f"root: expected the empty-tree root {merkle.EMPTY_ROOT.hex()} for size 0, "
                f"found {self.root.hex()}"
            )

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object (see the module docstring for encodings)."""
        return {**wire_header(TreeHead), "size": self.size, "root": self.root.hex()}

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput (or LimitExceeded) if it is invalid."""
        o = wire_fields(obj, cls)
        return cls(o["size"], _hash_from_json("root", o["root"]))


@dataclass(frozen=True, slots=True)
class Anchor(Wire):
    """Where a tree head was anchored: the ``EvidenceLog`` transaction that stored it.

    ``head_index`` is the head's position in the contract's list of heads; the
    contract's ``rootOf(tree_size)`` must return ``root``. ``block_time`` is the
    block's Unix timestamp in seconds.

    Raises (on construction): MalformedInput for a field of the wrong type or
    range: ``chain_id >= 1``, ``tree_size >= 1`` (an empty tree is never
    anchored), other integers ``>= 0``, all ``<= 2**53 - 1``; ``contract`` EIP-55
    checksummed; ``tx_hash``/``block_hash`` ``0x`` + 64 lowercase hex; ``root``
    32 bytes.
    """

    FORMAT: ClassVar[str] = "chainwitness/anchor"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = (
        "chain_id", "contract", "tx_hash", "block_number", "block_hash", "block_time",
        "head_index", "tree_size", "root",
    )  # fmt: skip

    chain_id: int
    contract: str
    tx_hash: str
    block_number: int
    block_hash: str
    block_time: int
    head_index: int
    tree_size: int
    root: bytes

    def __post_init__(self) -> None:
        integer("chain_id", self.chain_id, 1)
        address("contract", self.contract)
        _eth_hash("tx_hash", self.tx_hash)
        integer("block_number", self.block_number, 0)
        _eth_hash("block_hash", self.block_hash)
        integer("block_time", self.block_time, 0)
        integer("head_index", self.head_index, 0)
        integer("tree_size", self.tree_size, 1)
        _hash("root", self.root)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object (see the module docstring for encodings)."""
        return {
            **wire_header(Anchor),
            "chain_id": self.chain_id,
            "contract": self.contract,
            "tx_hash": self.tx_hash,
            "block_number": self.block_number,
            "block_hash": self.block_hash,
            "block_time": self.block_time,
            "head_index": self.head_index,
            "tree_size": self.tree_size,
            "root": self.root.hex(),
        }

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput if it is invalid."""
        o = wire_fields(obj, cls)
        return cls(
            o["chain_id"], o["contract"], o["tx_hash"], o["block_number"], o["block_hash"],
            o["block_time"], o["head_index"], o["tree_size"], _hash_from_json("root", o["root"]),
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class InclusionProof(Wire):
    """Leaf ``leaf_index`` of the tree (``tree_size``, ``root``) has hash ``leaf_hash``.

    ``path`` is RFC 9162 PATH(leaf_index, D[tree_size]), bottom first. ``record``,
    when present, is the leaf's canonical record bytes (base64 in JSON);
    ``anchor``, when present, is where (``tree_size``, ``root``) was anchored.

    Raises (on construction): MalformedInput unless ``0 <= leaf_index <
    tree_size <= 2**53 - 1``, every hash is 32 bytes, ``record`` is bytes or None
    and ``anchor`` an :class:`Anchor` or None; LimitExceeded for more than
    :data:`MAX_PROOF_ELEMENTS` path elements or a record over ``MAX_RECORD_BYTES``.
    """

    FORMAT: ClassVar[str] = "chainwitness/inclusion-proof"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = (
        "leaf_index", "tree_size", "leaf_hash", "path", "root", "anchor", "record",
    )  # fmt: skip

    leaf_index: int
    tree_size: int
    leaf_hash: bytes
    path: tuple[bytes, ...]
    root: bytes
    anchor: Anchor | None = None
    record: bytes | None = None

    def __post_init__(self) -> None:
        integer("tree_size", self.tree_size, 1)
        integer("leaf_index", self.leaf_index, 0, self.tree_size - 1)
        _hash("leaf_hash", self.leaf_hash)
        object.__setattr__(self, "path", _path("path", self.path))
        _hash("root", self.root)
        if self.anchor is not None and type(self.anchor) is not Anchor:
            raise MalformedInput(
                f"anchor: expected an Anchor or None, found {type(self.anchor).__name__}"
            )
        if self.record is not None:
            if type(self.record) is not bytes:
                raise MalformedInput(
                    f"record: expected bytes or None, found {type(self.record).__name__}"
                )
            if len(self.record) > MAX_RECORD_BYTES:
                raise LimitExceeded(
                    f"record: expected at most {MAX_RECORD_BYTES} bytes, found {len(self.record)}"
                )

    def verify(self) -> None:
        """Check the proof: record -> leaf hash, anchor -> head, path -> root.

        1. If ``record`` is present, ``merkle.leaf_hash(record)`` must equal ``leaf_hash``.
        2. If ``anchor`` is present, its ``tree_size`` and ``root`` must equal ours.
        3. ``merkle.verify_inclusion(leaf_hash, leaf_index, tree_size, path, root)``.

        This does not check the anchor against the chain; see the module docstring.

        Raises:
            VerificationFailed: a step fails; the message says which and how.
        """
        if self.record is not None:
            computed = merkle.leaf_hash(self.record)
            if computed != self.leaf_hash:
                raise VerificationFailed(
                    f"expected leaf hash {self.leaf_hash.hex()} for the record bytes, "
                    f"found {computed.hex()}"
                )
        if self.anchor is not None:
            if self.anchor.tree_size != self.tree_size:
                raise VerificationFailed(
                    f"expected the anchor's tree size {self.anchor.tree_size}, "
                    f"found tree size {self.tree_size}"
                )
            if self.anchor.root != self.root:
                raise VerificationFailed(
                    f"expected the anchor's root {self.anchor.root.hex()}, "
                    f"found root {self.root.hex()}"
                )
        merkle.verify_inclusion(
            self.leaf_hash, self.leaf_index, self.tree_size, self.path, self.root
        )

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object; ``anchor`` and ``record`` are null when absent."""
        return {
            **wire_header(InclusionProof),
            "leaf_index": self.leaf_index,
            "tree_size": self.tree_size,
            "leaf_hash": self.leaf_hash.hex(),
            "path": [h.hex() for h in self.path],
            "root": self.root.hex(),
            "anchor": None if self.anchor is None else self.anchor.to_json(),
            "record": None if self.record is None else base64.b64encode(self.record).decode(),
        }

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput (or LimitExceeded) if it is invalid."""
        o = wire_fields(obj, cls)
        anchor = None if o["anchor"] is None else Anchor.from_json(o["anchor"])
        return cls(
            o["leaf_index"],
            o["tree_size"],
            _hash_from_json("leaf_hash", o["leaf_hash"]),
            _path_from_json("path", o["path"]),
            _hash_from_json("root", o["root"]),
            anchor,
            None if o["record"] is None else _record_from_json(o["record"]),
        )


def _record_from_json(value: object) -> bytes:
    if type(value) is not str:
        raise MalformedInput(f"record: expected base64 text or null, found {type(value).__name__}")
    if len(value) > _MAX_RECORD_BASE64:
        raise LimitExceeded(
            f"record: expected at most {_MAX_RECORD_BASE64} base64 characters, found {len(value)}"
        )
    try:
        data = base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        data = None
    # Re-encoding rejects the non-canonical spellings b64decode tolerates (stray
    # padding bits), so one record has one JSON form.
    if data is None or base64.b64encode(data).decode() != value:
        raise MalformedInput(
            f"record: expected canonical padded base64 (RFC 4648 section 4), found {shown(value)}"
        )
    return data


@dataclass(frozen=True, slots=True)
class ConsistencyProof(Wire):
    """The tree (``size2``, ``root2``) extends the tree (``size1``, ``root1``).

    ``path`` is RFC 9162 PROOF(size1, D[size2]); empty when the sizes are equal.

    Raises (on construction): MalformedInput unless ``1 <= size1 <= size2 <=
    2**53 - 1`` (there are no proofs from the empty tree, see the spec) and every
    hash is 32 bytes; LimitExceeded for more than :data:`MAX_PROOF_ELEMENTS`
    elements.
    """

    FORMAT: ClassVar[str] = "chainwitness/consistency-proof"
    VERSION: ClassVar[int] = 1
    FIELDS: ClassVar[tuple[str, ...]] = ("size1", "size2", "root1", "root2", "path")

    size1: int
    size2: int
    root1: bytes
    root2: bytes
    path: tuple[bytes, ...]

    def __post_init__(self) -> None:
        integer("size2", self.size2, 1)
        integer("size1", self.size1, 1, self.size2)
        _hash("root1", self.root1)
        _hash("root2", self.root2)
        object.__setattr__(self, "path", _path("path", self.path))

    def verify(self) -> None:
        """Run ``merkle.verify_consistency`` on the proof's fields.

        Raises:
            VerificationFailed: the proof does not verify.
        """
        merkle.verify_consistency(self.size1, self.size2, self.root1, self.root2, self.path)

    def to_json(self) -> dict[str, Any]:
        """Return the JSON object (see the module docstring for encodings)."""
        return {
            **wire_header(ConsistencyProof),
            "size1": self.size1,
            "size2": self.size2,
            "root1": self.root1.hex(),
            "root2": self.root2.hex(),
            "path": [h.hex() for h in self.path],
        }

    @classmethod
    def from_json(cls, obj: object) -> Self:
        """Parse a JSON object. Raises MalformedInput (or LimitExceeded) if it is invalid."""
        o = wire_fields(obj, cls)
        return cls(
            o["size1"],
            o["size2"],
            _hash_from_json("root1", o["root1"]),
            _hash_from_json("root2", o["root2"]),
            _path_from_json("path", o["path"]),
        )
