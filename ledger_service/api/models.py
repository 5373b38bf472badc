"""Typed answers of the routes, for the OpenAPI document and generated clients.

The wire objects (proofs, anchors, heads) are built by ``core.proofs``; these models
describe them field by field (docs/proof-format.md is the normative text) and allow
extra members, so a newer server's additions never break an older client's parsing.

Routes that return a plain ``dict`` have it validated against an :class:`Answer` model,
which serializes back to exactly the JSON the handler built: the same members in the
same order, extra members kept, no ``null`` added for an optional member it left out.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidatorFunctionWrapHandler,
    model_serializer,
    model_validator,
)
from pydantic_core.core_schema import SerializerFunctionWrapHandler

_HEX32 = r"^[0-9a-f]{64}$"


class _Wire(BaseModel):
    model_config = ConfigDict(extra="allow")


class Answer(_Wire):
    """A route's answer as the handler built it: validated, then written back unchanged.

    Strict: a member of another type is an error (a 500 the tests catch), never silently
    converted. The keys of the validated object are remembered; serialization writes those
    keys in that order (extras included) and leaves out the optional fields that were absent.
    """

    model_config = ConfigDict(extra="allow", strict=True)
    _keys: tuple[str, ...] | None = PrivateAttr(default=None)

    @model_validator(mode="wrap")
    @classmethod
    def _remember_keys(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        model = handler(data)
        if isinstance(data, dict) and isinstance(model, Answer):
            model._keys = tuple(data)
        return model

    # no return annotation on purpose: with one, pydantic would document the serializer's
    # return type (a bare object) instead of the model's fields
    @model_serializer(mode="wrap")
    def _as_given(self, handler: SerializerFunctionWrapHandler):  # type: ignore[no-untyped-def]
        out = handler(self)
        if self._keys is None or not isinstance(out, dict):
            return out
        return {k: out[k] for k in self._keys if k in out}


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


class EvidenceRecordOut(Answer):
    """An evidence record as the log holds it (docs/proof-format.md)."""

    v: int
    kind: str
    subject: str
    actor: str
    digests: dict[str, str] = Field(description="algorithm -> hex digest")
    metadata: dict[str, Any] = Field(description="the record's free-form JSON object")
    submitted_at: str = Field(description="RFC 3339 UTC, milliseconds")


# -- operations -------------------------------------------------------------------------


class Health(Answer):
    status: str = Field(examples=["ok"])
    version: str
    pid: int = Field(description="the process that answered (`serve --workers N`)")


class ReadyCheck(Answer):
    ok: bool
    detail: str


class Ready(Answer):
    status: str = Field(examples=["ready"])
    version: str
    checks: dict[str, ReadyCheck] = Field(
        description="database, chain, anchorer, anchor_lag: each check's verdict"
    )


# -- court, reports ---------------------------------------------------------------------


class FoundRecord(Answer):
    index: int
    leaf_hash: str = Field(pattern=_HEX32)
    record: EvidenceRecordOut


class RecordSearch(Answer):
    records: list[FoundRecord]
    total: int = Field(description="matching records on all pages")
    next_cursor: int | None = Field(description="pass as `cursor` for the next page; null: last")
    custody_record: int = Field(description="index of the record of this retrieval")


class PackageMade(Answer):
    sha256: str = Field(pattern=_HEX32)
    size: int
    download: str = Field(description="path of the package's download")
    custody_record: int = Field(description="index of the record of this retrieval")


class ReportIssued(Answer):
    number: str
    sha256: str = Field(pattern=_HEX32, description="SHA-256 of the signed PDF")
    record_index: int
    download: str


class ReportAnswer(Answer):
    number: str
    record: EvidenceRecordOut
    proof: InclusionProofOut
    download: str


# -- electronic contracts ---------------------------------------------------------------


class ContractDocument(Answer):
    name: str
    sha256: str = Field(pattern=_HEX32)


class ContractRegistration(Answer):
    tx_hash: str
    block_time: int = Field(description="chain time, Unix seconds")
    record_index: int


class ContractParty(Answer):
    name: str
    address: str
    signed: bool
    signature: str | None = Field(description="the party's EIP-712 signature, 0x-hex")
    tx_hash: str | None
    signed_at: int | None = Field(description="chain time, Unix seconds")
    record_index: int | None


class ContractOnChain(Answer):
    complete: bool
    signature_count: int


class ContractView(Answer):
    """A contract, its parties' signatures, its amendment chain and what the chain says."""

    code: str
    contract_id: str = Field(description="bytes32 id on chain, 0x-hex")
    witness: str = Field(description="ContractWitness address")
    chain_id: int
    document: ContractDocument
    terms_sha256: str = Field(pattern=_HEX32)
    amount_fen: int
    date: str = Field(description="YYYY-MM-DD")
    registration: ContractRegistration
    parties: list[ContractParty]
    complete: bool
    completed_at: int | None
    completed_record_index: int | None
    previous: str | None = Field(description="code of the contract this amends")
    amended_by: str | None = Field(description="the signed amendment that replaced it")
    amendment_chain: list[str] = Field(description="codes, original first")
    records: list[int] = Field(description="indices of the contract's evidence records")
    on_chain: ContractOnChain


class TypedDataField(Answer):
    name: str
    type: str


class ContractDomain(Answer):
    name: str
    version: str
    chainId: int
    verifyingContract: str


class ContractMessage(Answer):
    contractId: str
    documentDigest: str
    parties: list[str]
    amount: int
    date: int
    termsDigest: str
    previous: str


class ContractTypedData(Answer):
    """The EIP-712 typed data each party signs (``eth_signTypedData_v4``)."""

    types: dict[str, list[TypedDataField]]
    primaryType: str
    domain: ContractDomain
    message: ContractMessage
