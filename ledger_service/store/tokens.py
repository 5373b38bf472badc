"""API tokens with roles. Only a token's SHA-256 is stored; the token is shown once."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Engine, Table, insert, select, update

from ledger_service.core.errors import MalformedInput, NotFound, Unauthorized
from ledger_service.store.db import reading
from ledger_service.store.models import ApiToken

ROLES = ("admin", "operator", "bidder", "regulator", "court", "notary", "custodian")
_TOKENS = cast(Table, ApiToken.__table__)
#: Prefix that makes a leaked token easy to recognise in logs and scanners.
TOKEN_PREFIX = "cw_"


@dataclass(frozen=True)
class TokenInfo:
    id: int
    name: str
    role: str
    created_at: str
    revoked: bool


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(engine: Engine, name: str, role: str) -> tuple[TokenInfo, str]:
    """Create a token for ``role``; returns its info and the secret (shown only now)."""
    if role not in ROLES:
        raise MalformedInput(f"expected a role among {', '.join(ROLES)}, found {role!r}")
    if not 1 <= len(name) <= 128:
        raise MalformedInput(f"expected a token name of 1..128 characters, found {len(name)}")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with engine.begin() as conn:
        new_id = conn.execute(
            insert(_TOKENS).values(
                name=name, role=role, token_sha256=_digest(secret), created_at=now
            )
        ).inserted_primary_key
    assert new_id is not None
    return TokenInfo(int(new_id[0]), name, role, now, False), secret


def authenticate(engine: Engine, token: str) -> TokenInfo:
    """The token's info; raises Unauthorized for an unknown or revoked token."""
    with reading(engine) as conn:
        row = conn.execute(select(_TOKENS).where(_TOKENS.c.token_sha256 == _digest(token))).first()
    if row is None:
        raise Unauthorized("expected a valid API token, found an unknown one")
    if row.revoked_at is not None:
        raise Unauthorized(f"expected an active API token, found one revoked at {row.revoked_at}")
    return TokenInfo(row.id, row.name, row.role, row.created_at, False)


def list_tokens(engine: Engine) -> list[TokenInfo]:
    with reading(engine) as conn:
        rows = conn.execute(select(_TOKENS).order_by(_TOKENS.c.id)).all()
    return [TokenInfo(r.id, r.name, r.role, r.created_at, r.revoked_at is not None) for r in rows]


def revoke_token(engine: Engine, token_id: int) -> None:
    now = datetime.now(UTC).isoformat(timespec="seconds")
    with engine.begin() as conn:
        n = conn.execute(
            update(_TOKENS)
            .where(_TOKENS.c.id == token_id, _TOKENS.c.revoked_at.is_(None))
            .values(revoked_at=now)
        ).rowcount
    if n == 0:
        raise NotFound(f"expected an active token with id {token_id}, found none")
