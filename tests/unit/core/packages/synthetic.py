"""A synthetic but consistent evidence package, and the tools to tamper with it.

The log, anchors, receipts and headers are synthetic but consistent: roots come
from ``merkle``, header hashes from keccak(RLP(header)), receipts carry the
``HeadAnchored`` log EvidenceLog would emit.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import rlp
from coincurve import PrivateKey
from eth_account import Account
from eth_account.messages import encode_typed_data

from ledger_service.core import merkle
from ledger_service.core.canonical import canonicalize
from ledger_service.core.headers import commit_seal_hash, header_hash
from ledger_service.core.merkle import sm3 as sm3_tree
from ledger_service.core.packages import (
    HEAD_ANCHORED_TOPIC,
    AnchorEvidence,
    Omission,
    PackageContents,
    Signature,
    write_package,
)
from ledger_service.core.packages.format import ROLES
from ledger_service.core.packages.sm3_proof import Sm3Proof
from ledger_service.core.proofs import Anchor, ConsistencyProof, InclusionProof
from ledger_service.core.receipts import encode_receipt, receipt_trie_proof
from ledger_service.core.records import EvidenceRecord
from ledger_service.core.sm2 import sm3

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SUBJECT = "tender:GC-2026-0417"
NOW = datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)
FILE = b"bid document for lot 3"
SIGNER = Account.from_key(b"\x11" * 32)
Entries = dict[str, bytes]


def _q(n: int) -> str:
    return hex(n)


#: four QBFT validators; the first three seal every synthetic QBFT block (3 = ceil(2*4/3))
VALIDATOR_KEYS = [PrivateKey(hashlib.sha256(b"validator %d" % i).digest()) for i in range(4)]
VALIDATORS = [Account.from_key(k.secret).address for k in VALIDATOR_KEYS]


def sealed(header: dict[str, str], consensus: str, sealers: int = 3) -> dict[str, str]:
    """``header`` with its QBFT extraData (the four validators, round 0) sealed by the first
    ``sealers`` validators, and its true ``hash``; unchanged but for ``hash`` if ethereum."""
    h = {k: v for k, v in header.items() if k != "hash"}
    if consensus == "qbft":
        items: list[Any] = [bytes(32), [bytes.fromhex(a[2:]) for a in VALIDATORS], [], b"", []]
        h["extraData"] = "0x" + rlp.encode(items).hex()
        digest = commit_seal_hash(h, "qbft")
        items[4] = [k.sign_recoverable(digest, hasher=None) for k in VALIDATOR_KEYS[:sealers]]
        h["extraData"] = "0x" + rlp.encode(items).hex()
    return {**h, "hash": header_hash(h, consensus)}


def block_header(number: int, timestamp: int, consensus: str = "ethereum") -> dict[str, str]:
    """A London-fork header (16 fields) of block ``number``, with its true ``hash`` under
    ``consensus`` (``qbft``: a sealed QBFT extraData, :func:`sealed`)."""
    h = {
        "parentHash": "0x" + hashlib.sha256(b"parent %d" % number).hexdigest(),
        "sha3Uncles": "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
        "miner": "0x" + "00" * 20,
        "stateRoot": "0x" + hashlib.sha256(b"state").hexdigest(),
        "transactionsRoot": "0x" + hashlib.sha256(b"txs").hexdigest(),
        "receiptsRoot": "0x" + hashlib.sha256(b"receipts").hexdigest(),
        "logsBloom": "0x" + "00" * 256,
        "difficulty": "0x0",
        "number": _q(number),
        "gasLimit": _q(30_000_000),
        "gasUsed": _q(90_000),
        "timestamp": _q(timestamp),
        "extraData": "0x",
        "mixHash": "0x" + "00" * 32,
        "nonce": "0x0000000000000000",
        "baseFeePerGas": _q(7),
    }
    return sealed(h, consensus)


def _anchor(
    index: int, size: int, root: bytes, number: int, consensus: str = "ethereum",
    receipt_proofs: bool = False,
) -> tuple[Anchor, AnchorEvidence]:  # fmt: skip
    header = block_header(number, 1796000000 + number, consensus)
    tx = "0x" + hashlib.sha256(b"tx %d" % index).hexdigest()
    log = {
        "address": CONTRACT.lower(),
        "topics": [HEAD_ANCHORED_TOPIC, "0x" + index.to_bytes(32, "big").hex(),
                   "0x" + size.to_bytes(32, "big").hex(), "0x" + "00" * 12 + "ab" * 20],
        "data": "0x" + root.hex() + (1796000000 + number).to_bytes(32, "big").hex(),
    }  # fmt: skip
    receipt: dict[str, Any] = {"transactionHash": tx, "blockNumber": _q(number),
                               "status": "0x1", "logs": [log]}  # fmt: skip
    proof = None
    if receipt_proofs:
        # version 2: the whole receipt, second of three in its block, proven under the
        # header's receiptsRoot (the trie decides the root, then the header its hash)
        receipt |= {"transactionIndex": "0x1", "type": "0x2", "cumulativeGasUsed": _q(90_000),
                    "logsBloom": "0x" + "00" * 256}  # fmt: skip
        others = [{**receipt, "logs": [], "cumulativeGasUsed": _q(g), "type": t}
                  for g, t in ((21_000, "0x0"), (111_000, "0x1"))]  # fmt: skip
        block = [encode_receipt(others[0]), encode_receipt(receipt), encode_receipt(others[1])]
        trie_root, nodes = receipt_trie_proof(block, 1)
        header = sealed({**header, "receiptsRoot": "0x" + trie_root.hex()}, consensus)
        proof = tuple("0x" + n.hex() for n in nodes)
    receipt["blockHash"] = header["hash"]
    a = Anchor(31337, CONTRACT, tx, number, header["hash"], 1796000000 + number, index, size, root)
    return a, AnchorEvidence(receipt, header, proof)


def _typed_data() -> dict[str, Any]:
    return {
        "types": {
            "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "chainId", "type": "uint256"}],
            "Bid": [{"name": "tender", "type": "string"}, {"name": "sha256", "type": "string"}],
        },
        "primaryType": "Bid",
        "domain": {"name": "Chain Witness", "chainId": 31337},
        "message": {"tender": SUBJECT, "sha256": hashlib.sha256(FILE).hexdigest()},
    }  # fmt: skip


def canonical_records(gm: bool = False) -> list[bytes]:
    """The six records' canonical bytes; with ``gm`` each also states its SM3 digest."""

    def digests(data: bytes) -> dict[str, str]:
        return {"sha256": hashlib.sha256(data).hexdigest()} | (
            {"sm3": sm3(data).hex()} if gm else {}
        )

    return [
        EvidenceRecord.create(
            kind="bid.sealed" if i % 2 else "document",
            subject=SUBJECT if i in (1, 2, 4) else "tender:OTHER",
            actor=f"bidder:{i}",
            digests=digests(FILE if i == 1 else b"doc %d" % i),
            metadata={"n": i},
            now=NOW,
        ).canonical_bytes()
        for i in range(6)
    ]


