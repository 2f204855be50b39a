"""Roles and the permissions each grants.

Permissions double as token scopes: a user's access token carries every permission of
the role, an API key's token carries the key's chosen subset.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    ANALYST = "analyst"
    ADMIN = "admin"


class Permission(StrEnum):
    READ = "read"
    RESEARCH_WRITE = "research:write"
    USERS_ADMIN = "users:admin"


ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.VIEWER: frozenset({Permission.READ}),
    Role.ANALYST: frozenset({Permission.READ, Permission.RESEARCH_WRITE}),
    Role.ADMIN: frozenset({Permission.READ, Permission.RESEARCH_WRITE, Permission.USERS_ADMIN}),
}


def permissions_of(role: Role) -> frozenset[Permission]:
    return ROLE_PERMISSIONS[role]


def role_permits(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]


def sorted_scopes(permissions: Iterable[str]) -> tuple[str, ...]:
    """Permissions as sorted, de-duplicated scope names."""
    return tuple(sorted(set(permissions)))
