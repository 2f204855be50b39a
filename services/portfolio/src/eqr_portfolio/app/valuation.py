"""Valuing a portfolio now (latest quotes) or at the close of a past date."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from uuid import UUID

from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger_cache import read_ledger
from eqr_portfolio.app.ports import ClosesQuery, MarketData, OptionMark, OptionPricing
from eqr_portfolio.domain.access import AccessRole, require_read
from eqr_portfolio.domain.book import Book, replay
from eqr_portfolio.domain.dates import check_dates, days_before
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.option_contracts import OptionContract, option_contract
from eqr_portfolio.domain.transactions import Portfolio
from eqr_portfolio.domain.valuation import Instrument, PositionGreeks, Quote, Valuation, value_book

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


async def closes_at(market_data: MarketData, symbols: list[str], day: date) -> dict[str, Quote]:
    """Each symbol's close on ``day`` (or the last trading day before it) and the close before."""
    first = days_before(day, CLOSE_LOOKBACK_DAYS)
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
    check_dates(as_of=as_of)
    if as_of is not None and as_of > now.date():
        raise ValidationFailed.single("as_of", "must not be in the future")
    async with deps.unit_of_work() as uow:
        portfolio, role = await load_portfolio(uow, caller, portfolio_id, require_read)
        ledger = await read_ledger(deps.ledgers, uow, portfolio)
    if as_of is None:
        book = ledger.book(portfolio.policy)
    else:
        book = replay(ledger.transactions, portfolio.policy, through=as_of)
    contracts = held_contracts(book)
    shares = sorted(set(book.positions) - {c.symbol for c in contracts})
    prices, facts, marks = await asyncio.gather(
        quotes_now(deps.market_data, shares) if as_of is None else closes_at(deps.market_data, shares, as_of),
        instruments(deps.market_data, sorted({*shares, *(c.underlying for c in contracts)})),
        _marks(deps.options, contracts, as_of),
    )
    prices |= option_quotes(marks)
    valuation = value_book(
        book,
        prices,
        facts | option_instruments(contracts, facts),
        today=as_of or now.date(),
        option_greeks=option_greeks(marks),
    )
    return PortfolioValuation(portfolio, role, book, valuation, prices, as_of, now)


async def _marks(
    options: OptionPricing, contracts: Mapping[OptionContract, Decimal], as_of: date | None
) -> dict[OptionContract, OptionMark]:
    """No call at all for a book of shares only."""
    return await options.marks(contracts, as_of) if contracts else {}


def held_contracts(book: Book) -> dict[OptionContract, Decimal]:
    """The option contracts among the book's positions, with the contracts held."""
    held = {}
    for symbol, position in book.positions.items():
        contract = option_contract(symbol)
        if contract is not None:
            held[contract] = position.quantity
    return held


def option_quotes(marks: Mapping[OptionContract, OptionMark]) -> dict[str, Quote]:
    return {c.symbol: Quote(m.price, m.previous_price, m.source) for c, m in marks.items()}


def option_greeks(marks: Mapping[OptionContract, OptionMark]) -> dict[str, PositionGreeks]:
    return {c.symbol: m.greeks for c, m in marks.items()}


def option_instruments(
    contracts: Iterable[OptionContract], underlyings: Mapping[str, Instrument]
) -> dict[str, Instrument]:
    """A contract is named for people and classified as its underlying."""
    found = {}
    for contract in contracts:
        underlying = underlyings.get(contract.underlying)
        sector, industry = (underlying.sector, underlying.industry) if underlying else ("", "")
        found[contract.symbol] = Instrument(contract.describe(), sector, industry)
    return found
