"""The ledger cache against real PostgreSQL: every kind of ledger write, made by this process or by
another one (a second replica with a cache of its own), is seen by the very next valuation; with
no write in between, the kept book is served again."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import UUID, uuid4

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from eqr_portfolio.adapters.clock import SystemClock
from eqr_portfolio.adapters.db.unit_of_work import SqlUnitOfWork
from eqr_portfolio.app import ledger
from eqr_portfolio.app.caller import Caller
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.holdings import HoldingChange, set_holding
from eqr_portfolio.app.ports import CloseSeries, ClosesQuery, InstrumentFacts, MarketQuote
from eqr_portfolio.app.valuation import value_portfolio
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.transactions import LedgerPolicy, Portfolio, TransactionKind

D = Decimal
SYMBOL = "CACHE"
DAY = date(2025, 3, 3)


class OnePrice:
    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]:
        at = datetime.now(UTC)
        return {s: MarketQuote(s, D(100), D(99), at, False) for s in symbols}

    async def instruments(self, symbols: Collection[str]) -> dict[str, InstrumentFacts]:
        return {}

    async def close_series(self, queries: Sequence[ClosesQuery]) -> list[CloseSeries]:
        return [CloseSeries(np.zeros(0, np.int64), np.zeros(0)) for _ in queries]


def _replica(sessions: async_sessionmaker[AsyncSession]) -> Dependencies:
    """A service process of its own: its own ledger cache over the shared database."""
    return Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(sessions),
        clock=SystemClock(),
        market_data=OnePrice(),
        directory=None,  # type: ignore[arg-type]
        options=None,  # type: ignore[arg-type]
        limits=Limits(),
    )


async def _held(deps: Dependencies, owner: UUID, portfolio_id: UUID) -> tuple[Decimal, Decimal]:
    """The quantity held and the cash, from a valuation."""
    valued = await value_portfolio(deps, Caller(owner), portfolio_id)
    position = valued.book.positions.get(SYMBOL)
    return (position.quantity if position else D(0)), valued.book.cash


async def _version(sessions: async_sessionmaker[AsyncSession], portfolio_id: UUID) -> int:
    async with SqlUnitOfWork(sessions) as uow:
        portfolio = await uow.portfolios.get(portfolio_id)
    assert portfolio is not None
    return portfolio.ledger_version


async def test_every_ledger_write_is_seen_by_the_next_valuation_of_every_replica(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    one, other = _replica(sessions), _replica(sessions)
    owner, now = uuid4(), datetime.now(UTC)
    portfolio = Portfolio(uuid4(), owner, "Cached", "", "USD", None, LedgerPolicy(), now, now)
    async with SqlUnitOfWork(sessions) as uow:
        await uow.portfolios.add(portfolio)
        await uow.commit()
    caller, pid = Caller(owner), portfolio.id
    deposit = TransactionDraft(TransactionKind.DEPOSIT, DAY, amount=D(10_000))
    buy = TransactionDraft(TransactionKind.BUY, DAY, SYMBOL, quantity=D(10), price=D(100))
    await ledger.record_transactions(one, caller, pid, [deposit, buy])
    assert await _held(one, owner, pid) == await _held(other, owner, pid) == (D(10), D(9000))

    # No write: the same book, not a replay of a ledger read again.
    first = await value_portfolio(one, caller, pid)
    assert (await value_portfolio(one, caller, pid)).book is first.book

    version = await _version(sessions, pid)
    [more] = await ledger.record_transactions(
        one, caller, pid, [TransactionDraft(TransactionKind.BUY, DAY, SYMBOL, quantity=D(5), price=D(100))]
    )
    assert await _version(sessions, pid) == version + 1
    assert await _held(other, owner, pid) == (D(15), D(8500))
    assert await _held(one, owner, pid) == (D(15), D(8500))

    corrected = TransactionDraft(TransactionKind.BUY, DAY, SYMBOL, quantity=D(7), price=D(100))
    await ledger.update_transaction(other, caller, pid, more.id, corrected)
    assert await _held(one, owner, pid) == (D(17), D(8300))

    await ledger.delete_transaction(one, caller, pid, more.id)
    assert await _held(other, owner, pid) == (D(10), D(9000))

    await ledger.restore_transaction(other, caller, pid, more.id)
    assert await _held(one, owner, pid) == (D(17), D(8300))

    await set_holding(one, caller, pid, HoldingChange(SYMBOL, D(3), D(110), DAY))
    assert await _held(other, owner, pid) == (D(3), D(8300 + 14 * 110))
    assert await _version(sessions, pid) == version + 5
