"""Valuing a portfolio now (latest quotes) or at the close of a past date."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from uuid import UUID

from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger_cache import read_ledger
from eqr_portfolio.app.ports import ClosesQuery, MarketData
from eqr_portfolio.domain.access import AccessRole, require_read
from eqr_portfolio.domain.book import Book, replay
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.transactions import Portfolio
from eqr_portfolio.domain.valuation import Instrument, Quote, Valuation, value_book

CLOSE_LOOKBACK_DAYS = 10
"""Calendar days searched back for a close: covers weekends and the longest market holidays."""


@dataclass(frozen=True)
class PortfolioValuation:
    portfolio: Portfolio
    role: AccessRole
    book: Book
    valuation: Valuation
    quotes: dict[str, Quote]
    as_of: date | None
    valued_at: datetime


async def quotes_now(market_data: MarketData, symbols: list[str]) -> dict[str, Quote]:
    quotes = await market_data.quotes(symbols)
    return {s: Quote(q.price, q.previous_close) for s, q in quotes.items()}


async def _closes_at(market_data: MarketData, symbols: list[str], day: date) -> dict[str, Quote]:
    """Each symbol's close on ``day`` (or the last trading day before it) and the close before."""
    first = day - timedelta(days=CLOSE_LOOKBACK_DAYS)
    found = await market_data.close_series([ClosesQuery(s, first, day, adjusted=False) for s in symbols])
    quotes = {}
    for symbol, series in zip(symbols, found, strict=True):
        closes = series.closes[series.ordinals <= day.toordinal()].tolist()
        if closes:
            quotes[symbol] = Quote(
                _quoted(closes[-1]), _quoted(closes[-2] if len(closes) > 1 else closes[-1])
            )
    return quotes


def _quoted(close: float) -> Decimal:
    """The price the source quoted: the shortest decimal that round-trips to the close."""
    return Decimal(str(close))


async def instruments(market_data: MarketData, symbols: list[str]) -> dict[str, Instrument]:
    facts = await market_data.instruments(symbols)
    return {s: Instrument(f.name, f.sector, f.industry) for s, f in facts.items()}


async def value_portfolio(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, *, as_of: date | None = None
) -> PortfolioValuation:
    now = deps.clock.now()
    if as_of is not None and as_of > now.date():
        raise ValidationFailed.single("as_of", "must not be in the future")
    async with deps.unit_of_work() as uow:
        portfolio, role = await load_portfolio(uow, caller, portfolio_id, require_read)
        ledger = await read_ledger(deps.ledgers, uow, portfolio)
    if as_of is None:
        book = ledger.book(portfolio.policy)
    else:
        book = replay(ledger.transactions, portfolio.policy, through=as_of)
    symbols = sorted(book.positions)
    prices, facts = await asyncio.gather(
        quotes_now(deps.market_data, symbols)
        if as_of is None
        else _closes_at(deps.market_data, symbols, as_of),
        instruments(deps.market_data, symbols),
    )
    valuation = value_book(book, prices, facts, today=as_of or now.date())
    return PortfolioValuation(portfolio, role, book, valuation, prices, as_of, now)
