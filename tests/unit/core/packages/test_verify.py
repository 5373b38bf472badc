"""Verifying a package: a synthetic package verifies; every named mutation fails specifically.

Each numbered check of docs/evidence-package.md section 7 is also run on its own.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from typing import Any

import pytest

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.packages import header_hash, verify_package
from ledger_service.core.packages.manifest import Manifest
from ledger_service.core.packages.verify import (
    check_anchors,
    check_chain,
    check_container,
    check_files,
    check_heads,
    check_manifest,
    check_records,
    check_signatures,
)
from tests.unit.core.packages.synthetic import (
    ANCHOR2,
    CONTRACT,
    FILE,
    GOOD,
    HEAD2,
    SIGNER,
    SUBJECT,
    Entries,
    contents,
    edit_json,
    entries,
    reissue,
    rezip,
)

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
    assert "on chain by block time 1796000010 (2026-11-30T00:53:30Z) (head of size 3)" in text  # record 1 first anchored
    assert f"EIP-712 signature by {SIGNER.address}" in text
    assert all(line.startswith("OK  ") for line in report.lines() if not line.startswith("WARN"))
    assert sum(line.startswith("WARN ") for line in report.lines()) == 2  # records 2 and 4


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


# ---------------------------------------------------------------- each check on its own
# Called directly, a check sees exactly the entries it is handed: no re-issued manifest
# is needed to reach it, so each failure below is that check's own.

E = entries(GOOD)
OMITTED = tuple(contents().omitted)  # records 2 and 4 name files the package leaves out
MANIFEST = Manifest("0123456789abcdef0123456789abcdef", "2026-11-30T01:02:03.000Z", SUBJECT,
                    31337, CONTRACT, tuple(E)[2:], OMITTED)  # fmt: skip
HEADS = list(contents().heads)
FILE_PATH = f"files/{hashlib.sha256(FILE).hexdigest()}"


class FakeChain:
    """A chain that holds the synthetic heads, unless told to lie about one thing."""

    description = "fake"

    def __init__(self, chain_id: int = 31337, bad_block: bool = False,
                 bad_root: bool = False) -> None:  # fmt: skip
        self.id, self.bad_block, self.bad_root = chain_id, bad_block, bad_root

    def chain_id(self) -> int:
        return self.id

    def block_hash(self, number: int) -> str | None:
        h = next(h for h in HEADS if h.block_number == number)
        return "0x" + "11" * 32 if self.bad_block else h.block_hash

    def root_of(self, contract: str, size: int) -> bytes | None:
        return None if self.bad_root else next(h.root for h in HEADS if h.tree_size == size)


def test_the_checks_in_the_documented_order_make_the_report() -> None:
    got, digest = check_container(GOOD)
    manifest, out = check_manifest(got, digest)
    assert manifest == MANIFEST
    heads, verdict = check_heads(got, manifest)
    assert heads == HEADS
    out += [verdict, *check_anchors(got, heads)]
    records, verdicts = check_records(got, heads, manifest.subject)
    assert sorted(records) == [1, 2, 4]
    out += [*verdicts, *check_files(got, records, manifest.omitted), *check_signatures(got)]
    out += check_chain(heads, manifest.chain_id, FakeChain())
    assert tuple(out) == verify_package(GOOD, chain=FakeChain()).verdicts


def test_check_container_compares_the_manifest_digest() -> None:
    items = [*E.items()]
    items[1] = ("manifest.sha256", b"0" * 64 + b"\n")
    with pytest.raises(
        VerificationFailed, match=r"manifest.sha256: expected [0-9a-f]{64}, found b'0"
    ):
        check_container(rezip(items))


def test_check_manifest_wants_every_listed_entry() -> None:
    digest = hashlib.sha256(E["manifest.json"]).hexdigest()
    with pytest.raises(VerificationFailed, match="heads.json: expected in the package \\(listed"):
        check_manifest({k: v for k, v in E.items() if k != "heads.json"}, digest)
    with pytest.raises(VerificationFailed, match=f"{FILE_PATH}: expected 22 bytes, found 23"):
        check_manifest({**E, FILE_PATH: FILE + b"!"}, digest)
    with pytest.raises(VerificationFailed, match=f"{FILE_PATH}: expected SHA-256"):
        check_manifest({**E, FILE_PATH: FILE[:-1] + b"!"}, digest)
    with pytest.raises(VerificationFailed, match="signatures/x.json: expected only files"):
        check_manifest({**E, "signatures/x.json": b"{}"}, digest)


def test_check_heads_wants_heads_json_with_at_least_one_head() -> None:
    with pytest.raises(
        VerificationFailed, match="heads.json: expected in the package, found missing"
    ):
        check_heads({k: v for k, v in E.items() if k != "heads.json"}, MANIFEST)
    empty = edit_json(E, "heads.json", lambda h: h.update(heads=[], consistency=[]))
    with pytest.raises(MalformedInput, match="heads.json: expected a non-empty heads array"):
        check_heads(empty, MANIFEST)
    with pytest.raises(VerificationFailed, match="expected every head on chain 1 contract"):
        check_heads(E, dataclasses.replace(MANIFEST, chain_id=1))


def test_check_anchors_wants_one_anchor_file_per_head_and_no_other() -> None:
    stray = "anchors/0x" + "ab" * 32 + ".json"
    with pytest.raises(VerificationFailed, match=f"{stray}: expected for a head in heads.json"):
        check_anchors({**E, stray: E[ANCHOR2]}, HEADS)
    with pytest.raises(VerificationFailed, match=f"{ANCHOR2}: expected for the head of size 6"):
        check_anchors({k: v for k, v in E.items() if k != ANCHOR2}, HEADS)
    with pytest.raises(VerificationFailed, match=f"{ANCHOR2}: expected receipt status 1"):
        check_anchors(edit_json(E, ANCHOR2, lambda a: a["receipt"].update(status="0x0")), HEADS)


def test_check_records_pairs_records_and_proofs_and_matches_the_subject() -> None:
    with pytest.raises(VerificationFailed, match="proofs/4.json: expected a record for it"):
        check_records({k: v for k, v in E.items() if k != "records/4.json"}, HEADS, SUBJECT)
    with pytest.raises(VerificationFailed, match="proofs/4.json: expected its record to equal"):
        check_records(edit_json(E, "proofs/4.json", lambda p: p.update(record="e30=")),
                      HEADS, SUBJECT)  # fmt: skip
    with pytest.raises(VerificationFailed, match="at size 6, found none"):
        check_records(E, HEADS[:1], SUBJECT)
    with pytest.raises(VerificationFailed, match="manifest subject 'record:2': expected exactly"):
        check_records(E, HEADS, "record:2")
    _, verdicts = check_records(E, HEADS, SUBJECT)
    assert verdicts[-1].text == f"subject {SUBJECT!r}: 3 records of that subject"


def test_check_files_wants_a_record_stating_each_file() -> None:
    records, _ = check_records(E, HEADS, SUBJECT)
    assert [v.item for v in check_files(E, records, OMITTED)] == [
        *(f"files/{o.sha256}" for o in OMITTED),
        FILE_PATH,
    ]
    with pytest.raises(VerificationFailed, match=r"records/2.json: expected files/.* or an "
                       r"omission naming it in the manifest, found neither"):  # fmt: skip
        check_files(E, records)  # the manifest's omissions stripped: a silent omission
    other = f"files/{hashlib.sha256(b'x').hexdigest()}"
    with pytest.raises(VerificationFailed, match=f"{other}: expected a record with this SHA-256"):
        check_files({**E, other: b"x"}, records, OMITTED)
    with pytest.raises(VerificationFailed, match=f"{FILE_PATH}: expected SHA-256"):
        check_files({**E, FILE_PATH: b"y"}, records, OMITTED)


def test_check_signatures_recovers_each_signer() -> None:
    assert [v.text for v in check_signatures(E)] == [f"EIP-712 signature by {SIGNER.address}"]
    forged = edit_json(
        E, "signatures/bidder-1.json", lambda s: s.update(signature="0x" + "00" * 65)
    )
    with pytest.raises(VerificationFailed, match="signatures/bidder-1.json: expected an EIP-712"):
        check_signatures(forged)


def test_check_chain_asks_the_chain_for_id_blocks_and_roots() -> None:
    assert all(v.trust == "checked against the chain at RPC fake; chain 31337 as named by the artefact, not pinned"
               for v in check_chain(HEADS, 31337, FakeChain()))  # fmt: skip
    with pytest.raises(VerificationFailed, match="chain: expected chain id 31337, found 1"):
        check_chain(HEADS, 31337, FakeChain(chain_id=1))
    with pytest.raises(VerificationFailed, match="expected the chain to have block 0x"):
        check_chain(HEADS, 31337, FakeChain(bad_block=True))
    with pytest.raises(VerificationFailed, match=r"rootOf\(3\) = .*found nothing"):
        check_chain(HEADS, 31337, FakeChain(bad_root=True))
