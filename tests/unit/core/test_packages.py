"""Evidence packages: a synthetic package verifies; every named mutation fails specifically.

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

import pytest
from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_hash.auto import keccak

from ledger_service.core import merkle, packages
from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import LimitExceeded, MalformedInput, VerificationFailed
from ledger_service.core.packages import (
    HEAD_ANCHORED_TOPIC,
    AnchorEvidence,
    PackageContents,
    Signature,
    header_hash,
    verify_package,
    write_package,
)
from ledger_service.core.proofs import Anchor, ConsistencyProof, InclusionProof
from ledger_service.core.records import EvidenceRecord

CONTRACT = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SUBJECT = "tender:GC-2026-0417"
NOW = datetime(2026, 11, 30, 1, 2, 3, tzinfo=UTC)
FILE = b"bid document for lot 3"
SIGNER = Account.from_key(b"\x11" * 32)
Entries = dict[str, bytes]


def _q(n: int) -> str:
    return hex(n)


def _header(number: int, timestamp: int) -> dict[str, str]:
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
    return {**h, "hash": header_hash(h)}


def _anchor(index: int, size: int, root: bytes, number: int) -> tuple[Anchor, AnchorEvidence]:
    header = _header(number, 1796000000 + number)
    tx = "0x" + hashlib.sha256(b"tx %d" % index).hexdigest()
    log = {
        "address": CONTRACT.lower(),
        "topics": [HEAD_ANCHORED_TOPIC, "0x" + index.to_bytes(32, "big").hex(),
                   "0x" + size.to_bytes(32, "big").hex(), "0x" + "00" * 12 + "ab" * 20],
        "data": "0x" + root.hex() + (1796000000 + number).to_bytes(32, "big").hex(),
    }  # fmt: skip
    receipt = {"transactionHash": tx, "blockNumber": _q(number), "blockHash": header["hash"],
               "status": "0x1", "logs": [log]}  # fmt: skip
    a = Anchor(31337, CONTRACT, tx, number, header["hash"], 1796000000 + number, index, size, root)
    return a, AnchorEvidence(receipt, header)


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


def contents(**changes: Any) -> PackageContents:
    """Six records (3 about SUBJECT), heads at sizes 3 and 6 on one chain."""
    recs = [
        EvidenceRecord.create(
            kind="bid.sealed" if i % 2 else "document",
            subject=SUBJECT if i in (1, 2, 4) else "tender:OTHER",
            actor=f"bidder:{i}",
            digests={"sha256": hashlib.sha256(FILE if i == 1 else b"doc %d" % i).hexdigest()},
            metadata={"n": i},
            now=NOW,
        )
        for i in range(6)
    ]
    canon = [r.canonical_bytes() for r in recs]
    leaves = [merkle.leaf_hash(c) for c in canon]
    h1, ev1 = _anchor(0, 3, merkle.root_from_leaves(leaves[:3]), 10)
    h2, ev2 = _anchor(1, 6, merkle.root_from_leaves(leaves), 12)
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
        signatures={
            "bidder-1": Signature(
                "eip712", SIGNER.address, _typed_data(), "0x" + bytes(sig.signature).hex()
            )
        },  # fmt: skip
    )
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
        {"path": p, "role": next(r for r, rx in packages._ROLES.items() if rx.fullmatch(p)),
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


# ---------------------------------------------------------------- the valid package


def test_a_valid_package_verifies_item_by_item() -> None:
    report = verify_package(GOOD)
    items = [v.item for v in report.verdicts]
    for name in entries(GOOD):
        if name != "manifest.sha256":
            assert name in items, name
    assert report.subject == SUBJECT
    assert report.manifest_sha256 == hashlib.sha256(entries(GOOD)["manifest.json"]).hexdigest()
    text = "\n".join(report.lines())
    assert "on chain by block time 1796000010 (head of size 3)" in text  # record 1 first anchored
    assert f"EIP-712 signature by {SIGNER.address}" in text
    assert all(line.startswith("OK  ") for line in report.lines())


def test_packages_are_deterministic_and_laid_out_as_specified() -> None:
    assert write_package(contents()) == GOOD
    names = list(entries(GOOD))
    assert names[:2] == ["manifest.json", "manifest.sha256"]
    assert names[2:] == sorted(names[2:])
    assert "records/1.json" in names and f"files/{hashlib.sha256(FILE).hexdigest()}" in names
    e = entries(GOOD)
    assert e["records/4.json"] == contents().records[4]  # the file is exactly the hashed bytes
    m = json.loads(e["manifest.json"])
    assert (m["format"], m["version"], m["contracts"]) == (
        "chainwitness/evidence-package",
        1,
        {"EvidenceLog": CONTRACT},
    )


def test_header_hash_is_keccak_of_rlp() -> None:
    h = _header(10, 1)
    # known answers: RLP([]) is c0, whose keccak256 is every post-merge header's sha3Uncles;
    # RLP of a 56-byte string needs the long form b838; a real header is pinned against
    # anvil's own block hashes in tests/integration/test_packages.py
    assert packages._rlp_length(0, 0xC0) == b"\xc0"
    assert "0x" + keccak(b"\xc0").hex() == h["sha3Uncles"]
    assert packages._rlp_item(b"x" * 56)[:2] == b"\xb8\x38"
    assert packages._rlp_item(b"\x7f") == b"\x7f" and packages._rlp_item(b"\x80") == b"\x81\x80"
    assert header_hash(h) == h["hash"]
    assert header_hash({**h, "gasUsed": "0x0"}) != h["hash"]
    with pytest.raises(MalformedInput, match="expected field 'stateRoot'"):
        header_hash({k: v for k, v in h.items() if k != "stateRoot"})
    with pytest.raises(MalformedInput, match="expected 'withdrawalsRoot' before"):
        header_hash({**h, "blobGasUsed": "0x0"})
    with pytest.raises(MalformedInput, match="without leading zeros"):
        header_hash({**h, "number": "0x0a"})


def test_fake_chain_view() -> None:
    class View:
        description = "fake"

        def __init__(self, chain_id: int = 31337, bad_block: bool = False,
                     bad_root: bool = False) -> None:  # fmt: skip
            self.id, self.bad_block, self.bad_root = chain_id, bad_block, bad_root

        def chain_id(self) -> int:
            return self.id

        def block_hash(self, number: int) -> str | None:
            c = contents()
            h = next(h for h in c.heads if h.block_number == number)
            return "0x" + "11" * 32 if self.bad_block else h.block_hash

        def root_of(self, contract: str, size: int) -> bytes | None:
            return (
                None
                if self.bad_root
                else next(h.root for h in contents().heads if h.tree_size == size)
            )

    r = verify_package(GOOD, chain=View())
    assert any("checked against the chain at RPC fake" in line for line in r.lines())
    with pytest.raises(VerificationFailed, match="expected chain id 31337, found 1"):
        verify_package(GOOD, chain=View(chain_id=1))
    with pytest.raises(VerificationFailed, match="expected the chain to have block 0x"):
        verify_package(GOOD, chain=View(bad_block=True))
    with pytest.raises(VerificationFailed, match=r"rootOf\(3\) = .*found nothing"):
        verify_package(GOOD, chain=View(bad_root=True))


# ---------------------------------------------------------------- byte-level tampering


@pytest.mark.parametrize("name", sorted(entries(GOOD)))
def test_flipping_a_byte_in_any_entry_fails(name: str) -> None:
    e = entries(GOOD)
    data = bytearray(e[name])
    data[len(data) // 2] ^= 0x01
    e[name] = bytes(data)
    if name == "manifest.json":
        err: Any = (MalformedInput, VerificationFailed)
        pattern = "manifest"
    elif name == "manifest.sha256":
        err, pattern = VerificationFailed, "manifest.sha256: expected [0-9a-f]{64}"
    else:
        err, pattern = VerificationFailed, f"{name}: expected SHA-256 [0-9a-f]{{64}}, found"
    with pytest.raises(err, match=pattern):
        verify_package(rezip(list(e.items())))


def test_a_flipped_manifest_byte_is_caught_by_the_manifest_digest() -> None:
    e = entries(GOOD)
    e["manifest.json"] = e["manifest.json"].replace(b'"chain_id":31337', b'"chain_id":31338')
    with pytest.raises(VerificationFailed, match="manifest.sha256: expected"):
        verify_package(rezip(list(e.items())))


def test_reordered_entries_fail() -> None:
    items = list(entries(GOOD).items())
    items[3], items[4] = items[4], items[3]
    with pytest.raises(MalformedInput, match=f"expected entry {items[4][0]} at position 3"):
        verify_package(rezip(items))
    with pytest.raises(MalformedInput, match="as the first entries"):
        verify_package(rezip([items[1], items[0], *items[2:]]))


def test_unknown_missing_and_duplicate_entries_fail() -> None:
    items = list(entries(GOOD).items())
    with pytest.raises(MalformedInput, match="'notes.txt': expected a known package path"):
        verify_package(rezip([*items, ("notes.txt", b"hi")]))
    with pytest.raises(VerificationFailed, match="signatures/extra.json: expected only files"):
        verify_package(rezip([*items, ("signatures/extra.json", b"{}")]))
    with pytest.raises(VerificationFailed, match="records/2.json: expected in the package"):
        verify_package(rezip([i for i in items if i[0] != "records/2.json"]))
    with pytest.warns(UserWarning, match="Duplicate name"):
        duplicated = rezip([*items, items[5]])
    with pytest.raises(MalformedInput, match="expected unique names, found it twice"):
        verify_package(duplicated)


@pytest.mark.parametrize(
    "name", ["../manifest.json", "/etc/passwd", "records/../../x", "C:/x", "files\\..\\x"]
)
def test_path_traversal_fails(name: str) -> None:
    with pytest.raises(MalformedInput, match="path traversal"):
        verify_package(rezip([*entries(GOOD).items(), (name, b"x")]))


def test_not_a_zip_and_size_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(MalformedInput, match="expected a zip archive"):
        verify_package(b"PK\x03\x04 not really")
    manifest = entries(GOOD)["manifest.json"]
    biggest = max(len(v) for k, v in entries(GOOD).items() if not k.startswith("files/"))
    monkeypatch.setattr(packages, "MAX_JSON_BYTES", biggest)
    verify_package(GOOD)  # at the limit
    monkeypatch.setattr(packages, "MAX_JSON_BYTES", biggest - 1)
    with pytest.raises(
        LimitExceeded, match=f"expected at most {biggest - 1} bytes, found {biggest}"
    ):
        verify_package(GOOD)
    monkeypatch.setattr(packages, "MAX_JSON_BYTES", 2**20)
    monkeypatch.setattr(packages, "MAX_FILE_BYTES", len(FILE) - 1)
    with pytest.raises(LimitExceeded, match="files/"):
        verify_package(GOOD)
    monkeypatch.setattr(packages, "MAX_PACKAGE_BYTES", len(GOOD) - 1)
    with pytest.raises(LimitExceeded, match="package: expected at most"):
        verify_package(GOOD)
    monkeypatch.setattr(packages, "MAX_PACKAGE_BYTES", 2**30)
    monkeypatch.setattr(packages, "MAX_ENTRIES", len(entries(GOOD)) - 1)
    with pytest.raises(LimitExceeded, match="entries"):
        verify_package(GOOD)
    assert len(manifest) < 2**20


# ------------------------------------------- consistent rewrites (manifest re-issued)


def test_reissued_unchanged_package_still_verifies() -> None:
    verify_package(reissue(entries(GOOD)))


def test_trailing_garbage_and_non_canonical_json_fail() -> None:
    e = entries(GOOD)
    with pytest.raises(MalformedInput, match="proofs/1.json: expected a single JSON value"):
        verify_package(reissue({**e, "proofs/1.json": e["proofs/1.json"] + b"x"}))
    with pytest.raises(MalformedInput, match="proofs/1.json: expected canonical RFC 8785"):
        verify_package(reissue({**e, "proofs/1.json": e["proofs/1.json"] + b" "}))
    with pytest.raises(MalformedInput, match="records/1.json: record: expected"):
        verify_package(reissue({**e, "records/1.json": e["records/1.json"] + b"\n"}))


MUTATIONS: list[tuple[str, Callable[[Entries], Entries], str]] = [
    ("proof path element", lambda e: edit_json(e, "proofs/2.json", lambda p: p["path"].__setitem__(0, "00" * 32)),
     "proofs/2.json: expected the proof to reproduce root"),
    ("proof leaf index", lambda e: edit_json(e, "proofs/2.json", lambda p: p.update(leaf_index=3)),
     "proofs/2.json: expected leaf 2 with hash"),
    ("proof anchor", lambda e: edit_json(e, "proofs/2.json", lambda p: p["anchor"].update(block_time=5)),
     "proofs/2.json: expected an anchor from heads.json at size 6, found another anchor"),
    ("record swapped", lambda e: {**e, "records/2.json": e["records/4.json"]},
     "proofs/2.json: expected leaf 2 with hash"),
    ("consistency path", lambda e: edit_json(e, "heads.json", lambda h: h["consistency"][0]["path"].__setitem__(0, "00" * 32)),
     r"heads.json 3 -> 6: expected the proof to reproduce"),
    ("consistency dropped", lambda e: edit_json(e, "heads.json", lambda h: h.update(consistency=[])),
     "heads.json: expected 1 consistency proofs, found 0"),
    ("heads reordered", lambda e: edit_json(e, "heads.json", lambda h: h["heads"].reverse()),
     "heads.json: expected heads in increasing size"),
    ("head on another contract", lambda e: edit_json(e, "heads.json", lambda h: h["heads"][0].update(contract="0x" + "00" * 20)),
     "heads.json: expected every head on chain 31337 contract"),
    ("header field", lambda e: edit_json(e, ANCHOR2, lambda a: a["header"].update(stateRoot="0x" + "22" * 32)),
     r"expected header hash keccak256\(RLP\(header\)\) 0x"),
    ("header rehashed", lambda e: edit_json(e, ANCHOR2, lambda a: a["header"].update(
        timestamp="0x1", hash=header_hash({**a["header"], "timestamp": "0x1"}))),
     f"{ANCHOR2}: expected header hash keccak256.*|expected receipt blockHash|expected header hash {HEAD2.block_hash}"),
    ("receipt block hash", lambda e: edit_json(e, ANCHOR2, lambda a: a["receipt"].update(blockHash="0x" + "33" * 32)),
     f"{ANCHOR2}: expected receipt blockHash {HEAD2.block_hash}"),
    ("receipt status", lambda e: edit_json(e, ANCHOR2, lambda a: a["receipt"].update(status="0x0")),
     f"{ANCHOR2}: expected receipt status 1, found 0"),
    ("receipt log root", lambda e: edit_json(e, ANCHOR2, lambda a: a["receipt"]["logs"][0].update(data="0x" + "44" * 64)),
     f"{ANCHOR2}: expected a HeadAnchored log from {CONTRACT} with index 1, size 6"),
    ("receipt log address", lambda e: edit_json(e, ANCHOR2, lambda a: a["receipt"]["logs"][0].update(address="0x" + "55" * 20)),
     "expected a HeadAnchored log"),
    ("receipt logs dropped", lambda e: edit_json(e, ANCHOR2, lambda a: a["receipt"].update(logs=[])),
     "expected a HeadAnchored log"),
    ("anchor dropped", lambda e: {k: v for k, v in e.items() if k != ANCHOR2},
     f"{ANCHOR2}: expected for the head of size 6, found missing"),
    ("proof dropped", lambda e: {k: v for k, v in e.items() if k != "proofs/4.json"},
     "proofs/4.json: expected for records/4.json, found missing"),
    ("record dropped", lambda e: {k: v for k, v in e.items() if k != "records/4.json"},
     "proofs/4.json: expected a record for it, found none"),
    ("heads dropped", lambda e: {k: v for k, v in e.items() if k != "heads.json"},
     "heads.json: expected in the package, found missing"),
    ("unreferenced file", lambda e: {**e, f"files/{hashlib.sha256(b'x').hexdigest()}": b"x"},
     "expected a record with this SHA-256, found none"),
    ("file content", lambda e: {**e, f"files/{hashlib.sha256(FILE).hexdigest()}": FILE + b"!"},
     "files/[0-9a-f]{64}: expected SHA-256"),
    ("signature signer", lambda e: edit_json(e, "signatures/bidder-1.json", lambda s: s.update(signer="0x" + "66" * 20)),
     f"signatures/bidder-1.json: expected an EIP-712 signature by 0x6666.*found one by {SIGNER.address}"),
    ("signed message", lambda e: edit_json(e, "signatures/bidder-1.json", lambda s: s["typed_data"]["message"].update(tender="x")),
     "signatures/bidder-1.json: expected an EIP-712 signature by"),
]  # fmt: skip


@pytest.mark.parametrize(("what", "mutate", "pattern"), MUTATIONS, ids=[m[0] for m in MUTATIONS])
def test_consistent_rewrites_fail_with_a_specific_reason(
    what: str, mutate: Callable[[Entries], Entries], pattern: str
) -> None:
    with pytest.raises((VerificationFailed, MalformedInput), match=pattern):
        verify_package(reissue(mutate(entries(GOOD))))


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        (
            {"subject": "tender:OTHER"},
            "manifest subject 'tender:OTHER': expected records of that subject",
        ),
        ({"subject": "record:1"}, "manifest subject 'record:1': expected exactly that record"),
        ({"subject": "sha256:" + "ab" * 32}, "expected records with that SHA-256"),
        ({"chain_id": 1}, "heads.json: expected every head on chain 1"),
        (
            {"contracts": {"EvidenceLog": CONTRACT.lower()}},
            "manifest contracts.EvidenceLog: .*EIP-55",
        ),
        ({"package_id": "x"}, "manifest package_id: expected 32 hex digits"),
        ({"created_at": "yesterday"}, "manifest created_at: expected RFC 3339"),
        ({"version": 2}, "expected format 'chainwitness/evidence-package' version 1"),
        ({"extra": 1}, r"manifest.json: expected exactly the fields .* unknown \['extra'\]"),
    ],
)
def test_manifest_field_rewrites_fail(changes: dict[str, Any], pattern: str) -> None:
    with pytest.raises((VerificationFailed, MalformedInput), match=pattern):
        verify_package(reissue(entries(GOOD), **changes))


def test_manifest_digest_or_size_lies_fail() -> None:
    e = entries(GOOD)
    m = json.loads(e["manifest.json"])
    m["files"][0]["size"] += 1
    raw = canonicalize(m)
    items = [("manifest.json", raw), ("manifest.sha256", (hashlib.sha256(raw).hexdigest() + "\n").encode()),
             *list(e.items())[2:]]  # fmt: skip
    with pytest.raises(
        VerificationFailed, match=f"{m['files'][0]['path']}: expected {m['files'][0]['size']} bytes"
    ):
        verify_package(rezip(items))


def test_odd_length_hex_in_a_header_is_malformed() -> None:
    with pytest.raises(
        MalformedInput, match=r"header.extraData: expected 0x and lowercase hex bytes"
    ):
        header_hash({**_header(10, 1), "extraData": "0xabc"})
    with pytest.raises(MalformedInput, match=r"header.mixHash: expected 0x and lowercase hex"):
        header_hash({**_header(10, 1), "mixHash": "0xAB"})
