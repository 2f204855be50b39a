"""Checks every authenticated use case starts with."""

from __future__ import annotations

from datetime import datetime

from eqr_auth.app.ports import UnitOfWork
from eqr_auth.domain.errors import InvalidToken, PermissionDenied
from eqr_auth.domain.roles import Permission
from eqr_auth.domain.users import Principal, User


async def load_caller(uow: UnitOfWork, principal: Principal, now: datetime) -> User:
    """The caller's account, refusing a token whose user or session is gone.

    Access tokens outlive logout and deactivation by up to their lifetime; this service
    checks the stored state so its own answers change at once.
    """
    user = await uow.users.get(principal.user_id)
    if user is None or not user.is_active:
        raise InvalidToken()
    if principal.session_id is not None:
        session = await uow.sessions.get(principal.session_id)
        if session is None or session.user_id != user.id or not session.is_live(now):
            raise InvalidToken()
    return user


def require_permission(caller: User, principal: Principal, permission: Permission) -> None:
    """The caller's current role and the token's scopes must both grant ``permission``."""
    if not principal.holds(caller.role, permission):
        raise PermissionDenied(f"this needs the {permission.value} permission")


def require_interactive(principal: Principal) -> str:
    """The caller's session id; tokens exchanged from API keys may not manage the account."""
    if principal.session_id is None:
        raise PermissionDenied("this needs a signed-in session, not an API key")
    return principal.session_id
