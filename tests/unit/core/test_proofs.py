"""Tests for ledger_service.core.proofs: the worked example of docs/proof-format.md."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import re
from pathlib import Path
from typing import Any

import pytest
from eth_utils.address import to_checksum_address
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_service.core import merkle
from ledger_service.core.canonical import parse_json_strict
from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed
from ledger_service.core.proofs import (
    MAX_PROOF_ELEMENTS,
    Anchor,
    ConsistencyProof,
    InclusionProof,
    TreeHead,
)
from ledger_service.core.records import EvidenceRecord
from tests.unit.core.test_merkle import REFERENCE_ENTRIES
from tests.unit.core.test_records import KAT_BYTES, KAT_LEAF

# The worked example: leaves 0..6 are the first seven entries of the RFC 6962
# reference tree (tests/vectors/rfc6962/SOURCE.md), leaf 7 is the pinned record.
LEAVES = [merkle.leaf_hash(e) for e in REFERENCE_ENTRIES[:7]] + [merkle.leaf_hash(KAT_BYTES)]
ROOT7 = "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"
ROOT8 = "bdadac9aa5c44f640e7645709aaca205a0adb4fcaa2731ba68c166d2383ea175"
LEAF6 = "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"
MTH_4_6 = "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a"
MTH_0_4 = "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"
CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"

ANCHOR_JSON: dict[str, Any] = {
    "format": "chainwitness/anchor",
    "version": 1,
    "chain_id": 31337,
    "contract": CONTRACT,
    "tx_hash": "0x1b5b9ccb3e8d006a5230de9bda23ff91edc794d4f56410560830b418528e446c",
    "block_number": 12,
    "block_hash": "0x3e453b21cb84f6b85d2a21b5f1f448543efeb66b12e2656b5fc70aaa7432b292",
    "block_time": 1796003482,
    "head_index": 3,
    "tree_size": 8,
    "root": ROOT8,
}
INCLUSION_JSON: dict[str, Any] = {
    "format": "chainwitness/inclusion-proof",
    "version": 1,
    "leaf_index": 7,
    "tree_size": 8,
    "leaf_hash": KAT_LEAF,
    "path": [LEAF6, MTH_4_6, MTH_0_4],
    "root": ROOT8,
    "anchor": ANCHOR_JSON,
    "record": base64.b64encode(KAT_BYTES).decode(),
}
CONSISTENCY_JSON: dict[str, Any] = {
    "format": "chainwitness/consistency-proof",
    "version": 1,
    "size1": 7,
    "size2": 8,
    "root1": ROOT7,
    "root2": ROOT8,
    "path": [LEAF6, KAT_LEAF, MTH_4_6, MTH_0_4],
}
HEAD_JSON: dict[str, Any] = {
    "format": "chainwitness/tree-head",
    "version": 1,
    "size": 8,
    "root": ROOT8,
}


def anchor() -> Anchor:
    return Anchor(
        chain_id=31337,
        contract=CONTRACT,
        tx_hash="0x" + hashlib.sha256(b"tx").hexdigest(),
        block_number=12,
        block_hash="0x" + hashlib.sha256(b"block 12").hexdigest(),
        block_time=1796003482,  # 2026-11-30T01:51:22Z
        head_index=3,
        tree_size=8,
        root=merkle.root_from_leaves(LEAVES),
    )


def inclusion() -> InclusionProof:
    return InclusionProof(
        leaf_index=7,
        tree_size=8,
        leaf_hash=LEAVES[7],
        path=tuple(merkle.inclusion_proof_from_leaves(7, 8, LEAVES)),
        root=merkle.root_from_leaves(LEAVES),
        anchor=anchor(),
        record=KAT_BYTES,
    )


def consistency() -> ConsistencyProof:
    return ConsistencyProof(
        size1=7,
        size2=8,
        root1=merkle.root_from_leaves(LEAVES[:7]),
        root2=merkle.root_from_leaves(LEAVES),
        path=tuple(merkle.consistency_proof_from_leaves(7, 8, LEAVES)),
    )


# ---------------------------------------------------------------- known answers


def test_worked_example_known_answers() -> None:
    assert merkle.root_from_leaves(LEAVES[:7]).hex() == ROOT7  # the reference tree's size-7 root
    assert merkle.root_from_leaves(LEAVES[:4]).hex() == MTH_0_4
    assert inclusion().to_json() == INCLUSION_JSON
    assert consistency().to_json() == CONSISTENCY_JSON
    assert TreeHead(8, bytes.fromhex(ROOT8)).to_json() == HEAD_JSON
    assert anchor().to_json() == ANCHOR_JSON
    assert to_checksum_address(CONTRACT.lower()) == CONTRACT
    inclusion().verify()
    consistency().verify()
    assert (
        EvidenceRecord.from_canonical_bytes(inclusion().record or b"").leaf_hash().hex() == KAT_LEAF
    )


def test_spec_shows_the_pinned_example() -> None:
    """docs/proof-format.md section 8 must not drift from the pinned values."""
    spec = (Path(__file__).resolve().parents[3] / "docs" / "proof-format.md").read_text()
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", spec, re.S)]
    assert INCLUSION_JSON in blocks
    assert CONSISTENCY_JSON in blocks
    assert KAT_LEAF in spec and ROOT8 in spec and ROOT7 in spec


@pytest.mark.parametrize(
    ("cls", "doc"),
    [
        (InclusionProof, INCLUSION_JSON),
        (ConsistencyProof, CONSISTENCY_JSON),
        (TreeHead, HEAD_JSON),
        (Anchor, ANCHOR_JSON),
    ],
)
def test_round_trip(cls: Any, doc: dict[str, Any]) -> None:
    obj = cls.from_json(doc)
    assert obj.to_json() == doc
    assert cls.from_json(parse_json_strict(json.dumps(obj.to_json()))) == obj


def test_optional_fields_are_null() -> None:
    bare = InclusionProof.from_json({**INCLUSION_JSON, "anchor": None, "record": None})
    assert bare.anchor is None and bare.record is None
    assert bare.to_json()["anchor"] is None and bare.to_json()["record"] is None
    bare.verify()
    with pytest.raises(MalformedInput, match=r"found missing \['anchor'\] and unknown \[\]$"):
        InclusionProof.from_json({k: v for k, v in INCLUSION_JSON.items() if k != "anchor"})


# ---------------------------------------------------------------- rejected JSON


def _with(doc: dict[str, Any], **changes: Any) -> dict[str, Any]:
    return {**doc, **changes}


@pytest.mark.parametrize(
    ("cls", "doc", "error", "match"),
    [
        (InclusionProof, _with(INCLUSION_JSON, extra=1), MalformedInput,
         r"^chainwitness/inclusion-proof: expected exactly the fields .* found missing \[\] and unknown \['extra'\]$"),
        (InclusionProof, _with(INCLUSION_JSON, version=2), MalformedInput,
         r"^chainwitness/inclusion-proof version: expected 1, found 2$"),
        (InclusionProof, _with(INCLUSION_JSON, version="1"), MalformedInput, r"version: expected 1, found '1'$"),
        (InclusionProof, _with(INCLUSION_JSON, version=True), MalformedInput, r"version: expected 1, found True$"),
        (InclusionProof, _with(INCLUSION_JSON, format="chainwitness/consistency-proof"), MalformedInput,
         r"^format: expected 'chainwitness/inclusion-proof', found 'chainwitness/consistency-proof'$"),
        (InclusionProof, _with(INCLUSION_JSON, root=ROOT8.upper()), MalformedInput,
         r"^root: expected 64 lowercase hex digits without 0x, found 'BDADAC"),
        (InclusionProof, _with(INCLUSION_JSON, root="0x" + ROOT8[2:]), MalformedInput, r"^root: expected 64 lowercase hex"),
        (InclusionProof, _with(INCLUSION_JSON, root=ROOT8[:-2]), MalformedInput, r"^root: expected 64 lowercase hex"),
        (InclusionProof, _with(INCLUSION_JSON, root=ROOT8 + "00"), MalformedInput, r"^root: expected 64 lowercase hex"),
        (InclusionProof, _with(INCLUSION_JSON, leaf_hash=" " + KAT_LEAF[1:]), MalformedInput, r"^leaf_hash: expected 64"),
        (InclusionProof, _with(INCLUSION_JSON, path=[LEAF6, "zz" * 32]), MalformedInput, r"^path\[1\]: expected 64 lowercase"),
        (InclusionProof, _with(INCLUSION_JSON, path=LEAF6), MalformedInput, r"^path: expected an array, found str$"),
        (InclusionProof, _with(INCLUSION_JSON, path=[LEAF6] * (MAX_PROOF_ELEMENTS + 1)), LimitExceeded,
         r"^path: expected at most 64 elements, found 65$"),
        (InclusionProof, _with(INCLUSION_JSON, leaf_index=8), MalformedInput, r"^leaf_index: expected 0 <= leaf_index <= 7, found 8$"),
        (InclusionProof, _with(INCLUSION_JSON, leaf_index=-1), MalformedInput, r"found -1$"),
        (InclusionProof, _with(INCLUSION_JSON, leaf_index=7.0), MalformedInput, r"^leaf_index: expected an integer, found float$"),
        (InclusionProof, _with(INCLUSION_JSON, tree_size=0), MalformedInput, r"^tree_size: expected 1 <= tree_size"),
        (InclusionProof, _with(INCLUSION_JSON, tree_size=2**53), MalformedInput, r"tree_size <= 9007199254740991, found 9007199254740992$"),
        (InclusionProof, _with(INCLUSION_JSON, record="eyJ9"), MalformedInput, None),  # valid base64, checked by verify
        (InclusionProof, _with(INCLUSION_JSON, record="QR=="), MalformedInput, r"^record: expected canonical padded base64"),
        (InclusionProof, _with(INCLUSION_JSON, record="QQ"), MalformedInput, r"^record: expected canonical padded base64"),
        (InclusionProof, _with(INCLUSION_JSON, record="QQ==\n"), MalformedInput, r"^record: expected canonical padded base64"),
        (InclusionProof, _with(INCLUSION_JSON, record="-_8="), MalformedInput, r"^record: expected canonical padded base64"),
        (InclusionProof, _with(INCLUSION_JSON, record=["QQ=="]), MalformedInput, r"^record: expected base64 text or null, found list$"),
        (InclusionProof, _with(INCLUSION_JSON, record="A" * 87388), LimitExceeded,
         r"^record: expected at most 87384 base64 characters, found 87388$"),
        (InclusionProof, _with(INCLUSION_JSON, record="A" * 87384), LimitExceeded,
         r"^record: expected at most 65536 bytes, found 65538$"),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, contract=CONTRACT.lower())), MalformedInput,
         r"^contract: expected the EIP-55 checksummed 0x5FbDB2315678afecb367f032d93F642f64180aa3, found 0x5fbdb"),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, contract=CONTRACT[:-1])), MalformedInput,
         r"^contract: expected 0x and 40 hex digits"),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, contract=CONTRACT[:-2] + " 3")), MalformedInput,
         r"^contract: expected 0x and 40 hex digits"),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, tx_hash=ANCHOR_JSON["tx_hash"].upper()[1:])),
         MalformedInput, r"^tx_hash: expected 0x and 64 lowercase hex digits"),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, block_hash=ANCHOR_JSON["block_hash"][2:])),
         MalformedInput, r"^block_hash: expected 0x and 64 lowercase hex digits"),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, chain_id=0)), MalformedInput, r"^chain_id: expected 1 <= chain_id"),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, block_time=-1)), MalformedInput, r"^block_time: expected 0 <="),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, tree_size=0)), MalformedInput, r"^tree_size: expected 1 <="),
        (InclusionProof, _with(INCLUSION_JSON, anchor=_with(ANCHOR_JSON, format="chainwitness/tree-head")), MalformedInput,
         r"^format: expected 'chainwitness/anchor'"),
        (InclusionProof, _with(INCLUSION_JSON, anchor=[]), MalformedInput, r"^chainwitness/anchor: expected an object, found list$"),
        (ConsistencyProof, _with(CONSISTENCY_JSON, size1=0), MalformedInput, r"^size1: expected 1 <= size1 <= 8, found 0$"),
        (ConsistencyProof, _with(CONSISTENCY_JSON, size1=9), MalformedInput, r"^size1: expected 1 <= size1 <= 8, found 9$"),
        (ConsistencyProof, _with(CONSISTENCY_JSON, root1=ROOT7[:63]), MalformedInput, r"^root1: expected 64 lowercase"),
        (ConsistencyProof, _with(CONSISTENCY_JSON, path=None), MalformedInput, r"^path: expected an array, found NoneType$"),
        (ConsistencyProof, _with(CONSISTENCY_JSON, size2=False), MalformedInput, r"^size2: expected an integer, found bool$"),
        (ConsistencyProof, [CONSISTENCY_JSON], MalformedInput, r"^chainwitness/consistency-proof: expected an object"),
        (TreeHead, _with(HEAD_JSON, size=0), MalformedInput, r"^root: expected the empty-tree root e3b0c442.* for size 0"),
        (TreeHead, _with(HEAD_JSON, version=0), MalformedInput, r"^chainwitness/tree-head version: expected 1, found 0$"),
        (TreeHead, {"size": 8, "root": ROOT8}, MalformedInput, r"found missing \['format', 'version'\] and unknown \[\]$"),
    ],
)  # fmt: skip
def test_from_json_rejects(cls: Any, doc: Any, error: type[Exception], match: str | None) -> None:
    if match is None:  # structurally fine: must parse
        cls.from_json(doc)
        return
    with pytest.raises(error, match=match):
        cls.from_json(doc)


def test_constructor_checks_python_values() -> None:
    with pytest.raises(MalformedInput, match=r"^root: expected a 32-byte hash, found 31 bytes$"):
        TreeHead(1, b"\x00" * 31)
    with pytest.raises(MalformedInput, match=r"^root: expected a 32-byte hash, found str$"):
        TreeHead(1, ROOT8)  # type: ignore[arg-type]
    with pytest.raises(MalformedInput, match=r"^path\[0\]: expected a 32-byte hash, found str$"):
        InclusionProof(0, 2, LEAVES[0], (LEAF6,), LEAVES[0])  # type: ignore[arg-type]
    with pytest.raises(MalformedInput, match=r"^path: expected a sequence of hashes, found bytes$"):
        ConsistencyProof(1, 2, LEAVES[0], LEAVES[0], LEAVES[0])  # type: ignore[arg-type]
    with pytest.raises(MalformedInput, match=r"^anchor: expected an Anchor or None, found dict$"):
        InclusionProof(0, 1, LEAVES[0], (), LEAVES[0], ANCHOR_JSON)  # type: ignore[arg-type]
    with pytest.raises(MalformedInput, match=r"^record: expected bytes or None, found str$"):
        InclusionProof(0, 1, LEAVES[0], (), LEAVES[0], None, "{}")  # type: ignore[arg-type]
    with pytest.raises(LimitExceeded, match=r"^record: expected at most 65536 bytes, found 65537$"):
        InclusionProof(0, 1, LEAVES[0], (), LEAVES[0], None, b" " * 65537)
    # a list path is stored as a tuple, so the object stays immutable and hashable
    proof = ConsistencyProof(1, 2, LEAVES[0], LEAVES[0], [LEAVES[1]])  # type: ignore[arg-type]
    assert proof.path == (LEAVES[1],)
    assert hash(proof) == hash(ConsistencyProof(1, 2, LEAVES[0], LEAVES[0], (LEAVES[1],)))


# ---------------------------------------------------------------- verify()


def test_inclusion_verify_rejects() -> None:
    good = inclusion()
    with pytest.raises(
        VerificationFailed, match=rf"^expected leaf hash {KAT_LEAF} for the record bytes, found "
    ):
        InclusionProof(
            7, 8, good.leaf_hash, good.path, good.root, good.anchor, KAT_BYTES + b" "
        ).verify()
    a = anchor()
    wrong_size = dataclasses.replace(a, tree_size=9)
    with pytest.raises(
        VerificationFailed, match=r"^expected the anchor's tree size 9, found tree size 8$"
    ):
        InclusionProof(7, 8, good.leaf_hash, good.path, good.root, wrong_size, good.record).verify()
    wrong_root = dataclasses.replace(a, root=bytes.fromhex(ROOT7))
    with pytest.raises(
        VerificationFailed, match=rf"^expected the anchor's root {ROOT7}, found root {ROOT8}$"
    ):
        InclusionProof(7, 8, good.leaf_hash, good.path, good.root, wrong_root, good.record).verify()
    with pytest.raises(VerificationFailed, match=r"reproduce root"):
        InclusionProof(6, 8, good.leaf_hash, good.path, good.root).verify()
    with pytest.raises(VerificationFailed, match=r"too short"):
        InclusionProof(7, 8, good.leaf_hash, good.path[:2], good.root).verify()


def test_consistency_verify_rejects() -> None:
    good = consistency()
    with pytest.raises(VerificationFailed, match=r"reproduce root1"):
        ConsistencyProof(7, 8, good.root2, good.root2, good.path).verify()
    with pytest.raises(VerificationFailed, match=r"equal roots for equal sizes 8"):
        ConsistencyProof(8, 8, good.root1, good.root2, ()).verify()
    ConsistencyProof(8, 8, good.root2, good.root2, ()).verify()


@settings(max_examples=30, deadline=None)
@given(n=st.integers(1, 200), data=st.data())
def test_proof_objects_round_trip_and_verify(n: int, data: st.DataObject) -> None:
    leaves = [merkle.leaf_hash(i.to_bytes(4, "big")) for i in range(n)]
    index = data.draw(st.integers(0, n - 1))
    size1 = data.draw(st.integers(1, n))
    root = merkle.root_from_leaves(leaves)
    p = InclusionProof(
        index, n, leaves[index], tuple(merkle.inclusion_proof_from_leaves(index, n, leaves)), root
    )
    c = ConsistencyProof(size1, n, merkle.root_from_leaves(leaves[:size1]), root,
                         tuple(merkle.consistency_proof_from_leaves(size1, n, leaves)))  # fmt: skip
    for obj in (p, c):
        again = type(obj).from_json(parse_json_strict(json.dumps(obj.to_json())))
        assert again == obj
        again.verify()


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(min_size=20, max_size=20))
def test_eip55_matches_eth_utils(raw: bytes) -> None:
    address = to_checksum_address("0x" + raw.hex())
    assert dataclasses.replace(anchor(), contract=address).contract == address
    if address != address.lower():
        with pytest.raises(
            MalformedInput, match=rf"^contract: expected the EIP-55 checksummed {address}"
        ):
            dataclasses.replace(anchor(), contract=address.lower())
