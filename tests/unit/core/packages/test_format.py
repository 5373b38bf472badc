"""The package container: the writer's layout, the strict reader and its limits."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

import pytest

from ledger_service.core import packages
from ledger_service.core.errors import ConfigurationError, LimitExceeded, MalformedInput
from ledger_service.core.packages import Limits, Signature, manifest_digest, write_package
from ledger_service.core.packages.format import read_entries
from tests.unit.core.packages.synthetic import (
    CONTRACT,
    FILE,
    GOOD,
    SIGNER,
    contents,
    entries,
    rezip,
)

ENTRIES = entries(GOOD)
#: the smallest limits the synthetic package fits in: every one is exact
TIGHT = Limits(
    package_bytes=len(GOOD),
    entries=len(ENTRIES),
    json_bytes=max(len(v) for k, v in ENTRIES.items() if not k.startswith("files/")),
    file_bytes=len(FILE),
    total_bytes=sum(len(v) for v in ENTRIES.values()),
)


# ---------------------------------------------------------------- writing


def test_packages_are_deterministic_and_laid_out_as_specified() -> None:
    assert write_package(contents()) == GOOD
    names = list(ENTRIES)
    assert names[:2] == ["manifest.json", "manifest.sha256"]
    assert names[2:] == sorted(names[2:])
    assert "records/1.json" in names and f"files/{hashlib.sha256(FILE).hexdigest()}" in names
    assert ENTRIES["records/4.json"] == contents().records[4]  # exactly the hashed bytes
    m = json.loads(ENTRIES["manifest.json"])
    assert (m["format"], m["version"], m["contracts"]) == (
        "chainwitness/evidence-package",
        1,
        {"EvidenceLog": CONTRACT},
    )


def test_manifest_digest_is_sha256_of_the_manifest_entry() -> None:
    assert manifest_digest(GOOD) == hashlib.sha256(ENTRIES["manifest.json"]).hexdigest()
    with pytest.raises(LimitExceeded, match="package: expected at most 10 bytes"):
        manifest_digest(GOOD, Limits(package_bytes=10))


def test_signature_shape_is_checked() -> None:
    sig = contents().signatures["bidder-1"]
    assert Signature.from_json(sig.to_json()) == sig
    with pytest.raises(MalformedInput, match="signature kind: expected 'eip712', found 'rsa'"):
        Signature("rsa", SIGNER.address, {}, sig.signature)
    with pytest.raises(MalformedInput, match="signature: expected 65 bytes of hex"):
        Signature("eip712", SIGNER.address, {}, "0x00")
    with pytest.raises(MalformedInput, match="signature: expected kind and signer strings"):
        Signature.from_json({**sig.to_json(), "signer": 1})


# ---------------------------------------------------------------- reading


def test_the_manifest_must_come_first() -> None:
    items = list(ENTRIES.items())
    with pytest.raises(MalformedInput, match="as the first entries"):
        read_entries(rezip([items[1], items[0], *items[2:]]))


def test_unknown_and_duplicate_names_fail() -> None:
    items = list(ENTRIES.items())
    with pytest.raises(MalformedInput, match="'notes.txt': expected a known package path"):
        read_entries(rezip([*items, ("notes.txt", b"hi")]))
    with pytest.warns(UserWarning, match="Duplicate name"):
        duplicated = rezip([*items, items[5]])
    with pytest.raises(MalformedInput, match="expected unique names, found it twice"):
        read_entries(duplicated)


@pytest.mark.parametrize(
    "name", ["../manifest.json", "/etc/passwd", "records/../../x", "C:/x", "files\\..\\x"]
)
def test_path_traversal_fails(name: str) -> None:
    with pytest.raises(MalformedInput, match="path traversal"):
        read_entries(rezip([*ENTRIES.items(), (name, b"x")]))


def test_not_a_zip_fails() -> None:
    with pytest.raises(MalformedInput, match="expected a zip archive"):
        read_entries(b"PK\x03\x04 not really")


# ---------------------------------------------------------------- limits


def test_default_limits_are_the_documented_ones() -> None:
    # docs/evidence-package.md section 1
    assert Limits() == packages.LIMITS
    assert (packages.MAX_PACKAGE_BYTES, packages.MAX_ENTRIES, packages.MAX_JSON_BYTES,
            packages.MAX_FILE_BYTES, packages.MAX_TOTAL_BYTES) == (
        1024**3, 10_000, 1024**2, 256 * 1024**2, 1024**3)  # fmt: skip
    assert read_entries(GOOD) == ENTRIES


def test_every_limit_holds_at_its_value() -> None:
    assert read_entries(GOOD, TIGHT) == ENTRIES
    packages.verify_package(GOOD, limits=TIGHT)


@pytest.mark.parametrize(
    ("field", "pattern"),
    [
        ("package_bytes", "package: expected at most {n} bytes, found {m}"),
        ("entries", "package: expected at most {n} entries, found {m}"),
        ("json_bytes", r"\.json: expected at most {n} bytes, found {m}"),
        ("file_bytes", "files/[0-9a-f]{{64}}: expected at most {n} bytes, found {m}"),
        ("total_bytes", "package: expected at most {n} bytes unpacked"),
    ],
)
def test_every_limit_fails_one_below(field: str, pattern: str) -> None:
    value = getattr(TIGHT, field)
    pattern = pattern.format(n=value - 1, m=value)
    limits = dataclasses.replace(TIGHT, **{field: value - 1})
    with pytest.raises(LimitExceeded, match=pattern):
        read_entries(GOOD, limits)
    with pytest.raises(LimitExceeded, match=pattern):
        packages.verify_package(GOOD, limits=limits)


@pytest.mark.parametrize("bad", [0, -1, 1.5, True, None])
def test_limits_are_positive_integers(bad: Any) -> None:
    with pytest.raises(ConfigurationError, match=r"limits.entries: expected an integer >= 1"):
        Limits(entries=bad)


# ---------------------------------------------------------------- zip bombs


def _bomb(entry_bytes: int, count: int) -> bytes:
    """A tiny zip of ``count`` ``files/`` entries of ``entry_bytes`` zeros each."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(count):
            zf.writestr(f"files/{hashlib.sha256(bytes([i])).hexdigest()}", bytes(entry_bytes))
    return buf.getvalue()


