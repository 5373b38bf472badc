"""Every route of the served app x every token role x no token, against the table below.

A route added without a row here fails ``test_every_route_has_a_row``. Outcomes: ``ok``
(past authentication and authorization: whatever the route then answers), 401, or 403
for the role (a refusal by the route's own rules, e.g. "a bidder reads only its own
bids", is not a role refusal and is arranged not to happen here).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.routing import iter_route_contexts
from fastapi.testclient import TestClient

from ledger_service.api.app import create_app
from ledger_service.runtime import Services, open_services
from ledger_service.settings import Settings
from ledger_service.store.tokens import ROLES, create_token

pytestmark = pytest.mark.integration

PUBLIC = "public"  # no token needed
ANY = "any"  # any valid token
#: (method, path) -> who gets past authorization (admin: every non-public route)
TABLE: dict[tuple[str, str], str | frozenset[str]] = {
    ("GET", "/openapi.json"): PUBLIC,
    ("GET", "/docs"): PUBLIC,
    ("GET", "/docs/oauth2-redirect"): PUBLIC,
    ("GET", "/redoc"): PUBLIC,
    ("GET", "/"): PUBLIC,
    ("GET", "/verify"): PUBLIC,
    ("GET", "/court"): PUBLIC,
    ("GET", "/regulator"): PUBLIC,
    ("GET", "/bidder"): PUBLIC,
    ("GET", "/static/{path:path}"): PUBLIC,
    ("GET", "/v1/web/config"): PUBLIC,
    ("POST", "/v1/records"): frozenset({"operator"}),
    ("POST", "/v1/records/batch"): frozenset({"operator"}),
    ("POST", "/v1/files"): frozenset({"operator"}),
    ("GET", "/v1/records/{index}"): ANY,
    ("GET", "/v1/verify/{sha256}"): PUBLIC,
    ("GET", "/checkpoint"): PUBLIC,
    ("GET", "/v1/checkpoints/latest"): PUBLIC,
    ("POST", "/v1/checkpoints/fresh"): ANY,
    ("GET", "/v1/heads/latest"): PUBLIC,
    ("GET", "/v1/proofs/consistency"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): frozenset({"operator"}),
    ("POST", "/v1/tenders"): frozenset({"operator"}),
    ("GET", "/v1/tenders"): PUBLIC,
    ("GET", "/v1/tenders/{code}"): PUBLIC,
    ("GET", "/v1/tenders/{code}/bids/{bidder}"): frozenset({"bidder", "operator"}),
    ("POST", "/v1/tenders/{code}/dealings"): frozenset({"custodian"}),
    ("POST", "/v1/tenders/{code}/complaints"): frozenset({"custodian"}),
    ("POST", "/v1/tenders/{code}/approvals"): frozenset({"custodian"}),
    ("POST", "/v1/tenders/{code}/key"): frozenset({"operator"}),
    ("POST", "/v1/tenders/{code}/documents"): frozenset({"operator"}),
    ("POST", "/v1/tenders/{code}/amendments"): frozenset({"operator"}),
    ("POST", "/v1/tenders/{code}/bidders"): frozenset({"operator"}),
    ("POST", "/v1/tenders/{code}/bids"): frozenset({"bidder", "operator"}),
    ("POST", "/v1/tenders/{code}/withdrawals"): frozenset({"bidder", "operator"}),
    ("POST", "/v1/tenders/{code}/open"): frozenset({"operator"}),
    ("POST", "/v1/tenders/{code}/transitions"): frozenset({"operator"}),
    ("GET", "/v1/tenders/{code}/ocds"): PUBLIC,
    ("GET", "/v1/tenders/{code}/opened"): frozenset({"operator", "regulator", "court"}),
    ("GET", "/v1/tenders/{code}/opened/{bidder}/{nonce}"): frozenset(
        {"operator", "regulator", "court"}
    ),
    ("GET", "/v1/court/records"): frozenset({"court", "regulator"}),
    ("POST", "/v1/court/packages"): frozenset({"court", "regulator"}),
    ("GET", "/v1/court/packages/{sha256}"): frozenset({"court", "regulator"}),
    ("POST", "/v1/reports"): frozenset({"operator"}),
    ("GET", "/v1/reports/{number}"): PUBLIC,
    ("GET", "/v1/reports/{number}/pdf"): ANY,
    ("POST", "/v1/contracts"): frozenset({"operator"}),
    ("GET", "/v1/contracts/{code}"): ANY,
    ("GET", "/v1/contracts/{code}/typed-data"): ANY,
    ("POST", "/v1/contracts/{code}/signatures"): ANY,
    ("POST", "/v1/notary/notaries"): frozenset(),  # admin only
    ("GET", "/v1/notary/notaries/{address}"): PUBLIC,
    ("POST", "/v1/notary/requests"): frozenset({"operator", "court", "notary"}),
    ("GET", "/v1/notary/requests/{request_id}"): ANY,
    ("POST", "/v1/notary/requests/{request_id}/review"): frozenset({"notary"}),
    ("POST", "/v1/notary/requests/{request_id}/issue"): frozenset({"notary"}),
    ("POST", "/v1/notary/requests/{request_id}/reject"): frozenset({"notary"}),
    ("POST", "/v1/notary/certificates/{digest}/revoke"): frozenset({"notary"}),
    ("GET", "/v1/notary/requests"): frozenset({"notary"}),
    ("GET", "/v1/notary/requests/{request_id}/package"): frozenset({"notary"}),
    ("POST", "/v1/notary/requests/{request_id}/certificate"): frozenset({"notary"}),
    ("POST", "/v1/notary/requests/{request_id}/rejection"): frozenset({"notary"}),
    ("POST", "/v1/notary/certificates/{digest}/revocation"): frozenset({"notary"}),
    ("GET", "/notary"): PUBLIC,
    ("GET", "/v1/notary/certificates/{digest}/verify"): PUBLIC,
    ("GET", "/v1/notary/certificates/{digest}"): PUBLIC,
    ("GET", "/v1/notary/certificates/{digest}/pdf"): PUBLIC,
    ("POST", "/v1/supervision/tenders/{code}/scan"): frozenset({"regulator"}),
    ("GET", "/v1/supervision/alerts"): frozenset({"regulator"}),
    ("GET", "/v1/supervision/alerts/{index}"): frozenset({"regulator"}),
    ("POST", "/v1/supervision/alerts/{index}/dispositions"): frozenset({"regulator"}),
    ("GET", "/v1/supervision/parties/{party}"): frozenset({"regulator"}),
    ("POST", "/v1/supervision/tenders/{code}/bonds"): frozenset({"operator"}),
    ("POST", "/v1/supervision/trading-records"): frozenset({"operator"}),
    ("POST", "/v1/supervision/tamper-watch"): frozenset({"regulator"}),
}
#: path parameters that pass validation (tokens are named after their role, so the
#: bidder's own-bids rule admits the bidder token)
PARAMS = {"code": "NO-SUCH-1", "bidder": "bidder", "sha256": "ab" * 32, "digest": "ab" * 32,
          "index": "0", "number": "CW-NONE", "request_id": "1", "party": "bidder", "nonce": "1",
          "address": "0x" + "11" * 20, "path:path": "chainwitness.js"}  # fmt: skip


def served_routes(app: FastAPI) -> list[tuple[str, str]]:
    """(method, path) of every route the app serves (included routers flattened)."""
    out = []
    for ctx in iter_route_contexts(app.routes):
        for method in sorted(ctx.methods or ()):
            if method != "HEAD" and ctx.path is not None:
                out.append((method, ctx.path))
    return out


def expected(rule: str | frozenset[str], role: str | None) -> str:
    if rule == PUBLIC:
        return "ok"
    if role is None:
        return "401"
    if rule == ANY or role == "admin" or role in rule:
        return "ok"
    return "403"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Services, FastAPI]]:
    services = open_services(Settings(data_dir=tmp_path_factory.mktemp("matrix") / "svc"))
    try:
        yield services, create_app(services)
    finally:
        services.close()


def test_every_route_has_a_row(served: tuple[Services, FastAPI]) -> None:
    routes = served_routes(served[1])
    assert len(routes) == len(set(routes))
    missing = set(routes) - set(TABLE)
    assert not missing, f"routes without a row in the authorization table: {sorted(missing)}"
    assert not set(TABLE) - set(routes), "rows for routes the app does not serve"


def test_every_route_every_role(served: tuple[Services, FastAPI]) -> None:
    services, app = served
    engine = services.log_store.engine
    tokens: dict[str | None, dict[str, str]] = {None: {}}
    for role in ROLES:
        tokens[role] = {"Authorization": f"Bearer {create_token(engine, role, role)[1]}"}
    bad: list[str] = []
    with TestClient(app, raise_server_exceptions=False) as http:
        for method, path in served_routes(app):
            url = path
            for k, v in PARAMS.items():
                url = url.replace("{" + k + "}", v)
            for role, headers in tokens.items():
                kwargs = {"json": {}} if method == "POST" else {}
                r = http.request(method, url, headers=headers, **kwargs)  # type: ignore[arg-type]
                got = "ok"
                if r.status_code == 401:
                    got = "401"
                elif r.status_code == 403 and r.json()["detail"].startswith(
                    "expected a token with role"
                ):
                    got = "403"
                if r.status_code >= 500 and r.status_code != 503:
                    bad.append(f"{method} {path} as {role}: {r.status_code} {r.text[:120]}")
                want = expected(TABLE[(method, path)], role)
                if got != want:
                    bad.append(f"{method} {path} as {role}: expected {want}, found {got} "
                               f"({r.status_code} {r.text[:120]})")  # fmt: skip
    assert not bad, "\n".join(bad)
