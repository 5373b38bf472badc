"""The served OpenAPI is usable by clients: stable ids, typed answers, documented
problem+json errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI

from ledger_service.api import openapi
from ledger_service.api.app import create_app
from ledger_service.runtime import open_services
from ledger_service.settings import Settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def doc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    services = open_services(Settings(data_dir=tmp_path_factory.mktemp("oas") / "svc"))
    try:
        yield create_app(services).openapi()
    finally:
        services.close()


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in doc["paths"].items() for m, op in ops.items()]


def test_operation_ids_are_the_route_names_and_unique(doc: dict[str, Any]) -> None:
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids))
    by_path = {(m, p): op["operationId"] for m, p, op in _operations(doc)}
    assert by_path[("post", "/v1/records")] == "deposit_record"
    assert by_path[("get", "/v1/verify/{sha256}")] == "verify_digest"
    assert all(i.isidentifier() and "_v1_" not in i for i in ids), ids


def test_every_operation_documents_its_errors_as_problems(doc: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in doc["components"]["schemas"]
    problem = doc["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail"}
    for method, path, op in _operations(doc):
        errors = {int(c): r for c, r in op["responses"].items() if int(c) >= 400}
        assert 503 in errors, (method, path)
        for code, answer in errors.items():
            schema = answer["content"]["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, code)
        if "{" in path:
            assert 404 in errors, (method, path)
        if method == "post":
            assert {413, 422} <= set(errors) or path.endswith("/fresh"), (method, path)


def _is_json(media_type: str) -> bool:
    return media_type == "application/json" or media_type.endswith("+json")


def test_every_success_answer_is_a_named_schema_or_a_media_type(doc: dict[str, Any]) -> None:
    """A generated client gets a type for every JSON answer (a component, or an array of
    one), never a bare ``{"type": "object", "additionalProperties": true}`` nor ``{}``;
    a route answering bytes or text (PDF, zip, JWS, metrics) names its media type."""
    components = doc["components"]["schemas"]
    untyped = []
    for method, path, op in _operations(doc):
        for code, answer in op["responses"].items():
            if not code.startswith("2"):
                continue
            content = answer.get("content") or {}
            if not content:
                untyped.append(f"{method} {path} {code}: no media type")
            for media_type, body in content.items():
                schema = body.get("schema", {})
                if not _is_json(media_type):
                    if schema.get("type") != "string":
                        untyped.append(f"{method} {path} {code}: {media_type} is {schema}")
                    continue
                if schema.get("type") == "array":
                    schema = schema.get("items", {})
                ref = schema.get("$ref", "")
                name = ref.removeprefix("#/components/schemas/")
                if set(schema) != {"$ref"} or name not in components:
                    untyped.append(f"{method} {path} {code}: {media_type} is {schema}")
                elif not {"properties", "anyOf"} & set(components[name]):
                    untyped.append(f"{method} {path} {code}: {name} has no fields")
    assert not untyped, "\n".join(untyped)
    ops = {(m, p): op for m, p, op in _operations(doc)}
    pdf = ops[("get", "/v1/reports/{number}/pdf")]["responses"]["200"]["content"]
    assert pdf == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}


def test_authenticated_routes_document_401_and_public_ones_do_not(doc: dict[str, Any]) -> None:
    ops = {(m, p): op for m, p, op in _operations(doc)}
    assert "401" in ops[("post", "/v1/records")]["responses"]
    assert "401" in ops[("get", "/v1/supervision/alerts")]["responses"]
    assert "401" not in ops[("get", "/v1/verify/{sha256}")]["responses"]
    assert "401" not in ops[("get", "/v1/heads/latest")]["responses"]


def test_two_routes_with_one_name_are_refused() -> None:
    app = FastAPI(generate_unique_id_function=openapi.operation_id)
    one, two = APIRouter(), APIRouter()

    @one.get("/a")
    def same() -> None: ...

    @two.get("/b")
    def same_too() -> None: ...

    same_too.__name__ = "same"
    two.routes[0].name = "same"  # type: ignore[attr-defined]
    app.include_router(one)
    app.include_router(two)
    with pytest.raises(RuntimeError, match="operation id 'same' is used by GET /a and GET /b"):
        openapi.install(app)