def _peak_while(call: Any) -> int:
    import tracemalloc

    tracemalloc.start()
    try:
        call()
    except MalformedInput:  # LimitExceeded included
        pass
    finally:
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    return peak


def test_a_zip_bomb_over_the_total_is_refused_before_inflating() -> None:
    mib = 1024**2
    bomb = _bomb(4 * mib, 3)  # 12 MiB of zeros in a few KiB, each entry within its limit
    assert len(bomb) < 64 * 1024
    limits = Limits(file_bytes=4 * mib, total_bytes=8 * mib)
    with pytest.raises(LimitExceeded, match="expected at most 8388608 bytes unpacked"):
        read_entries(bomb, limits)
    # the old reader inflated 8 MiB and more before the total stopped it
    assert _peak_while(lambda: read_entries(bomb, limits)) < mib


def test_a_zip_bomb_lying_about_its_sizes_inflates_no_more_than_it_declares() -> None:
    mib = 1024**2
    bomb = bytearray(_bomb(4 * mib, 3))
    # claim 1 KiB per entry in the central directory (uncompressed size at offset 24)
    at = 0
    while (at := bomb.find(b"PK\x01\x02", at)) >= 0:
        bomb[at + 24 : at + 28] = (1024).to_bytes(4, "little")
        at += 4
    limits = Limits(file_bytes=4 * mib, total_bytes=8 * mib)
    with pytest.raises(MalformedInput, match="expected a readable zip entry"):
        read_entries(bytes(bomb), limits)
    assert _peak_while(lambda: read_entries(bytes(bomb), limits)) < mib


def test_entries_inflate_in_chunks_against_the_limits() -> None:
    big = _bomb(3 * packages.format.INFLATE_CHUNK, 1)
    with pytest.raises(LimitExceeded, match=r"files/[0-9a-f]{64}: expected at most 1000 bytes"):
        read_entries(big, Limits(file_bytes=1000, total_bytes=10**9))
