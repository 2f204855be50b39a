"""Who may do what with a portfolio: its owner, and the people it is shared with."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from uuid import UUID

from eqr_portfolio.domain.errors import NotFound, PermissionDenied


class AccessRole(StrEnum):
    OWNER = "owner"
    EDITOR = "editor"
    VIEWER = "viewer"


SHAREABLE_ROLES = frozenset({AccessRole.EDITOR, AccessRole.VIEWER})


@dataclass(frozen=True)
class Share:
    portfolio_id: UUID
    user_id: UUID
    email: str
    role: AccessRole
    created_at: datetime


def require_read(role: AccessRole | None) -> AccessRole:
    """A portfolio the caller cannot read does not exist for them: NotFound, not Forbidden,
    so ids cannot be probed."""
    if role is None:
        raise NotFound("portfolio")
    return role


def require_write(role: AccessRole | None) -> AccessRole:
    role = require_read(role)
    if role is AccessRole.VIEWER:
        raise PermissionDenied("this portfolio is shared with you read-only")
    return role


def require_owner(role: AccessRole | None) -> AccessRole:
    role = require_read(role)
    if role is not AccessRole.OWNER:
        raise PermissionDenied("only the portfolio's owner can do this")
    return role
