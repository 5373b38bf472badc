"""The browser's RFC 9162 verifiers against the published RFC 6962 corpus and core.merkle.

Every vector of ``tests/vectors/rfc6962`` (transparency-dev/merkle, see SOURCE.md) is
fetched and verified *in the browser*: each ``wantErr: false`` vector verifies, each
named mutation fails with VerificationFailed, and each verdict equals the Python
verifier's. Proofs built by ``ledger_service.core.merkle`` for every index and size
pair up to 24 leaves verify there too, and a flipped bit in any of them fails.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from ledger_service.core import merkle
from ledger_service.core.errors import VerificationFailed
from tests.integration.web.harness import call

pytestmark = [pytest.mark.integration, pytest.mark.node]

CORPUS = Path(__file__).resolve().parents[2] / "vectors" / "rfc6962"


def _python_verdict(v: dict[str, Any]) -> bool:
    def b64(x: str) -> bytes:
        return base64.b64decode(x, validate=True)

    proof = [b64(p) for p in v["proof"] or []]
    try:
        if "leafIdx" in v:
            merkle.verify_inclusion(
                b64(v["leafHash"]), v["leafIdx"], v["treeSize"], proof, b64(v["root"])
            )
        else:
            merkle.verify_consistency(
                v["size1"], v["size2"], b64(v["root1"]), b64(v["root2"]), proof
            )
    except VerificationFailed:
        return False
    return True


def test_the_published_corpus_passes_in_the_browser(page: Page) -> None:
    paths = sorted(p.relative_to(CORPUS).as_posix() for p in CORPUS.glob("*/**/*.json"))
    assert len(paths) == 196
    results = call(page, "runMerkleVectors", paths)
    assert [r["path"] for r in results] == paths
    for r in results:
        vector = json.loads((CORPUS / r["path"]).read_text())
        if vector["wantErr"]:
            assert not r["ok"], f"{r['path']}: expected a failure, found it verified"
            assert r["name"] == "VerificationFailed", f"{r['path']}: {r['name']}: {r['message']}"
            assert "expected" in r["message"]
        else:
            assert r["ok"], f"{r['path']}: expected it to verify, found {r.get('message')}"
        assert r["ok"] == _python_verdict(vector), f"{r['path']}: browser and Python disagree"
    # both kinds and both outcomes were exercised, not one by accident
    kinds = {(r["path"].split("/")[0], r["ok"]) for r in results}
    assert kinds == {
        ("inclusion", True),
        ("inclusion", False),
        ("consistency", True),
        ("consistency", False),
    }


def _flip(h: bytes) -> bytes:
    return bytes([h[0] ^ 1]) + h[1:]


def test_python_built_proofs_verify_in_the_browser_and_mutations_fail(page: Page) -> None:
    leaves = [merkle.leaf_hash(hashlib.sha256(b"entry %d" % i).digest()) for i in range(24)]
    roots = [merkle.root_from_leaves(leaves[:n]) for n in range(25)]
    cases: list[dict[str, Any]] = []
    want: list[bool] = []
    for size in range(1, 25):
        for index in range(size):
            path = merkle.inclusion_proof_from_leaves(index, size, leaves)
            case = {"kind": "inclusion", "leaf": leaves[index].hex(), "index": index, "size": size,
                    "path": [p.hex() for p in path], "root": roots[size].hex()}  # fmt: skip
            cases.append(case)
            want.append(True)
            cases.append({**case, "root": _flip(roots[size]).hex()})
            want.append(False)
        for size1 in range(1, size + 1):
            path = merkle.consistency_proof_from_leaves(size1, size, leaves)
            case = {"kind": "consistency", "size1": size1, "size2": size, "root1": roots[size1].hex(),
                    "root2": roots[size].hex(), "path": [p.hex() for p in path]}  # fmt: skip
            cases.append(case)
            want.append(True)
            if path:
                cases.append(
                    {
                        **case,
                        "path": [_flip(p).hex() for p in path[:1]] + [p.hex() for p in path[1:]],
                    }
                )
                want.append(False)
    results = call(page, "runMerkleCases", cases)
    assert [r["ok"] for r in results] == want
    assert {r["name"] for r in results if not r["ok"]} == {"VerificationFailed"}
