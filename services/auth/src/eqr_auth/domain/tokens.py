"""Access tokens and the ring of keys that signs them.

The newest unretired key signs. A retired key stays published for verification until
every token it signed has expired: ``retired_at`` plus the longest token lifetime.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from eqr_auth.domain.roles import Role


@dataclass(frozen=True)
class SigningKey:
    key_id: str
    private_key_pem: str
    created_at: datetime
    retired_at: datetime | None = None


def active_signing_key(keys: Iterable[SigningKey]) -> SigningKey | None:
    candidates = [key for key in keys if key.retired_at is None]
    return max(candidates, key=lambda key: (key.created_at, key.key_id)) if candidates else None


def verification_keys(
    keys: Iterable[SigningKey], *, now: datetime, token_lifetime: timedelta
) -> list[SigningKey]:
    """Every key that may still have signed an unexpired token, oldest first."""
    live = [key for key in keys if key.retired_at is None or now < key.retired_at + token_lifetime]
    return sorted(live, key=lambda key: (key.created_at, key.key_id))


@dataclass(frozen=True)
class AccessTokenClaims:
    subject: str
    role: Role
    session_id: str | None
    scopes: tuple[str, ...]
    issued_at: datetime
    expires_at: datetime
    token_id: str


@dataclass(frozen=True)
class AccessToken:
    token: str
    expires_in: int


@dataclass(frozen=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_in: int
    refresh_expires_in: int
    token_type: str = "Bearer"
