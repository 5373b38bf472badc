"""Anchor evidence: header hashes are keccak256(RLP(header)); receipts and headers are strict."""

from __future__ import annotations

import dataclasses
import json

import pytest
import rlp
from eth_hash.auto import keccak

from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.packages import AnchorEvidence, header_hash
from tests.unit.core.packages.synthetic import ANCHOR2, GOOD, block_header, contents, entries


def test_header_hash_is_keccak_of_rlp() -> None:
    h = block_header(10, 1)
    # known answers: RLP([]) is c0, whose keccak256 is every post-merge header's sha3Uncles;
    # RLP of a 56-byte string needs the long form b838; a real header is pinned against
    # anvil's own block hashes in tests/integration/evidence/test_packages.py
    assert rlp.encode([]) == b"\xc0"
    assert "0x" + keccak(b"\xc0").hex() == h["sha3Uncles"]
    assert rlp.encode(b"x" * 56)[:2] == b"\xb8\x38"
    assert rlp.encode(b"\x7f") == b"\x7f" and rlp.encode(b"\x80") == b"\x81\x80"
    assert header_hash(h) == h["hash"]
    assert header_hash({**h, "gasUsed": "0x0"}) != h["hash"]
    with pytest.raises(MalformedInput, match="expected field 'stateRoot'"):
        header_hash({k: v for k, v in h.items() if k != "stateRoot"})
    with pytest.raises(MalformedInput, match="expected 'withdrawalsRoot' before"):
        header_hash({**h, "blobGasUsed": "0x0"})
    with pytest.raises(MalformedInput, match="without leading zeros"):
        header_hash({**h, "number": "0x0a"})
    with pytest.raises(MalformedInput, match=r"expected only block header fields, found \['x'\]"):
        header_hash({**h, "x": "0x"})


def test_odd_length_hex_in_a_header_is_malformed() -> None:
    with pytest.raises(
        MalformedInput, match=r"header.extraData: expected 0x and lowercase hex bytes"
    ):
        header_hash({**block_header(10, 1), "extraData": "0xabc"})
    with pytest.raises(MalformedInput, match=r"header.mixHash: expected 0x and lowercase hex"):
        header_hash({**block_header(10, 1), "mixHash": "0xAB"})


def test_anchor_evidence_round_trips_through_json() -> None:
    ev = next(iter(contents().anchors.values()))
    assert AnchorEvidence.from_json(ev.to_json()) == ev
    assert ev.to_json()["format"] == "chainwitness/anchor-evidence"


def test_anchor_evidence_shape_is_checked_on_construction() -> None:
    ev = next(iter(contents().anchors.values()))
    receipt, header = dict(ev.receipt), dict(ev.header)
    with pytest.raises(
        MalformedInput, match=r"receipt: expected exactly the fields .* \['extra'\]"
    ):
        AnchorEvidence({**receipt, "extra": 1}, header)
    with pytest.raises(MalformedInput, match="receipt.transactionHash: expected 32 bytes of hex"):
        AnchorEvidence({**receipt, "transactionHash": "0x12"}, header)
    with pytest.raises(MalformedInput, match="receipt.status: expected a hex quantity"):
        AnchorEvidence({**receipt, "status": "0x01"}, header)
    with pytest.raises(MalformedInput, match="receipt.logs: expected an array"):
        AnchorEvidence({**receipt, "logs": {}}, header)
    log = dict(receipt["logs"][0])
    with pytest.raises(MalformedInput, match=r"receipt.logs\[0\].topics: expected an array"):
        AnchorEvidence({**receipt, "logs": [{**log, "topics": "0x"}]}, header)
    with pytest.raises(MalformedInput, match=r"receipt.logs\[0\].address: expected 20 bytes"):
        AnchorEvidence({**receipt, "logs": [{**log, "address": "0x" + "00" * 21}]}, header)
    with pytest.raises(MalformedInput, match="header: expected field 'hash', found it missing"):
        AnchorEvidence(receipt, {k: v for k, v in header.items() if k != "hash"})


def test_anchor_evidence_json_is_strict() -> None:
    obj = json.loads(entries(GOOD)[ANCHOR2])
    with pytest.raises(
        MalformedInput,
        match="anchor evidence: expected format 'chainwitness/anchor-evidence' "
        "version 1 or 2, found 'chainwitness/anchor-evidence' version 3",
    ):
        AnchorEvidence.from_json({**obj, "version": 3})
    with pytest.raises(MalformedInput, match="header: expected an object"):
        AnchorEvidence.from_json({**obj, "header": []})
    with pytest.raises(MalformedInput, match="anchor evidence: expected an object, found list"):
        AnchorEvidence.from_json([])


def test_check_head_holds_for_its_own_head_only() -> None:
    c = contents()
    (h1, h2), (ev1, ev2) = c.heads, [c.anchors[h.tx_hash] for h in c.heads]
    ev1.check_head(h1, "a1")
    ev2.check_head(h2, "a2")
    with pytest.raises(
        VerificationFailed, match=f"a1: expected receipt transactionHash {h2.tx_hash}"
    ):
        ev1.check_head(h2, "a1")
    moved = dataclasses.replace(h1, block_time=h1.block_time + 1)
    with pytest.raises(VerificationFailed, match="a1: expected header timestamp"):
        ev1.check_head(moved, "a1")
    with pytest.raises(
        VerificationFailed, match="a1: expected a HeadAnchored log .* index 0, size 3"
    ):
        ev1.check_head(dataclasses.replace(h1, root=bytes(32)), "a1")
