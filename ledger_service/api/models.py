"""Typed answers of the evidence routes, for the OpenAPI document and generated clients.

The wire objects (proofs, anchors, heads) are built by ``core.proofs``; these models
describe them field by field (docs/proof-format.md is the normative text) and allow
extra members, so a newer server's additions never break an older client's parsing.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

_HEX32 = r"^[0-9a-f]{64}$"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


class AnchorOut(_Wire):
    """The EvidenceLog transaction that stored a tree head (trust it only after
    reading the chain yourself: ``chainwitness verify --rpc``)."""

    format: str = Field(examples=["chainwitness/anchor"])
    version: int
    chain_id: int
    contract: str = Field(description="EvidenceLog address, EIP-55")
    tx_hash: str
    block_number: int
    block_hash: str
    block_time: int = Field(description="block timestamp, Unix seconds (chain time)")
    head_index: int
    tree_size: int
    root: str = Field(pattern=_HEX32)


class InclusionProofOut(_Wire):
    """RFC 9162 inclusion proof of one leaf, to an anchored head when there is one."""

    format: str = Field(examples=["chainwitness/inclusion-proof"])
    version: int
    leaf_index: int
    tree_size: int
    leaf_hash: str = Field(pattern=_HEX32)
    path: list[str] = Field(description="sibling hashes, leaf to root, hex")
    root: str = Field(pattern=_HEX32)
    anchor: AnchorOut | None
    record: str | None = Field(description="the record's canonical bytes, base64")


class TreeHeadOut(BaseModel):
    tree_size: int
    root: str = Field(pattern=_HEX32)


class Appended(_Wire):
    """What a deposit appended: its leaves and the log head that holds them."""

    first_index: int
    count: int
    leaf_hashes: list[str]
    tree_size: int
    root: str = Field(pattern=_HEX32)


class Deposited(Appended):
    index: int
    record: dict[str, Any] = Field(description="the record as stored (docs/proof-format.md)")


class FileDeposited(Deposited):
    sha256: str = Field(pattern=_HEX32)
    size: int


class RecordAnswer(_Wire):
    status: Literal["anchored", "pending"]
    proof: InclusionProofOut
    checkpoint: dict[str, Any] | None = Field(
        description="the signed checkpoint of the proof's head with witness cosignatures"
    )
    timestamp: str | None = Field(description="RFC 3161 token over that checkpoint, base64 DER")


class VerifyAnswer(_Wire):
    sha256: str = Field(pattern=_HEX32)
    found: bool
    withheld: int = Field(description="matches recorded but not shown until a tender opens")
    proofs: list[InclusionProofOut]
    checkpoints: list[dict[str, Any] | None]
    timestamps: list[str | None]


class HeadsAnswer(_Wire):
    log: TreeHeadOut
    anchored: AnchorOut | None
    chain: dict[str, Any] | None


class ConsistencyOut(_Wire):
    format: str = Field(examples=["chainwitness/consistency-proof"])
    version: int
    size1: int
    size2: int
    root1: str = Field(pattern=_HEX32)
    root2: str = Field(pattern=_HEX32)
    path: list[str]


class CheckpointLatest(_Wire):
    tree_size: int
    root: str = Field(pattern=_HEX32)
    cosigned: int
    witnesses: int
    quorum: int
    witnessed: bool
    checkpoint: dict[str, Any]


class CheckpointFresh(_Wire):
    tree_size: int
    checkpoint: dict[str, Any]
