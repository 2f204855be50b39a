"""The signing key ring: start-up, rotation and the published JWKS."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.issuing import current_signing_key
from eqr_auth.domain.tokens import SigningKey, verification_keys


async def ensure_signing_key(deps: Dependencies, *, max_age: timedelta | None = None) -> SigningKey:
    """The active key: created on first start, rotated once it is older than ``max_age``."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        key = await current_signing_key(deps, uow, now)
        await uow.commit()
    if max_age is not None and now - key.created_at >= max_age:
        return await rotate_signing_key(deps)
    return key


async def rotate_signing_key(deps: Dependencies) -> SigningKey:
    """A new active key; the old ones retire but stay published until their tokens expire."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        for key in await uow.signing_keys.list_all():
            if key.retired_at is None:
                await uow.signing_keys.update(replace(key, retired_at=now))
        key = deps.token_signer.generate_key(now)
        await uow.signing_keys.add(key)
        await uow.commit()
    return key


async def get_jwks(deps: Dependencies) -> str:
    """The JWKS JSON: every key that may have signed a token still unexpired."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        keys = await uow.signing_keys.list_all()
    published = verification_keys(keys, now=now, token_lifetime=deps.config.longest_access_token_ttl)
    return deps.token_signer.jwks_json(published)
