"""Step 4 on Besu BFT chains: a header hashes by the consensus the trust policy pins.

A package whose blocks are QBFT headers verifies offline (their hash leaves the commit
seals out); with a policy pinning ``qbft`` it verifies, with one pinning plain Ethereum
hashing (the default) it is refused at the header hash, and a tampered header fails.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from ledger_service.core.errors import VerificationFailed
from ledger_service.core.packages import HEAD_ANCHORED_TOPIC, AnchorEvidence, write_package
from ledger_service.core.packages import verify_package as verify
from ledger_service.core.packages.verify import check_anchors
from ledger_service.core.proofs import Anchor
from ledger_service.core.trust_policy import TrustPolicy
from tests.unit.core.packages.synthetic import (
    ANCHOR2,
    GOOD,
    VALIDATORS,
    contents,
    edit_json,
    entries,
    sealed,
)
from tests.unit.core.packages.test_witnessed import NOW, checkpoint, policy

VECTOR = Path(__file__).resolve().parents[3] / "vectors" / "besu-bft" / "qbft-block-58866.json"


def _qbft_package() -> bytes:
    c = contents("qbft")
    cps = {h.tree_size: checkpoint(h.tree_size) for h in c.heads}
    return write_package(dataclasses.replace(c, checkpoints=cps))


def test_a_qbft_package_verifies_offline_and_under_a_qbft_policy() -> None:
    data = _qbft_package()
    lines = "\n".join(verify(data).lines())
    assert "qbft header) holds HeadAnchored #1 size 6" in lines
    lines = "\n".join(verify(data, policy=policy(consensus="qbft"), now=NOW).lines())
    assert "qbft header) holds HeadAnchored #0 size 3" in lines


def test_a_qbft_package_is_refused_by_an_ethereum_policy() -> None:
    with pytest.raises(
        VerificationFailed, match=r"expected header hash keccak256\(RLP\(header\)\)"
    ):
        verify(_qbft_package(), policy=policy(), now=NOW)
    with pytest.raises(VerificationFailed, match=r"expected a ibft2 header, found: .*ibft2"):
        verify(_qbft_package(), policy=policy(consensus="ibft2"), now=NOW)


def test_an_ethereum_package_is_refused_by_a_qbft_policy() -> None:
    heads = list(contents().heads)
    with pytest.raises(
        VerificationFailed,
        match=r"expected a qbft header, found: header.extraData \(qbft\): expected canonical RLP",
    ):
        check_anchors(entries(GOOD), heads, policy(consensus="qbft"))
    assert len(check_anchors(entries(GOOD), heads, policy())) == 2


def test_a_tampered_qbft_header_fails_under_every_rule() -> None:
    data = _qbft_package()
    e = entries(data)
    bad = edit_json(e, ANCHOR2, lambda a: a["header"].update(gasUsed="0x1"))
    heads = list(contents("qbft").heads)
    for pinned in (None, policy(consensus="qbft")):
        with pytest.raises(VerificationFailed, match=f"{ANCHOR2}: expected header hash"):
            check_anchors(bad, heads, pinned)


def _besu_evidence() -> tuple[Anchor, AnchorEvidence]:
    """The real QBFT block of the vectors, holding a HeadAnchored log of a made-up head."""
    v: dict[str, Any] = json.loads(VECTOR.read_text())
    h = v["header"]
    root, number, time = bytes(range(32)), int(h["number"], 16), int(h["timestamp"], 16)
    tx = "0x" + "77" * 32
    contract = "0x" + "c0" * 20
    log = {"address": contract,
           "topics": [HEAD_ANCHORED_TOPIC, "0x" + (4).to_bytes(32, "big").hex(),
                      "0x" + (9).to_bytes(32, "big").hex(), "0x" + "00" * 32],
           "data": "0x" + root.hex() + time.to_bytes(32, "big").hex()}  # fmt: skip
    receipt = {"transactionHash": tx, "blockNumber": h["number"], "blockHash": h["hash"],
               "status": "0x1", "logs": [log]}  # fmt: skip
    checksummed = "0xC0C0c0c0C0C0c0c0c0C0c0C0C0C0C0C0C0C0c0c0"
    anchor = Anchor(0x3ACCD8B, checksummed, tx, number, h["hash"], time, 4, 9, root)
    return anchor, AnchorEvidence(receipt, h)


def test_a_real_besu_qbft_header_checks_as_qbft() -> None:
    anchor, ev = _besu_evidence()
    assert ev.check_head(anchor, "besu") == "qbft"
    assert ev.check_head(anchor, "besu", "qbft") == "qbft"
    with pytest.raises(VerificationFailed, match=r"besu: expected header hash keccak256\(RLP"):
        ev.check_head(anchor, "besu", "ethereum")
    moved = AnchorEvidence(ev.receipt, {**ev.header, "receiptsRoot": "0x" + "00" * 32})
    with pytest.raises(VerificationFailed, match="besu: expected header hash"):
        moved.check_head(anchor, "besu", "qbft")


def test_pinned_validators_must_have_sealed_each_block() -> None:
    data = _qbft_package()  # sealed by 3 of the 4 synthetic validators
    pinned = policy(consensus="qbft", validators=tuple(VALIDATORS))
    lines = "\n".join(verify(data, policy=pinned, now=NOW).lines())
    assert lines.count("sealed by at least 3 of the 4 pinned validators") == 2
    # the operator's own validator set: none of the pinned sealed these blocks
    outsiders = tuple(TrustPolicy.checksummed("0x" + f"{i:02x}" * 20) for i in range(1, 5))
    with pytest.raises(VerificationFailed, match="expected commit seals of at least 3 of the 4 "
                       "pinned validators, found 0"):  # fmt: skip
        verify(data, policy=policy(consensus="qbft", validators=outsiders), now=NOW)
    # a block sealed by two of four (the operator's validator and one more) is short
    c = contents("qbft")
    h2 = c.heads[1]
    ev = c.anchors[h2.tx_hash]
    few = sealed(dict(ev.header), "qbft", sealers=2)
    assert few["hash"] == ev.header["hash"]  # the seals are outside the hash
    with pytest.raises(VerificationFailed, match="found 2 \\(seals by"):
        AnchorEvidence(ev.receipt, few).check_head(h2, "a", "qbft", VALIDATORS)
    AnchorEvidence(ev.receipt, few).check_head(h2, "a", "qbft")  # no validators pinned
