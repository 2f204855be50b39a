"""User administration; every use case here needs the users:admin permission."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from eqr_auth.app.dependencies import Dependencies
from eqr_auth.app.guards import load_caller, require_permission
from eqr_auth.app.ports import UnitOfWork, UserCursor
from eqr_auth.app.sessions import revoke_user_sessions
from eqr_auth.domain.errors import NotFound, ValidationFailed
from eqr_auth.domain.events import UserDeactivated, UserRoleChanged
from eqr_auth.domain.roles import Permission, Role
from eqr_auth.domain.sessions import RevocationReason
from eqr_auth.domain.users import Principal, User
from eqr_platform.paging import decode_page_token, encode_page_token, page_limit

MAX_QUERY_LENGTH = 254


@dataclass(frozen=True)
class UserPage:
    users: list[User]
    next_page_token: str


async def list_users(
    deps: Dependencies, principal: Principal, *, query: str = "", page_size: int = 0, page_token: str = ""
) -> UserPage:
    """Users in creation order, filtered by a substring of email or name."""
    query = query.strip()
    if len(query) > MAX_QUERY_LENGTH:
        raise ValidationFailed.single("query", f"must be at most {MAX_QUERY_LENGTH} characters")
    limit = page_limit(page_size, default=deps.config.default_page_size, maximum=deps.config.max_page_size)
    after = _cursor(page_token) if page_token else None
    async with deps.unit_of_work() as uow:
        await _load_admin(uow, principal, deps.clock.now())
        users = await uow.users.list_page(query=query, after=after, limit=limit + 1)
    page, more = users[:limit], len(users) > limit
    next_token = _cursor_token(UserCursor(page[-1].created_at, page[-1].id)) if more else ""
    return UserPage(users=page, next_page_token=next_token)


async def set_user_role(deps: Dependencies, principal: Principal, *, user_id: str, role: Role) -> User:
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        admin = await _load_admin(uow, principal, now)
        if user_id == admin.id:
            raise ValidationFailed.single("user_id", "admins cannot change their own role")
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user")
        if user.role == role:
            return user
        changed = replace(user, role=role, updated_at=now)
        await uow.users.update(changed)
        # Access tokens carry the role: end the sessions so no token keeps the old one.
        await revoke_user_sessions(uow, user.id, RevocationReason.ROLE_CHANGED, now)
        uow.record(UserRoleChanged(user.id, admin.id, user.role, role, now))
        await uow.commit()
    return changed


async def deactivate_user(deps: Dependencies, principal: Principal, *, user_id: str) -> User:
    """Disables the account and ends all its sessions; it cannot log in or use API keys."""
    now = deps.clock.now()
    async with deps.unit_of_work() as uow:
        admin = await _load_admin(uow, principal, now)
        if user_id == admin.id:
            raise ValidationFailed.single("user_id", "admins cannot deactivate themselves")
        user = await uow.users.get(user_id)
        if user is None:
            raise NotFound("user")
        if not user.is_active:
            return user
        deactivated = replace(user, is_active=False, updated_at=now)
        await uow.users.update(deactivated)
        await revoke_user_sessions(uow, user.id, RevocationReason.DEACTIVATED, now)
        uow.record(UserDeactivated(user.id, admin.id, now))
        await uow.commit()
    return deactivated


def _cursor_token(cursor: UserCursor) -> str:
    return encode_page_token(cursor.created_at.isoformat(), cursor.user_id)


def _cursor(token: str) -> UserCursor:
    created_at, user_id = decode_page_token(token, 2)
    try:
        cursor = UserCursor(datetime.fromisoformat(str(created_at)), str(user_id))
    except ValueError:
        cursor = None
    if cursor is None or cursor.created_at.tzinfo is None:
        raise ValidationFailed.single("page_token", "is not a token from a previous page")
    return cursor


async def _load_admin(uow: UnitOfWork, principal: Principal, now: datetime) -> User:
    admin = await load_caller(uow, principal, now)
    require_permission(admin, principal, Permission.USERS_ADMIN)
    return admin
