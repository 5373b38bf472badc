"""Receipts under receiptsRoot: EIP-2718 encoding, the trie (py-trie) and its proofs.

Known answers: the empty trie's root is every empty block's receiptsRoot; the typed
encoding prefixes the type byte. Every index of tries of many sizes proves and verifies;
every named mutation of a proof fails. The encoding is also checked against anvil's own
receiptsRoot in tests/integration/evidence/test_receipt_proofs.py.
"""

from __future__ import annotations

import pytest
import rlp
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.receipts import (
    MAX_PROOF_NODES,
    encode_receipt,
    receipt_trie_proof,
    receipts_root,
    verify_receipt_proof,
)

BLOOM = "0x" + "00" * 256
EMPTY_ROOT = "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421"
LOG = {"address": "0x" + "ab" * 20, "topics": ["0x" + "01" * 32], "data": "0x1234"}


def receipt(i: int = 0, **changes: object) -> dict[str, object]:
    r: dict[str, object] = {"type": "0x2", "status": "0x1", "cumulativeGasUsed": hex(21_000 * (i + 1)),
                            "logsBloom": BLOOM, "logs": [LOG] if i % 2 else []}  # fmt: skip
    r.update(changes)
    return r


def test_encoding_known_answers() -> None:
    legacy = encode_receipt(receipt(type="0x0", status="0x0", cumulativeGasUsed="0x5208"))
    assert legacy == rlp.encode([b"", b"\x52\x08", bytes(256), []])
    typed = encode_receipt(receipt(1))
    body = rlp.encode([b"\x01", (42_000).to_bytes(2, "big"), bytes(256),
                       [[b"\xab" * 20, [b"\x01" * 32], b"\x12\x34"]]])  # fmt: skip
    assert typed == b"\x02" + body
    assert encode_receipt({k: v for k, v in receipt(1).items() if k != "type"}) == body
    assert receipts_root([]).hex() == EMPTY_ROOT


def test_malformed_receipts_are_refused_by_name() -> None:
    cases = [
        ({"type": "0x80"}, r"receipt.type: expected 0 ... 0x7f \(EIP-2718\), found 0x80"),
        ({"status": "0x2"}, "receipt.status: expected 0x0 or 0x1"),
        ({"logsBloom": "0x00"}, "receipt.logsBloom: expected 256 bytes of hex"),
        ({"logs": {}}, "receipt.logs: expected an array"),
        ({"logs": [{"address": "0x" + "ab" * 20}]}, r"receipt.logs\[0\]: expected an object"),
        ({"logs": [{**LOG, "topics": ["0x" + "01" * 32] * 5}]}, "at most 4 topics"),
        ({"logs": [{**LOG, "data": "0x1"}]}, r"receipt.logs\[0\].data: expected 0x and"),
        ({"cumulativeGasUsed": "0x01"}, "receipt.cumulativeGasUsed: expected a hex quantity"),
    ]
    for changes, pattern in cases:
        with pytest.raises(MalformedInput, match=pattern):
            encode_receipt(receipt(**changes))
    with pytest.raises(MalformedInput, match="receipt: expected field 'logsBloom'"):
        encode_receipt({k: v for k, v in receipt().items() if k != "logsBloom"})


@pytest.mark.parametrize("n", [1, 2, 3, 16, 17, 130])
def test_every_index_proves_and_verifies(n: int) -> None:
    block = [encode_receipt(receipt(i)) for i in range(n)]
    root = receipts_root(block)
    for i in range(n):
        r, proof = receipt_trie_proof(block, i)
        assert r == root
        assert verify_receipt_proof(root, i, proof, "p") == block[i]
    with pytest.raises(MalformedInput, match=f"expected 0 <= index < {n}, found {n}"):
        receipt_trie_proof(block, n)


def test_proof_mutations_fail() -> None:
    block = [encode_receipt(receipt(i)) for i in range(40)]
    root, proof = receipt_trie_proof(block, 21)
    assert len(proof) >= 2
    # another index: the path leads elsewhere (another value, or none)
    try:
        other = verify_receipt_proof(root, 22, proof, "p")
    except VerificationFailed:
        other = None
    assert other != block[21]
    with pytest.raises(VerificationFailed, match="p: expected the first proof node to hash"):
        verify_receipt_proof(bytes(32), 21, proof, "p")
    with pytest.raises(
        VerificationFailed, match="p: expected a Merkle-Patricia proof of receipt 21"
    ):
        verify_receipt_proof(root, 21, proof[:-1], "p")
    flipped = bytearray(proof[-1])
    flipped[-1] ^= 1
    with pytest.raises(VerificationFailed, match="p: expected a Merkle-Patricia proof"):
        verify_receipt_proof(root, 21, [*proof[:-1], bytes(flipped)], "p")
    with pytest.raises(VerificationFailed, match=r"p: expected 1 to \d+ proof nodes, found 0"):
        verify_receipt_proof(root, 21, [], "p")
    with pytest.raises(VerificationFailed, match="proof nodes, found 65"):
        verify_receipt_proof(root, 21, [proof[0]] * (MAX_PROOF_NODES + 1), "p")
    with pytest.raises(VerificationFailed, match="p: expected a receipt at index 99 .*holds none"):
        verify_receipt_proof(root, 99, proof, "p")
    with pytest.raises(VerificationFailed, match="p: expected a Merkle-Patricia proof"):
        verify_receipt_proof(root, 21, [proof[0], b"\xc1"], "p")


@settings(max_examples=40, deadline=None)
@given(st.lists(st.binary(min_size=1, max_size=80), min_size=1, max_size=40), st.data())
def test_any_trie_proves_any_index(values: list[bytes], data: st.DataObject) -> None:
    i = data.draw(st.integers(0, len(values) - 1))
    root, proof = receipt_trie_proof(values, i)
    assert verify_receipt_proof(root, i, proof, "p") == values[i]
