"""Dependencies shared by the routers: the services and token authentication."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger_service.core.errors import Forbidden, Unauthorized
from ledger_service.runtime import Services
from ledger_service.store.tokens import TokenInfo, authenticate

_bearer = HTTPBearer(auto_error=False, description="API token from `chainwitness token create`")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def require(*roles: str) -> Callable[[ServicesDep, Credentials], TokenInfo]:
    """A dependency admitting tokens of ``roles`` (any role when none are named)."""

    def dependency(services: ServicesDep, creds: Credentials) -> TokenInfo:
        if creds is None:
            raise Unauthorized("expected an 'Authorization: Bearer <token>' header, found none")
        info = authenticate(services.log_store.engine, creds.credentials)
        if roles and info.role not in roles and info.role != "admin":
            raise Forbidden(
                f"expected a token with role {' or '.join(roles)}, found role {info.role!r}"
            )
        return info

    return dependency


def optional_token(services: ServicesDep, creds: Credentials) -> TokenInfo | None:
    """The caller's token if one is sent (public endpoints that show more to some roles)."""
    return None if creds is None else authenticate(services.log_store.engine, creds.credentials)


Operator = Annotated[TokenInfo, Depends(require("operator"))]
MaybeToken = Annotated[TokenInfo | None, Depends(optional_token)]
AnyRole = Annotated[TokenInfo, Depends(require())]
