"""Minting access and refresh tokens inside a use case's unit of work."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.ports import UnitOfWork
from eqr_auth.domain.digests import sha256_hex
from eqr_auth.domain.sessions import RefreshToken
from eqr_auth.domain.tokens import AccessToken, AccessTokenClaims, SigningKey, active_signing_key
from eqr_auth.domain.users import User

REFRESH_TOKEN_BYTES = 32


@dataclass(frozen=True)
class NewRefreshToken:
    secret: str
    record: RefreshToken


async def current_signing_key(deps: Dependencies, uow: UnitOfWork, now: datetime) -> SigningKey:
    """The active key, creating the first one when the ring is empty."""
    key = active_signing_key(await uow.signing_keys.list_all())
    if key is None:
        key = deps.token_signer.generate_key(now)
        await uow.signing_keys.add(key)
    return key


async def issue_access_token(
    deps: Dependencies,
    uow: UnitOfWork,
    *,
    user: User,
    session_id: str | None,
    scopes: tuple[str, ...],
    ttl: timedelta,
    now: datetime,
) -> AccessToken:
    claims = AccessTokenClaims(
        subject=user.id,
        role=user.role,
        session_id=session_id,
        scopes=scopes,
        issued_at=now,
        expires_at=now + ttl,
        token_id=deps.secrets.identifier(),
    )
    key = await current_signing_key(deps, uow, now)
    return AccessToken(token=deps.token_signer.sign(claims, key), expires_in=int(ttl.total_seconds()))


def new_refresh_token(deps: Dependencies, *, session_id: str, user_id: str, now: datetime) -> NewRefreshToken:
    secret = deps.secrets.token(REFRESH_TOKEN_BYTES)
    record = RefreshToken(
        token_hash=sha256_hex(secret),
        session_id=session_id,
        user_id=user_id,
        issued_at=now,
        expires_at=now + deps.config.refresh_token_ttl,
    )
    return NewRefreshToken(secret=secret, record=record)
