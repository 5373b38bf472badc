"""Dependencies shared by the routers: the services and token authentication.

The request guard (``api.guard``) authenticates before the body is read, with the roles
each route's ``require`` dependency names; the dependency then finds the token it left.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ledger_service.api.guard import ROLES_ATTR, TOKEN_KEY
from ledger_service.core.errors import Forbidden, Unauthorized
from ledger_service.runtime import Services
from ledger_service.store.tokens import TokenInfo, authenticate

_bearer = HTTPBearer(auto_error=False, description="API token from `chainwitness token create`")


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
Credentials = Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]


def check_token(services: Services, credentials: str, roles: tuple[str, ...]) -> TokenInfo:
    """The token's info if it is valid and of one of ``roles`` (any role when empty).

    Raises:
        Unauthorized: no token, an unknown or a revoked one.
        Forbidden: a valid token of another role (admin is admitted everywhere).
    """
    if not credentials:
        raise Unauthorized("expected an 'Authorization: Bearer <token>' header, found none")
    return _admit(authenticate(services.log_store.engine, credentials), roles)


def _admit(info: TokenInfo, roles: tuple[str, ...]) -> TokenInfo:
    if roles and info.role not in roles and info.role != "admin":
        raise Forbidden(
            f"expected a token with role {' or '.join(roles)}, found role {info.role!r}"
        )
    return info


def require(*roles: str) -> Callable[[Request, ServicesDep, Credentials], TokenInfo]:
    """A dependency admitting tokens of ``roles`` (any role when none are named)."""

    def dependency(request: Request, services: ServicesDep, creds: Credentials) -> TokenInfo:
        checked = request.scope.get(TOKEN_KEY)
        if isinstance(checked, TokenInfo):
            return _admit(checked, roles)
        return check_token(services, "" if creds is None else creds.credentials, roles)

    setattr(dependency, ROLES_ATTR, roles)
    return dependency


def optional_token(services: ServicesDep, creds: Credentials) -> TokenInfo | None:
    """The caller's token if one is sent (public endpoints that show more to some roles)."""
    return None if creds is None else authenticate(services.log_store.engine, creds.credentials)


Operator = Annotated[TokenInfo, Depends(require("operator"))]
MaybeToken = Annotated[TokenInfo | None, Depends(optional_token)]
AnyRole = Annotated[TokenInfo, Depends(require())]
