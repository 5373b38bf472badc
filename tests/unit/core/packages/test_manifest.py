"""The manifest: its members, the entries it lists, and what its subject requires."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.packages.manifest import Manifest, read_manifest, subject_matches
from ledger_service.core.records import EvidenceRecord
from tests.unit.core.packages.synthetic import (
    CONTRACT,
    FILE,
    GOOD,
    SUBJECT,
    Entries,
    contents,
    entries,
)

E = entries(GOOD)


def with_manifest(**changes: Any) -> Entries:
    """``E`` with its manifest changed (and not its digest: read_manifest does not look)."""
    m = json.loads(E["manifest.json"])
    m.update(changes)
    return {**E, "manifest.json": canonicalize(m)}


def test_a_valid_manifest_reads() -> None:
    assert read_manifest(E) == Manifest(
        "0123456789abcdef0123456789abcdef", "2026-11-30T01:02:03.000Z", SUBJECT, 31337,
        CONTRACT, tuple(E)[2:], tuple(contents().omitted),
    )  # fmt: skip


def test_the_files_list_is_checked() -> None:
    files = json.loads(E["manifest.json"])["files"]
    with pytest.raises(MalformedInput, match="manifest files: expected an array"):
        read_manifest(with_manifest(files={}))
    with pytest.raises(MalformedInput, match="expected unique paths in sorted order"):
        read_manifest(with_manifest(files=[files[1], files[0], *files[2:]]))
    with pytest.raises(MalformedInput, match=r"manifest files\[0\]: expected a path of its role"):
        read_manifest(with_manifest(files=[{**files[0], "role": "record"}, *files[1:]]))
    with pytest.raises(MalformedInput, match=r"manifest files\[0\]: expected exactly the fields"):
        read_manifest(with_manifest(files=[{"path": files[0]["path"]}, *files[1:]]))
    reordered = dict([*list(E.items())[:2], *reversed(list(E.items())[2:])])
    with pytest.raises(MalformedInput, match=f"expected entry {files[0]['path']} at position 2"):
        read_manifest(reordered)


def test_members_are_checked_in_order() -> None:
    with pytest.raises(MalformedInput, match="manifest subject: expected a string, found ''"):
        read_manifest(with_manifest(subject="", chain_id=0))
    with pytest.raises(MalformedInput, match="manifest chain_id: expected an integer >= 1"):
        read_manifest(with_manifest(chain_id=0))
    with pytest.raises(MalformedInput, match="manifest contracts: expected exactly the fields"):
        read_manifest(with_manifest(contracts={}))


def record(subject: str, data: bytes) -> EvidenceRecord:
    return EvidenceRecord.create(
        kind="document", subject=subject, actor="a",
        digests={"sha256": hashlib.sha256(data).hexdigest()},
    )  # fmt: skip


def test_subject_matches_follows_the_table() -> None:
    doc = hashlib.sha256(FILE).hexdigest()
    one, other = record(SUBJECT, FILE), record("tender:OTHER", FILE)
    assert subject_matches("record:7", {7: one}) == "exactly that record"
    assert subject_matches(f"sha256:{doc}", {1: one, 2: other}) == "records with that SHA-256"
    assert subject_matches(SUBJECT, {1: one}) == "records of that subject"
    for subject, records in [("record:7", {7: one, 8: one}), ("record:x", {7: one}),
                             (f"sha256:{'0' * 64}", {1: one}), (SUBJECT, {1: one, 2: other}),
                             (SUBJECT, {})]:  # fmt: skip
        with pytest.raises(VerificationFailed, match=f"manifest subject {subject!r}: expected"):
            subject_matches(subject, records)
