"""Evidence packages against a real anvil: build from a running service, verify without it.

The service runs on the session anvil with a fresh EvidenceLog; anchoring is driven
step by step so the package spans several anchored heads. The package is then
checked offline and against the chain, in a new process, after the service's data
directory is deleted.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import shutil
import subprocess
import sys
import zipfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from ledger_service.chain.client import ChainClient
from ledger_service.chain.evidence_log import EvidenceLogContract
from ledger_service.chain.node import ManagedAnvil
from ledger_service.core.errors import Conflict
from ledger_service.core.packages import verify_package as verify_offline
from ledger_service.core.records import EvidenceRecord
from ledger_service.evidence.anchoring import Anchorer
from ledger_service.evidence.package_rpc import verify_package
from ledger_service.evidence.packaging import build_package
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]
SUBJECT = "tender:PKG-2026-1"


@pytest.fixture
def env(
    anvil: ManagedAnvil, chain_client: ChainClient, evidence_log: EvidenceLogContract
) -> dict[str, str]:
    return {
        "PATH": "/usr/bin:/bin",
        "CHAINWITNESS_RPC_URL": anvil.rpc_url,
        "CHAINWITNESS_SIGNER_KEY": "0x" + bytes(chain_client.signer.key).hex(),
        "CHAINWITNESS_EVIDENCE_LOG_ADDRESS": evidence_log.address,
    }


@pytest.fixture
def running(tmp_path: Path, env: dict[str, str]) -> Iterator[tuple[Services, Anchorer]]:
    settings = Settings(
        data_dir=tmp_path / "svc",
        rpc_url=env["CHAINWITNESS_RPC_URL"],
        signer_key=env["CHAINWITNESS_SIGNER_KEY"],
        evidence_log_address=env["CHAINWITNESS_EVIDENCE_LOG_ADDRESS"],
    )
    services = open_services(settings)
    assert services.client and services.evidence_log
    anchorer = Anchorer(
        services.log_store, services.anchors, services.client, services.evidence_log
    )
    try:
        yield services, anchorer
    finally:
        services.close()


def deposit(services: Services, subject: str, content: bytes, *, upload: bool = True) -> int:
    digest = hashlib.sha256(content).hexdigest()
    if upload:

        async def chunks() -> AsyncIterator[bytes]:
            yield content

        assert asyncio.run(services.blobs.put_stream(chunks())).sha256 == digest
    record = EvidenceRecord.create(
        kind="document", subject=subject, actor="bidder:test", digests={"sha256": digest}
    )
    return services.log_store.append([record]).first_index


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ledger_service", *args],
        capture_output=True, text=True, cwd=ROOT, env=env, timeout=60,
    )  # fmt: skip


def test_package_spans_heads_and_verifies_without_the_service(
    running: tuple[Services, Anchorer], tmp_path: Path, env: dict[str, str]
) -> None:
    services, anchorer = running
    for i in range(3):
        deposit(services, SUBJECT, b"bid %d" % i)
    deposit(services, "tender:OTHER", b"other")
    assert anchorer.step().anchored is not None  # head of size 4
    deposit(services, SUBJECT, b"bid 3")
    deposit(services, SUBJECT, b"never uploaded", upload=False)
    assert anchorer.step().anchored is not None  # head of size 6
    late = deposit(services, SUBJECT, b"late bid")
    with pytest.raises(Conflict, match=f"record {late} not yet covered by a confirmed anchor"):
        build_package(services.package_sources(), SUBJECT)
    assert anchorer.step().anchored is not None  # head of size 7

    data = build_package(services.package_sources(), SUBJECT)
    names = zipfile.ZipFile(io.BytesIO(data)).namelist()
    assert [n for n in names if n.startswith("records/")] == [
        f"records/{i}.json" for i in (0, 1, 2, 4, 5, 6)
    ]
    assert sum(n.startswith("files/") for n in names) == 5  # one file was never uploaded
    assert sum(n.startswith("anchors/") for n in names) == 3
    # issuing the package recorded its digest in the log
    issued = services.log_store.find_by_sha256(hashlib.sha256(data).hexdigest())
    assert len(issued) == 1
    rec = services.log_store.record(issued[0]).record
    assert (rec.kind, rec.subject) == ("evidence.package", SUBJECT)

    report = verify_offline(data)
    text = "\n".join(report.lines())
    assert "3 anchored heads, sizes [4, 6, 7]" in text
    assert "(head of size 4)" in text and "(head of size 7)" in text
    rpc = env["CHAINWITNESS_RPC_URL"]
    online = verify_package(data, rpc_url=rpc)
    assert sum(f"checked against the chain at RPC {rpc}" in line for line in online.lines()) == 3

    # one record and one digest are subjects too
    verify_offline(build_package(services.package_sources(), "4"))
    one = build_package(
        services.package_sources(), hashlib.sha256(b"bid 3").hexdigest(), include_files=False
    )
    assert verify_offline(one).subject == "sha256:" + hashlib.sha256(b"bid 3").hexdigest()

    # the CLI builds the same kind of package from another process
    cli_pkg = tmp_path / "cli.zip"
    made = run_cli(
        "package", SUBJECT, "-o", str(cli_pkg), "--data-dir", str(tmp_path / "svc"), env=env
    )
    assert made.returncode == 0, made.stderr
    assert made.stdout.split()[0] == hashlib.sha256(cli_pkg.read_bytes()).hexdigest()

    saved = tmp_path / "evidence.zip"
    saved.write_bytes(data)
    services.close()
    shutil.rmtree(tmp_path / "svc")  # no database, no file store: only the zip and the chain

    offline = run_cli("verify", str(saved), env={"PATH": "/usr/bin:/bin"})
    assert offline.returncode == 0, offline.stderr
    assert "OK  evidence package" in offline.stdout and "not checked on chain" in offline.stdout
    checked = run_cli("verify", str(saved), "--rpc", rpc, env={"PATH": "/usr/bin:/bin"})
    assert checked.returncode == 0, checked.stderr
    assert "is canonical and EvidenceLog" in checked.stdout
    assert (
        run_cli("verify", str(cli_pkg), "--rpc", rpc, env={"PATH": "/usr/bin:/bin"}).returncode == 0
    )

    # a package whose file was swapped fails with the exact reason, on one line
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        items = [(i, zf.read(i)) for i in zf.infolist()]
    forged = tmp_path / "forged.zip"
    with zipfile.ZipFile(forged, "w") as zf:
        for info, content in items:
            if info.filename.startswith("files/"):  # same length, one bit flipped
                content = bytes([content[0] ^ 1]) + content[1:]
            zf.writestr(info, content)
    bad = run_cli("verify", str(forged), env={"PATH": "/usr/bin:/bin"})
    assert bad.returncode == 1
    assert bad.stderr.startswith("error: files/") and "expected SHA-256" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