def contents(
    consensus: str = "ethereum", receipt_proofs: bool = False, gm: bool = False, **changes: Any
) -> PackageContents:
    """Six records (3 about SUBJECT), heads at sizes 3 and 6 on one chain, whose block
    headers hash by ``consensus``; with ``receipt_proofs`` the anchors are version 2; with
    ``gm`` records state SM3 digests too and the package carries their SM3 proofs."""
    canon = canonical_records(gm)
    leaves = [merkle.leaf_hash(c) for c in canon]
    h1, ev1 = _anchor(0, 3, merkle.root_from_leaves(leaves[:3]), 10, consensus, receipt_proofs)
    h2, ev2 = _anchor(1, 6, merkle.root_from_leaves(leaves), 12, consensus, receipt_proofs)
    cons = ConsistencyProof(3, 6, h1.root, h2.root,
                            tuple(merkle.consistency_proof_from_leaves(3, 6, leaves)))  # fmt: skip
    proofs = {
        i: InclusionProof(
            i, 6, leaves[i], tuple(merkle.inclusion_proof_from_leaves(i, 6, leaves)), h2.root, h2
        )  # fmt: skip
        for i in (1, 2, 4)
    }
    sig = SIGNER.sign_message(encode_typed_data(full_message=_typed_data()))
    base: dict[str, Any] = dict(
        package_id="0123456789abcdef0123456789abcdef",
        created_at="2026-11-30T01:02:03.000Z",
        subject=SUBJECT,
        chain_id=31337,
        contract=CONTRACT,
        records={i: canon[i] for i in (1, 2, 4)},
        proofs=proofs,
        heads=[h1, h2],
        consistency=[cons],
        anchors={h1.tx_hash: ev1, h2.tx_hash: ev2},
        files={hashlib.sha256(FILE).hexdigest(): FILE},
        # records 2 and 4 name files this package does not carry: it says so
        omitted=[Omission(hashlib.sha256(b"doc %d" % i).hexdigest(), "not-stored", (i,))
                 for i in (2, 4)],
        signatures={
            "bidder-1": Signature(
                "eip712", SIGNER.address, _typed_data(), "0x" + bytes(sig.signature).hex()
            )
        },  # fmt: skip
    )
    if gm:
        sm3_leaves = [sm3_tree.leaf_hash(c) for c in canon]
        base["sm3_proofs"] = {
            i: Sm3Proof(i, 6, tuple(sm3_tree.inclusion_proof_from_leaves(i, sm3_leaves)))
            for i in (1, 2, 4)
        }
    base.update(changes)
    return PackageContents(**base)


def entries(data: bytes) -> Entries:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist()}


def rezip(items: list[tuple[str, bytes]]) -> bytes:
    """Write entries as given: no manifest update (for byte-level tampering)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in items:
            zf.writestr(zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0)), data)
    return buf.getvalue()


def reissue(e: Entries, **manifest_changes: Any) -> bytes:
    """Rewrite the manifest to match ``e`` (an attacker who rewrites everything consistently)."""
    m = json.loads(e["manifest.json"])
    m.update(manifest_changes)
    body = {k: v for k, v in e.items() if not k.startswith("manifest")}
    m["files"] = [
        {"path": p, "role": next(r for r, rx in ROLES.items() if rx.fullmatch(p)),
         "sha256": hashlib.sha256(body[p]).hexdigest(), "size": len(body[p])}
        for p in sorted(body)
    ]  # fmt: skip
    raw = canonicalize(m)
    digest = (hashlib.sha256(raw).hexdigest() + "\n").encode()
    return rezip([("manifest.json", raw), ("manifest.sha256", digest), *sorted(body.items())])


def edit_json(e: Entries, name: str, fn: Callable[[Any], None]) -> Entries:
    obj = json.loads(e[name])
    fn(obj)
    return {**e, name: canonicalize(obj)}


GOOD = write_package(contents())
HEAD2 = contents().heads[1]
ANCHOR2 = f"anchors/{HEAD2.tx_hash}.json"
