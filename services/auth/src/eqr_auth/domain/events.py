"""Audit events, recorded with the change they describe and published after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from eqr_auth.domain.roles import Role
from eqr_auth.domain.sessions import RevocationReason


class LoginFailureReason(StrEnum):
    BAD_CREDENTIALS = "bad_credentials"
    LOCKED = "locked"
    INACTIVE = "inactive"


@dataclass(frozen=True)
class UserRegistered:
    user_id: str
    email: str
    role: Role
    occurred_at: datetime


@dataclass(frozen=True)
class UserLoggedIn:
    user_id: str
    session_id: str
    ip_address: str
    user_agent: str
    occurred_at: datetime


@dataclass(frozen=True)
class UserLoginFailed:
    user_id: str | None
    ip_address: str
    reason: LoginFailureReason
    occurred_at: datetime


@dataclass(frozen=True)
class UserUpdated:
    user_id: str
    fields: tuple[str, ...]
    occurred_at: datetime


@dataclass(frozen=True)
class PasswordResetRequested:
    user_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class PasswordReset:
    """The password was replaced, by a reset or by a change."""

    user_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class UserRoleChanged:
    user_id: str
    actor_id: str
    old_role: Role
    new_role: Role
    occurred_at: datetime


@dataclass(frozen=True)
class UserDeactivated:
    user_id: str
    actor_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class SessionRevoked:
    user_id: str
    session_id: str
    reason: RevocationReason
    occurred_at: datetime


@dataclass(frozen=True)
class ApiKeyCreated:
    user_id: str
    api_key_id: str
    occurred_at: datetime


@dataclass(frozen=True)
class ApiKeyRevoked:
    user_id: str
    api_key_id: str
    occurred_at: datetime


DomainEvent = (
    UserRegistered
    | UserLoggedIn
    | UserLoginFailed
    | UserUpdated
    | PasswordResetRequested
    | PasswordReset
    | UserRoleChanged
    | UserDeactivated
    | SessionRevoked
    | ApiKeyCreated
    | ApiKeyRevoked
)
