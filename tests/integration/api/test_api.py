"""The HTTP API without a chain: deposits, proofs, auth, problem+json errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger_service.api.app import create_app
from ledger_service.core import merkle
from ledger_service.core.proofs import InclusionProof
from ledger_service.runtime import Services, open_services
from ledger_service.settings import MAX_BATCH, Settings
from ledger_service.store.tokens import create_token

pytestmark = pytest.mark.integration
SHA = hashlib.sha256(b"tender document").hexdigest()


@pytest.fixture
def services(tmp_path: Path, database_url: str) -> Iterator[Services]:
    s = open_services(Settings(data_dir=tmp_path / "data", database_url=database_url), chain=False)
    yield s
    s.close()


@pytest.fixture
def client(services: Services) -> TestClient:
    return TestClient(create_app(services), raise_server_exceptions=False)


@pytest.fixture
def operator(services: Services) -> dict[str, str]:
    _, token = create_token(services.log_store.engine, "centre", "operator")
    return {"Authorization": f"Bearer {token}"}


def record(i: int = 0) -> dict[str, object]:
    return {
        "kind": "document",
        "subject": "tender:GC-2026-0417",
        "digests": {"sha256": hashlib.sha256(str(i).encode()).hexdigest()},
        "metadata": {"name": f"文件{i}.pdf", "pages": i},
    }


def assert_problem(resp: object, status: int, match: str) -> dict[str, object]:
    assert resp.status_code == status, resp.text  # type: ignore[attr-defined]
    assert resp.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    body = resp.json()  # type: ignore[attr-defined]
    assert body["status"] == status and body["type"].startswith("https://")
    assert match in body["detail"], body["detail"]
    return body  # type: ignore[no-any-return]


def test_deposit_one_and_fetch_proof_verifies_with_reference(
    client: TestClient, operator: dict[str, str]
) -> None:
    r = client.post("/v1/records", json=record(1), headers=operator)
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["index"] == 0 and body["tree_size"] == 1
    assert body["record"]["actor"] == "operator:centre"
    got = client.get("/v1/records/0", headers=operator).json()
    assert got["status"] == "pending"
    proof = InclusionProof.from_json(got["proof"])
    proof.verify()
    assert proof.root.hex() == body["root"]


def test_batch_then_every_proof_verifies(client: TestClient, operator: dict[str, str]) -> None:
    r = client.post(
        "/v1/records/batch", json={"records": [record(i) for i in range(25)]}, headers=operator
    )
    assert r.status_code == 201, r.text
    leaves = [bytes.fromhex(h) for h in r.json()["leaf_hashes"]]
    assert merkle.root_from_leaves(leaves).hex() == r.json()["root"]
    for i in (0, 12, 24):
        p = InclusionProof.from_json(
            client.get(f"/v1/records/{i}", headers=operator).json()["proof"]
        )
        p.verify()
        assert p.leaf_hash == leaves[i]
    c = client.get("/v1/proofs/consistency", params={"first": 7, "second": 25}).json()
    merkle.verify_consistency(
        7,
        25,
        bytes.fromhex(c["root1"]),
        bytes.fromhex(c["root2"]),
        [bytes.fromhex(h) for h in c["path"]],
    )


def test_streaming_file_upload_is_content_addressed(
    client: TestClient, operator: dict[str, str], services: Services
) -> None:
    data = b"\x00\x01bid" * 300_000
    digest = hashlib.sha256(data).hexdigest()
    r = client.post(
        "/v1/files",
        params={"name": "bid.bin"},
        content=iter([data[:100_000], data[100_000:]]),
        headers={**operator, "Content-Type": "application/octet-stream"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == digest and r.json()["size"] == len(data)
    assert services.blobs.open(digest).read_bytes() == data
    v = client.get(f"/v1/verify/{digest}").json()
    assert v["found"] is True and v["proofs"][0]["leaf_index"] == r.json()["index"]


def test_public_endpoints_need_no_token_and_are_read_only(client: TestClient) -> None:
    assert client.get("/v1/heads/latest").json()["log"]["tree_size"] == 0
    assert client.get(f"/v1/verify/{SHA}").json() == {
        "sha256": SHA, "found": False, "withheld": 0, "proofs": [], "checkpoints": [],
        "timestamps": []
    }  # fmt: skip
    assert client.get("/openapi.json").status_code == 200
    assert_problem(client.post("/v1/records", json=record()), 401, "Authorization: Bearer")


def test_wrong_role_and_unknown_token(client: TestClient, services: Services) -> None:
    _, court = create_token(services.log_store.engine, "court", "court")
    assert_problem(
        client.post("/v1/records", json=record(), headers={"Authorization": f"Bearer {court}"}),
        403,
        "expected a token with role operator, found role 'court'",
    )
    assert_problem(
        client.post("/v1/records", json=record(), headers={"Authorization": "Bearer nope"}),
        401,
        "unknown",
    )


@pytest.mark.parametrize(
    ("body", "status", "match"),
    [
        (b'{"kind": "document", "subject": "s", "digests": {"sha256": "ab"}}', 422, "sha256"),
        (
            b'{"kind": "document", "kind": "x", "subject": "s", "digests": {}}',
            422,
            "found 'kind' twice",
        ),
        (
            b'{"kind": "document", "subject": "s", "digests": {"sha256": "'
            + SHA.encode()
            + b'"}, "metadata": {"price": 1.5}}',
            422,
            "found the number 1.5",
        ),
        (b'{"kind": "document", "subject": "s"}', 422, "digests"),
        (
            b'{"kind": "document", "subject": "s", "digests": {"sha256": "'
            + SHA.encode()
            + b'"}, "extra": 1}',
            422,
            "extra",
        ),
        (b"[1, 2]", 422, "expected a JSON object"),
        (b'{"kind": ', 422, "JSON"),
        (b"", 422, "empty body"),
    ],
)
def test_bad_records_get_problem_json_and_store_nothing(
    client: TestClient, operator: dict[str, str], body: bytes, status: int, match: str
) -> None:
    r = client.post(
        "/v1/records", content=body, headers={**operator, "Content-Type": "application/json"}
    )
    assert_problem(r, status, match)
    assert client.get("/v1/heads/latest").json()["log"]["tree_size"] == 0


def test_batch_limits(client: TestClient, operator: dict[str, str]) -> None:
    assert_problem(
        client.post("/v1/records/batch", json={"records": []}, headers=operator),
        422,
        f"expected 1..{MAX_BATCH} records, found 0",
    )
    bad = [record(i) for i in range(5)]
    bad[3] = {**bad[3], "kind": "Bad Kind"}
    assert_problem(
        client.post("/v1/records/batch", json={"records": bad}, headers=operator), 422, "records[3]"
    )
    assert client.get("/v1/heads/latest").json()["log"]["tree_size"] == 0
    big = {"records": [record(i) for i in range(MAX_BATCH + 1)]}
    assert_problem(
        client.post("/v1/records/batch", content=json.dumps(big), headers=operator),
        422,
        f"found {MAX_BATCH + 1}",
    )


def test_lookup_errors(client: TestClient, operator: dict[str, str]) -> None:
    assert_problem(client.get("/v1/records/5", headers=operator), 404, "below the log size 0")
    assert_problem(client.get("/v1/verify/xyz"), 422, "64 hex digits")
    assert_problem(
        client.get("/v1/proofs/consistency", params={"first": 1, "second": 9}), 404, "at most 0"
    )
    assert_problem(
        client.get("/v1/proofs/consistency", params={"first": 0, "second": 9}), 422, "first"
    )
