"""The file store's disk fills up during an upload: a clear 507, no orphan file, no record.

The blob directory is a 1 MiB tmpfs mounted for the test (a real ENOSPC from the kernel);
where mounting is not permitted the test skips with one line.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger_service.api.app import create_app
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import create_token

pytestmark = pytest.mark.integration


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "svc" / "blobs"
    mount.mkdir(parents=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here ({done.stderr.strip() or 'not root'})")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


@pytest.fixture
def services(small_disk: Path) -> Iterator[Services]:
    settings = Settings(data_dir=small_disk.parent)
    assert settings.blob_dir == small_disk or small_disk in settings.blob_dir.parents
    s = open_services(settings)
    try:
        yield s
    finally:
        s.close()


def _files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())


def test_upload_on_a_full_disk_is_a_507_and_leaves_nothing(services: Services,
                                                           small_disk: Path) -> None:  # fmt: skip
    token = create_token(services.log_store.engine, "op", "operator")[1]
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(services), raise_server_exceptions=False) as http:
        ok = http.post("/v1/files", params={"name": "small.pdf"}, headers=headers,
                       content=b"%PDF small" * 100)  # fmt: skip
        assert ok.status_code == 201, ok.text
        before_files, before_size = _files(small_disk), services.log_store.head().size
        big = os.urandom(3 * 1024 * 1024)
        r = http.post("/v1/files", params={"name": "big.pdf"}, headers=headers, content=big)
        assert r.status_code == 507, r.text
        assert r.headers["content-type"].startswith("application/problem+json")
        problem = r.json()
        assert problem["type"].endswith("/storage-full")
        assert "found the disk full" in problem["detail"] and str(small_disk) in problem["detail"]
        assert _files(small_disk) == before_files, "a partial upload was left behind"
        assert services.log_store.head().size == before_size, "a record was made anyway"
        # the space is free again: the next small upload works
        again = http.post("/v1/files", params={"name": "again.pdf"}, headers=headers,
                          content=b"%PDF again" * 100)  # fmt: skip
        assert again.status_code == 201, again.text
