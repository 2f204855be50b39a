"""Sessions and their refresh-token families.

A session is created by a password login and lives as long as its refresh tokens keep
being rotated. Each refresh returns a new token and marks the old one rotated; a rotated
token presented again means it leaked, so the whole session is revoked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RevocationReason(StrEnum):
    LOGOUT = "logout"
    REVOKED = "revoked"
    REUSE_DETECTED = "reuse_detected"
    PASSWORD_RESET = "password_reset"
    DEACTIVATED = "deactivated"
    ROLE_CHANGED = "role_changed"


@dataclass(frozen=True)
class Session:
    id: str
    user_id: str
    user_agent: str
    ip_address: str
    created_at: datetime
    last_used_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    revocation_reason: RevocationReason | None = None

    def is_live(self, now: datetime) -> bool:
        return self.revoked_at is None and now < self.expires_at


@dataclass(frozen=True)
class RefreshToken:
    """One member of a session's token family, known only by the SHA-256 of its secret."""

    token_hash: str
    session_id: str
    user_id: str
    issued_at: datetime
    expires_at: datetime
    rotated_at: datetime | None = None


@dataclass(frozen=True)
class SessionView:
    """A live session as its owner sees it; ``current`` marks the caller's own."""

    session: Session
    current: bool
