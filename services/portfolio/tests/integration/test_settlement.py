"""Settling expired option positions against real PostgreSQL: exercise into shares, assignment,
lapse, the cash fallback when shares cannot be delivered, and two replicas settling at once.

The underlying closed at 200 on the expiry day, Friday 2026-11-20.
"""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from uuid import uuid4

import numpy as np
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from eqr_portfolio.adapters.db.unit_of_work import SqlUnitOfWork
from eqr_portfolio.app import ledger
from eqr_portfolio.app.caller import SYSTEM, Caller
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.ports import CloseSeries, ClosesQuery, InstrumentFacts, MarketQuote
from eqr_portfolio.app.settlement import Settled, settle_expired
from eqr_portfolio.domain.book import Book, replay
from eqr_portfolio.domain.drafts import TransactionDraft
from eqr_portfolio.domain.transactions import CashMode, LedgerPolicy, Portfolio, TransactionKind

EXPIRY = date(2026, 11, 20)
TODAY = datetime(2026, 11, 23, 15, tzinfo=UTC)
CALL_190 = "XYZ261120C00190000"
CALL_210 = "XYZ261120C00210000"
PUT_210 = "XYZ261120P00210000"
PUT_300 = "XYZ261120P00300000"
K = TransactionKind


class ClosedAt200:
    """XYZ closed at 195 on Thursday and 200 on the expiry day."""

    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]:
        return {}

    async def instruments(self, symbols: Collection[str]) -> dict[str, InstrumentFacts]:
        return {}

    async def close_series(self, queries: Sequence[ClosesQuery]) -> list[CloseSeries]:
        days = np.array([date(2026, 11, 19).toordinal(), EXPIRY.toordinal()], np.int64)
        return [CloseSeries(days, np.array([195.0, 200.0])) for _ in queries]


class Monday:
    def now(self) -> datetime:
        return TODAY


def _deps(sessions: async_sessionmaker[AsyncSession]) -> Dependencies:
    return Dependencies(
        unit_of_work=lambda: SqlUnitOfWork(sessions),
        clock=Monday(),
        market_data=ClosedAt200(),
        directory=None,  # type: ignore[arg-type]
        options=None,  # type: ignore[arg-type]
        limits=Limits(),
    )


async def _portfolio(sessions: async_sessionmaker[AsyncSession], policy: LedgerPolicy) -> Portfolio:
    now = datetime.now(UTC)
    portfolio = Portfolio(uuid4(), uuid4(), "Options", "", "USD", None, policy, now, now)
    async with SqlUnitOfWork(sessions) as uow:
        await uow.portfolios.add(portfolio)
        await uow.commit()
    return portfolio


def _trade(kind: TransactionKind, symbol: str, quantity: int, price: str) -> TransactionDraft:
    return TransactionDraft(
        kind, date(2026, 11, 16), symbol, quantity=Decimal(quantity), price=Decimal(price)
    )


async def _book(deps: Dependencies, portfolio: Portfolio) -> tuple[Book, list[str]]:
    async with deps.unit_of_work() as uow:
        entries = await uow.transactions.ledger(portfolio.id)
    return replay(entries, portfolio.policy), [e.notes for e in entries if e.created_by == SYSTEM.user_id]


async def test_in_the_money_contracts_deliver_shares_and_out_of_the_money_ones_lapse(
    engine: AsyncEngine,
) -> None:
    deps = _deps(async_sessionmaker(engine, expire_on_commit=False))
    portfolio = await _portfolio(async_sessionmaker(engine), LedgerPolicy(allow_short=True))
    await ledger.record_transactions(
        deps,
        Caller(portfolio.owner_id),
        portfolio.id,
        [
            TransactionDraft(K.DEPOSIT, date(2026, 11, 16), amount=Decimal(100_000)),
            _trade(K.BUY, CALL_190, 2, "6.50"),  # exercised: buys 200 XYZ at 190
            _trade(K.SELL, PUT_210, 1, "9.00"),  # assigned: buys 100 XYZ at 210
            _trade(K.BUY, CALL_210, 3, "1.20"),  # lapses
        ],
    )

    assert await settle_expired(deps, portfolio.id) == Settled(3, 0)
    book, notes = await _book(deps, portfolio)

    assert set(book.positions) == {"XYZ"}
    shares = book.positions["XYZ"]
    assert shares.quantity == 300
    assert shares.cost_basis == 200 * Decimal(190) + 100 * Decimal(210)
    # premiums: -1,300 paid for the calls at 190, +900 kept on the put, -360 lost on the calls at 210
    assert book.realised_pnl == Decimal(-1300) + Decimal(900) + Decimal(-360)
    assert book.cash == Decimal(100_000) - 1300 + 900 - 360 - 38_000 - 21_000
    assert any("expired worthless" in n for n in notes)
    assert await settle_expired(deps, portfolio.id) == Settled(0, 0)  # nothing left to settle


async def test_a_put_without_the_shares_to_deliver_is_settled_in_cash(engine: AsyncEngine) -> None:
    deps = _deps(async_sessionmaker(engine, expire_on_commit=False))
    portfolio = await _portfolio(async_sessionmaker(engine), LedgerPolicy())  # no shorting
    await ledger.record_transactions(
        deps, Caller(portfolio.owner_id), portfolio.id, [_trade(K.BUY, PUT_210, 1, "9.00")]
    )

    await settle_expired(deps, portfolio.id)
    book, notes = await _book(deps, portfolio)

    assert book.positions == {}
    assert book.realised_pnl == Decimal(1000) - Decimal(900)  # intrinsic 10 a share, paid 9
    assert notes == ["exercised, settled in cash (underlying closed at 200)"]


async def test_two_replicas_settling_at_once_write_the_settlement_once(engine: AsyncEngine) -> None:
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    one, other = _deps(sessions), _deps(sessions)
    portfolio = await _portfolio(sessions, LedgerPolicy())
    await ledger.record_transactions(
        one, Caller(portfolio.owner_id), portfolio.id, [_trade(K.BUY, CALL_190, 1, "6.50")]
    )

    settled = await asyncio.gather(settle_expired(one, portfolio.id), settle_expired(other, portfolio.id))

    assert sorted(s.settled for s in settled) == [0, 1]
    book, notes = await _book(one, portfolio)
    assert book.positions["XYZ"].quantity == 100
    assert len(notes) == 2  # the option closed and the shares bought, once


async def test_a_contract_the_ledger_cannot_settle_stays_open_and_the_others_settle(
    engine: AsyncEngine,
) -> None:
    deps = _deps(async_sessionmaker(engine, expire_on_commit=False))
    portfolio = await _portfolio(async_sessionmaker(engine), LedgerPolicy(cash_mode=CashMode.STRICT))
    await ledger.record_transactions(
        deps,
        Caller(portfolio.owner_id),
        portfolio.id,
        [
            TransactionDraft(K.DEPOSIT, date(2026, 11, 16), amount=Decimal(1_000)),
            _trade(K.SELL, PUT_300, 1, "2.00"),  # assigned 100 shares at 300, or 10,000 in cash
            _trade(K.BUY, CALL_210, 1, "1.00"),  # lapses
        ],
    )

    assert await settle_expired(deps, portfolio.id) == Settled(1, 1)
    book, notes = await _book(deps, portfolio)

    assert set(book.positions) == {PUT_300}
    assert book.cash == Decimal(1_000) + 200 - 100
    assert len(notes) == 1
