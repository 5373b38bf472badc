"""The manifest (section 3 of ``docs/evidence-package.md``): what the package says it holds.

:func:`read_manifest` checks ``manifest.json``'s members and that the entries are
exactly the files it lists, with their sizes and SHA-256 (step 2 of section 7);
:func:`subject_matches` applies the table of subjects to the records (step 5).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from ledger_service.core._fields import exact_fields, formatted
from ledger_service.core.errors import MalformedInput, VerificationFailed
from ledger_service.core.packages.format import (
    FORMAT,
    MANIFEST,
    MANIFEST_DIGEST,
    ROLES,
    VERSION,
    Omission,
    parse_canonical,
    sha256_hex,
)
from ledger_service.core.proofs import Anchor
from ledger_service.core.records import EvidenceRecord

__all__ = ["Manifest", "read_manifest", "subject_matches"]

_MANIFEST_FIELDS = {
    "format", "version", "package_id", "created_at", "subject", "chain_id", "contracts", "files",
}  # fmt: skip
_PACKAGE_ID = re.compile(r"[0-9a-f]{32}")
_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z", re.ASCII)
_ZERO_TX = "0x" + "0" * 64


@dataclass(frozen=True)
class Manifest:
    """The members of a checked ``manifest.json`` the later steps rely on."""

    package_id: str
    created_at: str
    subject: str
    chain_id: int
    contract: str
    files: tuple[str, ...]
    #: files the records name that the package leaves out, with the reasons
    omitted: tuple[Omission, ...] = ()


def read_manifest(entries: Mapping[str, bytes]) -> Manifest:
    """Check ``manifest.json`` in ``entries`` and ``entries`` against it.

    Raises:
        MalformedInput: a member is missing, unknown or of the wrong shape; the listed
            paths are not unique and sorted, or the entries not in their order.
        VerificationFailed: a listed entry is missing or differs in size or SHA-256;
            an entry is not listed.
    """
    raw = parse_canonical(entries[MANIFEST], MANIFEST)
    # ``omitted`` is optional: present only when the builder left a file out
    with_omitted = isinstance(raw, Mapping) and "omitted" in raw
    m = formatted(MANIFEST, raw, _MANIFEST_FIELDS | ({"omitted"} if with_omitted else set()),
                  FORMAT, VERSION)  # fmt: skip
    omitted = _omitted(m["omitted"]) if with_omitted else ()
    if type(m["package_id"]) is not str or not _PACKAGE_ID.fullmatch(m["package_id"]):
        raise MalformedInput(
            f"manifest package_id: expected 32 hex digits, found {m['package_id']!r}"
        )
    if type(m["subject"]) is not str or not m["subject"]:
        raise MalformedInput(f"manifest subject: expected a string, found {m['subject']!r}")
    if type(m["created_at"]) is not str or not _TIMESTAMP.fullmatch(m["created_at"]):
        raise MalformedInput(
            f"manifest created_at: expected RFC 3339 UTC with milliseconds, found {m['created_at']!r}"
        )
    if type(m["chain_id"]) is not int or m["chain_id"] < 1:
        raise MalformedInput(
            f"manifest chain_id: expected an integer >= 1, found {m['chain_id']!r}"
        )
    contracts = exact_fields("manifest contracts", m["contracts"], {"EvidenceLog"})
    try:  # an Anchor validates the EIP-55 address the same way heads do
        Anchor(m["chain_id"], contracts["EvidenceLog"], _ZERO_TX, 0, _ZERO_TX, 0, 0, 1, bytes(32))
    except MalformedInput as exc:
        raise MalformedInput(f"manifest contracts.EvidenceLog: {exc}") from exc
    listed = _listed_files(m["files"], entries)
    manifest = Manifest(m["package_id"], m["created_at"], m["subject"], m["chain_id"],
                        contracts["EvidenceLog"], tuple(listed), omitted)  # fmt: skip
    return manifest


def _omitted(value: object) -> tuple[Omission, ...]:
    if type(value) is not list or not value:
        raise MalformedInput(f"manifest omitted: expected a non-empty array, found {value!r}")
    out = tuple(Omission.from_json(o, f"manifest omitted[{i}]") for i, o in enumerate(value))
    digests = [o.sha256 for o in out]
    if digests != sorted(set(digests)):
        raise MalformedInput("manifest omitted: expected unique digests in sorted order")
    return out


def _listed_files(files: object, entries: Mapping[str, bytes]) -> list[str]:
    """The manifest's ``files``: each entry as listed, none unlisted, in zip order."""
    if type(files) is not list:
        raise MalformedInput("manifest files: expected an array")
    listed: list[str] = []
    for i, item in enumerate(files):
        f = exact_fields(f"manifest files[{i}]", item, {"path", "role", "sha256", "size"})
        path, role = f["path"], f["role"]
        if type(path) is not str or role not in ROLES or not ROLES[role].fullmatch(path):
            raise MalformedInput(
                f"manifest files[{i}]: expected a path of its role, found {path!r} as {role!r}"
            )
        if path not in entries:
            raise VerificationFailed(
                f"{path}: expected in the package (listed in the manifest), found missing"
            )
        data = entries[path]
        if f["size"] != len(data):
            raise VerificationFailed(f"{path}: expected {f['size']} bytes, found {len(data)}")
        if f["sha256"] != sha256_hex(data):
            raise VerificationFailed(
                f"{path}: expected SHA-256 {f['sha256']}, found {sha256_hex(data)}"
            )
        listed.append(path)
    if listed != sorted(set(listed)):
        raise MalformedInput(
            "manifest files: expected unique paths in sorted order, found otherwise"
        )
    extra = sorted(set(entries) - set(listed) - {MANIFEST, MANIFEST_DIGEST})
    if extra:
        raise VerificationFailed(
            f"{extra[0]}: expected only files the manifest lists, found an unknown file"
        )
    order = list(entries)[2:]
    if order != listed:
        bad = next(i for i, (a, b) in enumerate(zip(order, listed, strict=True)) if a != b)
        raise MalformedInput(
            f"package: expected entry {listed[bad]} at position {bad + 2}, found {order[bad]}"
        )
    return listed


def subject_matches(subject: str, records: Mapping[int, EvidenceRecord]) -> str:
    """What ``subject`` requires of ``records`` (the table of section 3), if they meet it.

    Raises:
        VerificationFailed: the records are not what the subject names (or there are none).
    """
    if subject.startswith("record:"):
        ok = list(records) == [int(subject[7:])] if subject[7:].isdigit() else False
        what = "exactly that record"
    elif subject.startswith("sha256:"):
        ok = all(r.digests.get("sha256") == subject[7:] for r in records.values())
        what = "records with that SHA-256"
    else:
        ok = all(r.subject == subject for r in records.values())
        what = "records of that subject"
    if not ok or not records:
        raise VerificationFailed(f"manifest subject {subject!r}: expected {what}, found others")
    return what
