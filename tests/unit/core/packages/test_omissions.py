"""A package names every file its records state that it leaves out, with the reason;
the verifier shows one warning line for each and refuses a false claim."""

from __future__ import annotations

import hashlib
import json

import pytest

from ledger_service.core.canonical import canonicalize
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.packages import Omission, verify_package, write_package
from tests.unit.core.packages.synthetic import FILE, GOOD, contents, entries, reissue, rezip

DOC2 = hashlib.sha256(b"doc 2").hexdigest()  # record 2's file, which GOOD does not carry
DOC4 = hashlib.sha256(b"doc 4").hexdigest()


def test_no_omission_leaves_the_manifest_as_it_was() -> None:
    every = {hashlib.sha256(d).hexdigest(): d for d in (FILE, b"doc 2", b"doc 4")}
    data = write_package(contents(files=every, omitted=[]))
    assert "omitted" not in json.loads(entries(data)["manifest.json"])
    assert not any(line.startswith("WARN") for line in verify_package(data).lines())


def test_stripping_the_omissions_is_refused() -> None:
    """Attack: the operator drops ``omitted`` so the package seems complete."""
    e = entries(GOOD)
    m = json.loads(e["manifest.json"])
    assert len(m["omitted"]) == 2
    del m["omitted"]
    raw = canonicalize(m)
    body = [(k, v) for k, v in e.items() if not k.startswith("manifest")]
    stripped = rezip([("manifest.json", raw),
                      ("manifest.sha256", (hashlib.sha256(raw).hexdigest() + "\n").encode()),
                      *body])  # fmt: skip
    with pytest.raises(VerificationFailed, match=r"records/2.json: expected files/[0-9a-f]{64} "
                       r"in the package or an omission naming it in the manifest, found neither"):  # fmt: skip
        verify_package(stripped)


def test_each_omission_is_one_warning_line_naming_reason_records_and_subject() -> None:
    data = write_package(contents(omitted=[
        Omission(DOC4, "not-stored", (4,)),
        Omission(DOC2, "digest-mismatch", (2,), "the stored copy hashes to " + "ee" * 32),
    ]))  # fmt: skip
    manifest = json.loads(entries(data)["manifest.json"])
    assert [o["sha256"] for o in manifest["omitted"]] == sorted([DOC2, DOC4])
    warnings = [line for line in verify_package(data).lines() if line.startswith("WARN")]
    assert warnings == sorted([
        f"WARN  files/{DOC2}: NOT IN THE PACKAGE (digest-mismatch: the stored copy no longer "
        f"matches its SHA-256 (altered or damaged); the stored copy hashes to {'ee' * 32}), "
        "named by record(s) 2 of tender:GC-2026-0417: the records and proofs stand, the file "
        "itself cannot be checked here",
        f"WARN  files/{DOC4}: NOT IN THE PACKAGE (not-stored: no file with this SHA-256 was "
        "stored by the service), named by record(s) 4 of tender:GC-2026-0417: the records and "
        "proofs stand, the file itself cannot be checked here",
    ])  # fmt: skip


def test_a_false_omission_is_refused() -> None:
    carried = hashlib.sha256(FILE).hexdigest()
    with pytest.raises(VerificationFailed, match="expected the file absent, found it"):
        verify_package(write_package(contents(omitted=[*contents().omitted,
                                                       Omission(carried, "withheld", (1,))])))  # fmt: skip
    with pytest.raises(VerificationFailed, match=r"expected records \[2\] stating this SHA-256"):
        verify_package(write_package(contents(omitted=[Omission(DOC4, "withheld", (2,))])))
    with pytest.raises(VerificationFailed, match=r"expected records \[4\].*found \[\]"):
        verify_package(write_package(contents(omitted=[Omission("ab" * 32, "withheld", (4,))])))


def test_malformed_omissions_are_refused() -> None:
    with pytest.raises(MalformedInput, match="omitted reason: expected one of not-stored"):
        Omission(DOC2, "lost", (2,))
    with pytest.raises(MalformedInput, match="omitted records: expected leaf indices"):
        Omission(DOC2, "withheld", ())
    e = entries(GOOD)
    with pytest.raises(MalformedInput, match="manifest omitted: expected a non-empty array"):
        verify_package(reissue(e, omitted=[]))
    bad = {"sha256": DOC2, "reason": "withheld", "records": [2]}  # no detail member
    with pytest.raises(MalformedInput, match=r"manifest omitted\[0\]: expected exactly the fields"):
        verify_package(reissue(e, omitted=[bad]))
