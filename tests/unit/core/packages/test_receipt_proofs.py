"""Step 4.2: a version 2 anchor's receipt is proven under its header's receiptsRoot.

The operator plays the attacker: it rewrites a receipt (its HeadAnchored log, its
status, its other logs) or swaps in another receipt of the block, and re-issues the
manifest consistently; each is refused at the receipt proof, by name. Version 1 anchor
evidence (no proof) still verifies, and says its receipt is not proven.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.packages import AnchorEvidence, verify_package, write_package
from ledger_service.core.packages.verify import check_anchors
from tests.unit.core.packages.synthetic import GOOD, contents, edit_json, entries, reissue

V2 = write_package(contents(receipt_proofs=True))
HEADS = list(contents(receipt_proofs=True).heads)
ANCHOR = f"anchors/{HEADS[1].tx_hash}.json"


def test_a_version_2_package_verifies_with_its_receipts_proven() -> None:
    lines = verify_package(V2).lines()
    anchors = [line for line in lines if line.startswith("OK  anchors/")]
    assert len(anchors) == 2
    assert all("receipt proven under its receiptsRoot" in line for line in anchors)
    ev = AnchorEvidence.from_json(json.loads(entries(V2)[ANCHOR]))
    assert ev.version == 2 and ev.to_json()["version"] == 2 and ev.receipt_proof


def test_a_version_1_package_still_verifies_and_says_so() -> None:
    lines = verify_package(GOOD).lines()
    assert sum("receipt not proven under receiptsRoot (anchor evidence version 1)" in line
               for line in lines) == 2  # fmt: skip


def _forged_log_root(a: dict[str, Any]) -> None:
    log = a["receipt"]["logs"][0]
    log["data"] = "0x" + "66" * 32 + log["data"][66:]


ATTACKS: list[tuple[str, Callable[[dict[str, Any]], None]]] = [
    ("HeadAnchored log rewritten", _forged_log_root),
    ("status rewritten", lambda a: a["receipt"].update(status="0x0")),
    ("log dropped", lambda a: a["receipt"].update(logs=[])),
    ("extra log added", lambda a: a["receipt"]["logs"].append(dict(a["receipt"]["logs"][0]))),
    ("gas rewritten", lambda a: a["receipt"].update(cumulativeGasUsed="0x1")),
    ("type rewritten", lambda a: a["receipt"].update(type="0x0")),
    # the receipt at another index of the same block: the proof is for index 1
    ("moved to another index", lambda a: a["receipt"].update(transactionIndex="0x0")),
]


@pytest.mark.parametrize(("what", "mutate"), ATTACKS, ids=[a[0] for a in ATTACKS])
def test_an_altered_receipt_is_refused_by_the_receipt_proof(
    what: str, mutate: Callable[[dict[str, Any]], None]
) -> None:
    forged = reissue(edit_json(entries(V2), ANCHOR, mutate))
    with pytest.raises(VerificationFailed, match=f"{ANCHOR}: receipt proof: expected"):
        verify_package(forged)


def test_a_proof_for_another_root_or_broken_is_refused() -> None:
    # the proof of the other head's block (another trie: its HeadAnchored log differs)
    first = f"anchors/{HEADS[0].tx_hash}.json"
    stolen = json.loads(entries(V2)[first])["receiptProof"]
    e = edit_json(entries(V2), ANCHOR, lambda a: a.update(receiptProof=stolen))
    with pytest.raises(VerificationFailed, match=f"{ANCHOR}: receipt proof: expected the first"):
        verify_package(reissue(e))
    cut = edit_json(entries(V2), ANCHOR, lambda a: a.update(receiptProof=a["receiptProof"][:1]))
    with pytest.raises(VerificationFailed, match=f"{ANCHOR}: receipt proof: expected a Merkle"):
        check_anchors(cut, HEADS)
    moved = edit_json(
        entries(V2), ANCHOR, lambda a: a["header"].update(receiptsRoot="0x" + "00" * 32)
    )
    with pytest.raises(VerificationFailed, match=f"{ANCHOR}: expected header hash"):
        check_anchors(moved, HEADS)


def test_version_2_evidence_is_strict() -> None:
    obj = json.loads(entries(V2)[ANCHOR])
    with pytest.raises(MalformedInput, match=r"found missing \['receiptProof'\]"):
        AnchorEvidence.from_json({k: v for k, v in obj.items() if k != "receiptProof"})
    with pytest.raises(MalformedInput, match=r"receipt: expected exactly the fields .*"
                       r"missing \['cumulativeGasUsed', 'logsBloom', 'transactionIndex', 'type'\]"):  # fmt: skip
        v1_fields = ("transactionHash", "blockNumber", "blockHash", "status", "logs")
        AnchorEvidence.from_json({**obj, "receipt": {k: obj["receipt"][k] for k in v1_fields}})
    with pytest.raises(MalformedInput, match="receiptProof: expected an array of trie nodes"):
        AnchorEvidence.from_json({**obj, "receiptProof": "0x"})
    with pytest.raises(MalformedInput, match="receiptProof: expected 1 to 64 trie nodes, found 0"):
        AnchorEvidence.from_json({**obj, "receiptProof": []})
    with pytest.raises(MalformedInput, match="receiptProof: expected 0x and lowercase hex"):
        AnchorEvidence.from_json({**obj, "receiptProof": ["0xAB"]})
    with pytest.raises(MalformedInput, match=r"found missing \[\] and unknown \['receiptProof'\]"):
        AnchorEvidence.from_json({**obj, "version": 1})
    assert AnchorEvidence.from_json(obj).to_json() == obj
