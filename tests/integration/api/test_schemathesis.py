"""API fuzzing: schemathesis (pinned) against the served OpenAPI, with a token for each role.

Every operation gets bounded generated requests (valid and invalid), each sent once with no
token and once with a token whose role cycles through every role. Asserted: no 5xx except a
documented 503 problem ("not configured" / dependency unavailable), every error answer is
``application/problem+json`` with a ``title`` and ``status`` matching the HTTP status, every
answer has a documented media type and conforms to the operation's documented schema for its
status (schemathesis' ``content_type_conformance`` and ``response_schema_conformance``), and
afterwards every stored record still hashes to the leaf the log holds and the log's root
is recomputed from those leaves.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from ledger_service.api.app import create_app
from ledger_service.core.merkle.tree import root_from_leaves
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import ROLES, create_token

pytestmark = pytest.mark.integration

MAX_EXAMPLES = 12


@pytest.fixture(scope="module")
def fuzz_services(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Services]:
    services = open_services(Settings(data_dir=tmp_path_factory.mktemp("fuzz") / "svc"))
    try:
        yield services
    finally:
        services.close()


@pytest.fixture(scope="module")
def fuzz_app(fuzz_services: Services) -> FastAPI:
    return create_app(fuzz_services)


@pytest.fixture(scope="module")
def role_headers(fuzz_services: Services) -> list[dict[str, str]]:
    engine = fuzz_services.log_store.engine
    return [{"Authorization": f"Bearer {create_token(engine, role, role)[1]}"}
            for role in ROLES]  # fmt: skip


#: the answer is what the OpenAPI document says it is (media type, then schema)
CONFORMANCE = [content_type_conformance, response_schema_conformance]


def _check(label: str, case: schemathesis.Case, response: schemathesis.Response) -> str | None:
    status = response.status_code
    if status >= 500 and status != 503:
        return f"{label}: {status} {response.text[:300]}"
    try:
        case.validate_response(response, checks=CONFORMANCE)
    except Exception as exc:  # schemathesis' FailureGroup: the answer is not as documented
        return f"{label}: {status} does not conform to the OpenAPI document: {exc}"[:1500]
    if status < 400:
        return None
    ctype = response.headers.get("content-type", [""])
    ctype = ctype[0] if isinstance(ctype, list) else ctype
    if not ctype.startswith("application/problem+json"):
        return f"{label}: error {status} is {ctype!r}, expected application/problem+json"
    body = response.json()
    if body.get("status") != status or not body.get("title"):
        return f"{label}: problem body without matching status/title: {body}"
    return None


def test_fuzzed_requests_get_documented_answers(
    fuzz_services: Services, fuzz_app: FastAPI, role_headers: list[dict[str, str]]
) -> None:
    """schemathesis' pytest plugin (``from_fixture``) does not run under pytest 9, so the
    operations' strategies are driven by hypothesis here directly, positive and negative."""
    schema = schemathesis.openapi.from_asgi("/openapi.json", fuzz_app)
    cycle = itertools.cycle(role_headers)
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, "the served OpenAPI lost its operations"
    calls = 0
    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=MAX_EXAMPLES, deadline=None, database=None,
                      suppress_health_check=list(HealthCheck))  # fmt: skip
            def run(case: schemathesis.Case) -> None:
                nonlocal calls
                label = f"{case.method} {case.formatted_path}"
                for headers in ({}, next(cycle)):
                    calls += 1
                    merged = dict(case.headers or {}) | headers
                    try:
                        problem = _check(label, case, case.call(headers=merged))
                    except Exception as exc:  # the app raised: a 500 in production
                        problem = f"{label}: raised {type(exc).__name__}: {exc}"
                    if problem and problem not in failures:
                        failures.append(problem)

            # an operation may have nothing invalid to generate (negative mode)
            with contextlib.suppress(Unsatisfiable):
                run()
    assert calls > 500, calls
    assert not failures, "\n".join(failures[:40])
    assert fuzz_services.log_store.head().size > 0, "no fuzzed request was ever accepted"
    _assert_log_verifies(fuzz_services)


def _assert_log_verifies(fuzz_services: Services) -> None:
    """Nothing stored was corrupted: each record still hashes to its leaf; the root recomputes."""
    store = fuzz_services.log_store
    head = store.head()
    leaves = []
    for i in range(head.size):
        stored = store.record(i)
        assert stored.record.leaf_hash() == store.leaf_hash(i), f"record {i} no longer matches"
        leaves.append(stored.record.leaf_hash())
    assert root_from_leaves(leaves) == head.root


def test_odd_length_hex_is_a_422_not_a_500(fuzz_app: FastAPI,
                                           role_headers: list[dict[str, str]]) -> None:  # fmt: skip
    """Found by the fuzzing above: a dealing body of odd length reached ``bytes.fromhex``."""
    from fastapi.testclient import TestClient

    with TestClient(fuzz_app, raise_server_exceptions=False) as http:
        for route in ("dealings", "complaints"):
            r = http.post(f"/v1/tenders/T-1/{route}", headers=role_headers[-1],
                          json={"index": 1, "body": "abc", "signature": "ab" * 65})  # fmt: skip
            assert r.status_code == 422, r.text
            assert r.headers["content-type"].startswith("application/problem+json")
