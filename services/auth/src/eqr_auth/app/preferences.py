"""The signed-in user's dashboard preferences."""

from __future__ import annotations

from collections.abc import Collection

from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.guards import load_caller
from eqr_auth.domain.events import UserUpdated
from eqr_auth.domain.preferences import (
    DEFAULT_PREFERENCES,
    Preferences,
    PreferencesDraft,
    apply_preferences,
    changed_fields,
)
from eqr_auth.domain.users import Principal


async def get_preferences(deps: Dependencies, principal: Principal) -> Preferences:
    """The stored preferences, or the defaults for a user who never saved any."""
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, deps.clock.now())
        return await uow.preferences.get(user.id) or DEFAULT_PREFERENCES


async def update_preferences(
    deps: Dependencies, principal: Principal, draft: PreferencesDraft, fields: Collection[str] = ()
) -> Preferences:
    """Replaces the named fields (every field when none are named)."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        user = await load_caller(uow, principal, now)
        current = await uow.preferences.get(user.id) or DEFAULT_PREFERENCES
        updated = apply_preferences(current, draft, fields, time_zones=deps.config.time_zones)
        changed = changed_fields(current, updated)
        if changed:
            await uow.preferences.save(user.id, updated)
            uow.record(UserUpdated(user.id, tuple(f"preferences.{name}" for name in changed), now))
            await uow.commit()
    return updated
