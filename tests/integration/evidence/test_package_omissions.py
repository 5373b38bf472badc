"""A stored file altered after deposit is left out of the package, and the package and
`verify` say so (no silent omission)."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ledger_service.cli.app import build_app
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.packaging import build_package
from ledger_service.runtime import open_services
from ledger_service.settings import Settings

pytestmark = pytest.mark.integration
SUBJECT = "tender:GC-2026-OMIT"


def test_tampered_and_missing_files_are_named(tmp_path: Path) -> None:
    services = open_services(Settings(data_dir=tmp_path / "svc"))
    try:
        assert services.client and services.evidence_log
        good, bad, absent = b"bid A " * 100, b"bid B " * 100, b"never uploaded"
        for data in (good, bad):
            services.blobs.put_bytes(data)
        for data in (good, bad, absent):
            services.log_store.append([EvidenceRecord.create(
                kind="bid.sealed", subject=SUBJECT, actor="bidder:x",
                digests={"sha256": hashlib.sha256(data).hexdigest()})])  # fmt: skip
        bad_sha = hashlib.sha256(bad).hexdigest()
        services.blobs.open(bad_sha).write_bytes(b"tampered")  # the demo's altered bid
        Anchorer(services.log_store, services.anchors, services.client,
                 services.evidence_log).step()  # fmt: skip
        data = build_package(services.package_sources(), SUBJECT)
        regulator = build_package(services.package_sources(), SUBJECT, include_files=False)
    finally:
        services.close()
    (tmp_path / "p.zip").write_bytes(data)
    (tmp_path / "r.zip").write_bytes(regulator)
    manifest = json.loads(zipfile.ZipFile(tmp_path / "p.zip").read("manifest.json"))
    reasons = {o["sha256"]: o["reason"] for o in manifest["omitted"]}
    assert reasons == {bad_sha: "digest-mismatch", hashlib.sha256(absent).hexdigest(): "not-stored"}
    r = CliRunner().invoke(build_app(), ["verify", str(tmp_path / "p.zip")])
    assert r.exit_code == 0, r.output
    warns = [line for line in r.stdout.splitlines() if line.startswith("WARN")]
    assert len(warns) == 2
    assert any(f"files/{bad_sha}: NOT IN THE PACKAGE (digest-mismatch" in w for w in warns)
    assert "verified, with 2 file(s) left out (WARN above)" in r.stdout
    r = CliRunner().invoke(build_app(), ["verify", str(tmp_path / "r.zip")])
    assert sum(line.startswith("WARN") for line in r.stdout.splitlines()) == 3
    assert "(withheld: this package was built without original files)" in r.stdout
