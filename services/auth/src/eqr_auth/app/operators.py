"""What an operator does from the command line, outside any user's session."""

from __future__ import annotations

from dataclasses import replace

from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.sessions import revoke_user_sessions
from eqr_auth.domain.emails import canonical_email
from eqr_auth.domain.errors import NotFound
from eqr_auth.domain.events import UserRoleChanged
from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import RevocationReason
from eqr_auth.domain.users import User

OPERATOR_ACTOR = "operator"
"""The actor recorded in audit events for changes made with the service's CLI."""


async def grant_admin(deps: Dependencies, *, email: str) -> User:
    """Makes an existing account an admin: how the first admin of a fleet comes to be."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        user = await uow.users.get_by_email(canonical_email(email))
        if user is None:
            raise NotFound("user")
        if user.role == Role.ADMIN:
            return user
        promoted = replace(user, role=Role.ADMIN, updated_at=now)
        await uow.users.update(promoted)
        await revoke_user_sessions(uow, user.id, RevocationReason.ROLE_CHANGED, now)
        uow.record(UserRoleChanged(user.id, OPERATOR_ACTOR, user.role, Role.ADMIN, now))
        await uow.commit()
    return promoted
