"""Which portfolios have traded which symbols: where live valuation starts after a restart."""

from __future__ import annotations

from uuid import UUID

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from eqr_portfolio.adapters.db.tables import portfolios, transactions


class SqlLedgerIndex:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def traded_symbols(self) -> list[tuple[UUID, str]]:
        """A superset of the open positions (closed ones too); replaying each book narrows it."""
        query = (
            select(transactions.c.portfolio_id, transactions.c.symbol)
            .distinct()
            .join(portfolios, portfolios.c.id == transactions.c.portfolio_id)
            .where(
                transactions.c.symbol.is_not(None),
                transactions.c.deleted_at.is_(None),
                portfolios.c.deleted_at.is_(None),
            )
        )
        async with self._sessions() as session:
            rows = (await session.execute(query)).all()
        return [(row.portfolio_id, row.symbol) for row in rows]
