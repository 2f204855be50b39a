"""The options unit of work: the saved-strategy repository on one session, one commit."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eqr_options.adapters.db.strategies import SqlStrategyRepository
from eqr_options.adapters.db.tables import outbox
from eqr_platform.db import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    strategies: SqlStrategyRepository

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        super().__init__(sessions, outbox)

    def _open(self) -> None:
        self.strategies = SqlStrategyRepository(self.session)
