"""Accounts and the identities that act on them."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import datetime

from eqr_auth.domain.errors import ValidationFailed
from eqr_auth.domain.roles import Permission, Role, role_permits

MAX_FULL_NAME_LENGTH = 200
MAX_IP_ADDRESS_LENGTH = 64
MAX_USER_AGENT_LENGTH = 512


@dataclass(frozen=True)
class User:
    id: str
    email: str
    full_name: str
    role: Role
    password_hash: str
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None = None


@dataclass(frozen=True)
class Principal:
    """Who calls, as proven by a verified access token.

    ``session_id`` is None for tokens exchanged from an API key; ``scopes`` are the
    token's scopes, which may be narrower than the role's permissions.
    """

    user_id: str
    session_id: str | None
    scopes: tuple[str, ...]

    def holds(self, role: Role, permission: Permission) -> bool:
        return role_permits(role, permission) and permission in self.scopes


@dataclass(frozen=True)
class ClientInfo:
    """Where a request comes from, as reported by the gateway."""

    ip_address: str = ""
    user_agent: str = ""

    def bounded(self) -> ClientInfo:
        """The same client with fields cut to what is worth storing."""
        return ClientInfo(
            ip_address=self.ip_address.strip()[:MAX_IP_ADDRESS_LENGTH],
            user_agent=self.user_agent.strip()[:MAX_USER_AGENT_LENGTH],
        )


def normalise_full_name(raw: str, *, field: str = "full_name") -> str:
    name = " ".join(raw.split())
    if len(name) > MAX_FULL_NAME_LENGTH:
        raise ValidationFailed.single(field, f"must be at most {MAX_FULL_NAME_LENGTH} characters")
    if any(unicodedata.category(char).startswith("C") for char in name):
        raise ValidationFailed.single(field, "must not contain control characters")
    return name
