"""API keys: created by a signed-in user, exchanged by scripts for short-lived tokens."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime

from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.guards import load_caller, require_interactive
from eqr_auth.app.issuing import issue_access_token
from eqr_auth.domain.api_keys import (
    PUBLIC_ID_ALPHABET,
    PUBLIC_ID_LENGTH,
    SECRET_BYTES,
    ApiKey,
    format_api_key,
    grantable_scopes,
    normalise_key_name,
    public_id_of,
)
from eqr_auth.domain.digests import digests_equal, sha256_hex
from eqr_auth.domain.errors import InvalidCredentials, NotFound, ValidationFailed
from eqr_auth.domain.events import ApiKeyCreated, ApiKeyRevoked
from eqr_auth.domain.roles import permissions_of
from eqr_auth.domain.tokens import AccessToken
from eqr_auth.domain.users import Principal


@dataclass(frozen=True)
class CreatedApiKey:
    api_key: ApiKey
    secret: str
    """The whole key; shown to its owner exactly once."""


async def create_api_key(
    deps: Dependencies,
    principal: Principal,
    *,
    name: str,
    scopes: Iterable[str],
    expires_at: datetime | None = None,
) -> CreatedApiKey:
    """A key with a subset of the caller's permissions, optionally expiring."""
    require_interactive(principal)
    now = deps.clock.now()
    key_name = normalise_key_name(name)
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed.single("expires_at", "must be in the future")
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, now)
        held = set(permissions_of(user.role)) & set(principal.scopes)
        granted = grantable_scopes(scopes, held)
        public_id = deps.secrets.choice_string(PUBLIC_ID_ALPHABET, PUBLIC_ID_LENGTH)
        secret = format_api_key(public_id, deps.secrets.token(SECRET_BYTES))
        api_key = ApiKey(
            id=deps.secrets.identifier(),
            user_id=user.id,
            name=key_name,
            public_id=public_id,
            secret_hash=sha256_hex(secret),
            scopes=granted,
            created_at=now,
            expires_at=expires_at,
        )
        await uow.api_keys.add(api_key)
        uow.record(ApiKeyCreated(user.id, api_key.id, now))
        await uow.commit()
    return CreatedApiKey(api_key=api_key, secret=secret)


async def list_api_keys(deps: Dependencies, principal: Principal) -> list[ApiKey]:
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, deps.clock.now())
        return await uow.api_keys.list_for_user(user.id)


async def revoke_api_key(deps: Dependencies, principal: Principal, *, api_key_id: str) -> None:
    """Revokes one of the caller's keys; anyone else's is reported as not found."""
    require_interactive(principal)
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, now)
        api_key = await uow.api_keys.get(api_key_id)
        if api_key is None or api_key.user_id != user.id:
            raise NotFound("api key")
        if api_key.revoked_at is not None:
            return
        await uow.api_keys.update(replace(api_key, revoked_at=now))
        uow.record(ApiKeyRevoked(user.id, api_key.id, now))
        await uow.commit()


async def exchange_api_key(deps: Dependencies, *, secret: str) -> AccessToken:
    """An access token of the key's owner, without a session, scoped to the key.

    The scopes are cut to the owner's current role, so a demoted owner's keys shrink too.
    """
    now = deps.clock.now()
    secret = secret.strip()
    public_id = public_id_of(secret)
    if public_id is None:
        raise InvalidCredentials("invalid API key")
    async with deps.unit_of_work() as uow:
        api_key = await uow.api_keys.get_by_public_id(public_id)
        if api_key is None or not digests_equal(api_key.secret_hash, sha256_hex(secret)):
            raise InvalidCredentials("invalid API key")
        if not api_key.is_usable(now):
            raise InvalidCredentials("this API key is revoked or expired")
        owner = await uow.users.get(api_key.user_id)
        if owner is None or not owner.is_active:
            raise InvalidCredentials("invalid API key")
        scopes = tuple(scope for scope in api_key.scopes if scope in permissions_of(owner.role))
        await uow.api_keys.update(replace(api_key, last_used_at=now))
        access = await issue_access_token(
            deps,
            uow,
            user=owner,
            session_id=None,
            scopes=scopes,
            ttl=deps.config.api_key_token_ttl,
            now=now,
        )
        await uow.commit()
    return access
