"""The served OpenAPI document, made for clients: stable operation ids and documented errors.

- **Operation ids** are the route functions' names (``deposit_record``, ``verify_digest``),
  not FastAPI's default ``<name>_<path>_<method>``: renaming a path does not rename a
  generated client's method. Two routes with one name are refused when the app is built.
- **Errors** are documented on every operation as RFC 9457 problem+json (the
  ``Problem`` schema): 401 and 403 where a token is needed, 404 where the path names
  something, 408 and 413 where a body is read, 409 on writes, 422 wherever input is
  parsed, 503 when a dependency is down or not configured. FastAPI's own 422 schema
  (``HTTPValidationError``) is replaced: it is not what the service answers.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import BaseModel, ConfigDict, Field

from ledger_service.api.guard import api_routes, policy_of
from ledger_service.api.problems import MEDIA_TYPE

__all__ = ["Problem", "install", "operation_id"]


class Problem(BaseModel):
    """An RFC 9457 problem: every error the service answers has this shape."""

    model_config = ConfigDict(extra="allow")
    type: str = Field(examples=["https://chainwitness.example/problems/not-found"])
    title: str = Field(examples=["Not found"])
    status: int = Field(ge=400, le=599)
    detail: str = Field(description="what was expected and what was found")


_DESCRIPTIONS = {
    401: "no token, or an unknown or revoked one",
    403: "the token's role may not do this",
    404: "nothing of that name, number or digest",
    408: "the request body stalled",
    409: "not in this state (e.g. a tender step out of order) or already done",
    413: "the request body is larger than this operation accepts",
    422: "malformed input: what was expected and what was found",
    503: "a dependency is unreachable or not configured",
}


def operation_id(route: APIRoute) -> str:
    """The operation id of ``route``: its function's name."""
    return route.name


def _errors_for(method: str, path: str, public: bool, has_input: bool) -> list[int]:
    codes = [] if public else [401, 403]
    if "{" in path:
        codes.append(404)
    if method in {"post", "put", "patch"}:
        codes += [408, 409, 413]
    if has_input or "{" in path:
        codes.append(422)
    codes.append(503)
    return sorted(set(codes))


def _document(schema: dict[str, Any], policies: dict[tuple[str, str], bool]) -> None:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components["Problem"] = Problem.model_json_schema(ref_template="#/components/schemas/{model}")
    for name in ("HTTPValidationError", "ValidationError"):
        components.pop(name, None)
    ref = {"$ref": "#/components/schemas/Problem"}
    for path, operations in schema.get("paths", {}).items():
        for method, op in operations.items():
            public = policies.get((method.upper(), path), True)
            has_input = bool(op.get("parameters") or op.get("requestBody"))
            responses = op.setdefault("responses", {})
            for code in _errors_for(method, path, public, has_input):
                responses[str(code)] = {
                    "description": _DESCRIPTIONS[code],
                    "content": {MEDIA_TYPE: {"schema": ref}},
                }


def install(app: FastAPI) -> None:
    """Serve the documented OpenAPI; call once every router is included."""
    names: dict[str, str] = {}
    policies: dict[tuple[str, str], bool] = {}
    for ctx in api_routes(app.routes):
        for method in ctx.methods or ():
            if method == "HEAD":
                continue
            key = f"{method} {ctx.path}"
            name = ctx.original_route.name
            if names.setdefault(name, key) != key:
                raise RuntimeError(f"operation id {name!r} is used by {names[name]} and {key}")
            policies[(method, ctx.path)] = policy_of(ctx).roles is None

    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            _document(generate(), policies)
        assert app.openapi_schema is not None
        return app.openapi_schema

    replace: Callable[[], dict[str, Any]] = openapi
    app.openapi = replace  # type: ignore[method-assign]
