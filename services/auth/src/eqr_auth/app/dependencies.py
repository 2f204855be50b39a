"""Everything a use case is given: its ports and the service's tunables."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import timedelta

from eqr_auth.app.ports import (
    Clock,
    MailSender,
    PasswordHasher,
    SecretGenerator,
    TokenSigner,
    UnitOfWorkFactory,
)
from eqr_auth.domain.lockout import LockoutPolicy
from eqr_auth.domain.roles import Role


def installed_time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() | {"UTC"})


@dataclass(frozen=True)
class AuthConfig:
    access_token_ttl: timedelta = timedelta(minutes=15)
    refresh_token_ttl: timedelta = timedelta(days=7)
    api_key_token_ttl: timedelta = timedelta(minutes=15)
    password_reset_ttl: timedelta = timedelta(minutes=30)
    lockout: LockoutPolicy = field(default_factory=LockoutPolicy)
    # ``{token}`` is replaced by the url-safe reset token.
    password_reset_url: str = "http://localhost:8000/reset-password?token={token}"
    registration_role: Role = Role.ANALYST
    default_page_size: int = 50
    max_page_size: int = 200
    time_zones: frozenset[str] = field(default_factory=installed_time_zones)

    @property
    def longest_access_token_ttl(self) -> timedelta:
        """How long a retired signing key must stay published."""
        return max(self.access_token_ttl, self.api_key_token_ttl)


@dataclass(frozen=True)
class Dependencies:
    unit_of_work: UnitOfWorkFactory
    clock: Clock
    secrets: SecretGenerator
    password_hasher: PasswordHasher
    token_signer: TokenSigner
    mail_sender: MailSender
    config: AuthConfig = field(default_factory=AuthConfig)
