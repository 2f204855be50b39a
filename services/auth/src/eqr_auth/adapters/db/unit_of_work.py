"""The auth unit of work: every repository on one session, events into the outbox."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eqr_auth.adapters.db.repositories import (
    SqlApiKeyRepository,
    SqlLoginAttemptRepository,
    SqlPasswordResetTokenRepository,
    SqlPreferencesRepository,
    SqlRefreshTokenRepository,
    SqlSessionRepository,
    SqlSigningKeyRepository,
    SqlUserRepository,
)
from eqr_auth.adapters.db.tables import outbox
from eqr_auth.adapters.events import to_message
from eqr_auth.domain.events import DomainEvent
from eqr_platform.db import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    users: SqlUserRepository
    sessions: SqlSessionRepository
    refresh_tokens: SqlRefreshTokenRepository
    reset_tokens: SqlPasswordResetTokenRepository
    api_keys: SqlApiKeyRepository
    login_attempts: SqlLoginAttemptRepository
    signing_keys: SqlSigningKeyRepository
    preferences: SqlPreferencesRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions, outbox)

    def _open(self) -> None:
        self.users = SqlUserRepository(self.session)
        self.sessions = SqlSessionRepository(self.session)
        self.refresh_tokens = SqlRefreshTokenRepository(self.session)
        self.reset_tokens = SqlPasswordResetTokenRepository(self.session)
        self.api_keys = SqlApiKeyRepository(self.session)
        self.login_attempts = SqlLoginAttemptRepository(self.session)
        self.signing_keys = SqlSigningKeyRepository(self.session)
        self.preferences = SqlPreferencesRepository(self.session)

    def record(self, event: DomainEvent) -> None:
        subject, message = to_message(event)
        self.publish(subject, message)
