"""Valuing a book at quotes: holdings, totals and allocation by sector and industry.

- **Money** stays ``Decimal`` and is never rounded here. **Fractions** (returns and weights) are
  Decimal quotients at the context's precision (28 significant digits), not percentages:
  ``0.05`` is 5 %. Rounding for display belongs to the API layer. A fraction whose base is zero
  is ``None``; returns are taken over the absolute base, so a short that gains reads positive.
- **Cash** is a holding of its own (``symbol`` is ``None``) valued at face, with no P&L.
- **Unpriced** holdings (no quote for the symbol) are valued at their cost basis, with zero
  unrealised P&L and day change, ``priced=False``, and are listed in ``Valuation.unpriced``.
- **Day change** is the price move on what is held now: ``quantity x (price - previous close)``
  for lots opened before ``today`` and ``quantity x price - cost`` for lots opened on it (their
  cost stands in for the previous close). Under average cost a position has one pooled lot, so
  shares added today to an older pool count from the previous close. Shares sold today are in
  realised P&L, not in the day change.
- **Weights** are market value over the total market value including cash, so they sum to 1
  (to the last digit of the quotients) and a short weighs negative. When the total is zero or
  negative there is no meaningful weight and every weight is ``None``.
- **Allocation** buckets holdings by the instrument's sector and industry; a symbol without a
  classification falls in ``UNCLASSIFIED``, cash in ``CASH``.
- **Option contracts** are worth quantity x premium x 100 (``option_contracts``) and carry
  their position Greeks as the options service reports them. A share's Greeks are its dollar
  delta (its market value) and nothing else; the portfolio's are the sum over its priced
  holdings, so the dollar delta nets options against the shares they hedge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from eqr_portfolio.domain.book import Book, Position
from eqr_portfolio.domain.option_contracts import OptionContract, option_contract

CASH = "Cash"
UNCLASSIFIED = "Unclassified"

_ZERO = Decimal(0)


@dataclass(frozen=True)
class Quote:
    price: Decimal
    previous_close: Decimal
    source: str = ""
    """Where an option's premium came from (``chain_mid``, ``model``, ``intrinsic``); empty for shares."""


@dataclass(frozen=True)
class PositionGreeks:
    """Sensitivities of a position in currency: dollar delta (P&L per 1.00 move of the
    underlying, times its price), dollar gamma (the gamma P&L of a 1% move), vega per vol
    point and theta per calendar day. Analytics figures, so floats."""

    dollar_delta: float = 0.0
    dollar_gamma: float = 0.0
    vega_per_point: float = 0.0
    theta_per_day: float = 0.0

    def __add__(self, other: PositionGreeks) -> PositionGreeks:
        return PositionGreeks(
            self.dollar_delta + other.dollar_delta,
            self.dollar_gamma + other.dollar_gamma,
            self.vega_per_point + other.vega_per_point,
            self.theta_per_day + other.theta_per_day,
        )


@dataclass(frozen=True)
class Instrument:
    name: str
    sector: str
    industry: str


@dataclass(frozen=True)
class HoldingValue:
    """One line of the holdings table; the cash line has ``symbol=None`` and a price of 1."""

    symbol: str | None
    name: str
    sector: str
    industry: str
    quantity: Decimal
    price: Decimal | None
    """``None`` when unpriced."""
    priced: bool
    market_value: Decimal
    cost_basis: Decimal
    unrealised_pnl: Decimal
    unrealised_fraction: Decimal | None
    day_change: Decimal
    day_change_fraction: Decimal | None
    weight: Decimal | None
    greeks: PositionGreeks | None = None
    """``None`` for cash and unpriced holdings."""

    @property
    def contract(self) -> OptionContract | None:
        return option_contract(self.symbol) if self.symbol else None

    @property
    def is_cash(self) -> bool:
        return self.symbol is None


@dataclass(frozen=True)
class Totals:
    """The portfolio as a whole. ``invested_cost`` is the cost basis of the open positions;
    ``income`` is dividends plus interest, since inception."""

    market_value: Decimal
    invested_cost: Decimal
    unrealised_pnl: Decimal
    realised_pnl: Decimal
    income: Decimal
    day_change: Decimal
    day_change_fraction: Decimal | None
    greeks: PositionGreeks = PositionGreeks()


@dataclass(frozen=True)
class AllocationSlice:
    bucket: str
    market_value: Decimal
    weight: Decimal | None


@dataclass(frozen=True)
class Valuation:
    """Holdings by symbol with the cash line last; allocations largest first."""

    holdings: tuple[HoldingValue, ...]
    totals: Totals
    by_sector: tuple[AllocationSlice, ...]
    by_industry: tuple[AllocationSlice, ...]
    unpriced: tuple[str, ...]


def value_book(
    book: Book,
    quotes: Mapping[str, Quote],
    instruments: Mapping[str, Instrument],
    *,
    today: date,
    option_greeks: Mapping[str, PositionGreeks] | None = None,
) -> Valuation:
    """Value ``book`` at ``quotes``; ``today`` is the day the quotes belong to.
    ``option_greeks`` holds the position Greeks of the option contracts, by symbol."""
    positions = sorted(book.positions.items())
    values = [_market_value(position, quotes.get(symbol)) for symbol, position in positions]
    market_value = sum((*values, book.cash), _ZERO)  # first, so that each line is built with its weight
    lines = [
        _value_position(position, quotes.get(symbol), instruments.get(symbol), today, value, market_value)
        for (symbol, position), value in zip(positions, values, strict=True)
    ]
    lines = [_with_greeks(line, (option_greeks or {}).get(line.holding.symbol or "")) for line in lines]
    lines.append(_Line(_cash_holding(book.cash, market_value), start_value=book.cash))
    start_value = sum((line.start_value for line in lines), _ZERO)
    day_change = sum((line.holding.day_change for line in lines), _ZERO)
    holdings = tuple(line.holding for line in lines)
    securities = holdings[:-1]
    totals = Totals(
        market_value=market_value,
        invested_cost=sum((h.cost_basis for h in securities), _ZERO),
        unrealised_pnl=sum((h.unrealised_pnl for h in securities), _ZERO),
        realised_pnl=book.realised_pnl,
        income=book.income,
        day_change=day_change,
        day_change_fraction=_fraction(day_change, start_value),
        greeks=sum((h.greeks for h in securities if h.greeks is not None), PositionGreeks()),
    )
    return Valuation(
        holdings=holdings,
        totals=totals,
        by_sector=_allocation(((h.sector, h.market_value) for h in holdings), market_value),
        by_industry=_allocation(((h.industry, h.market_value) for h in holdings), market_value),
        unpriced=tuple(h.symbol for h in securities if not h.priced and h.symbol is not None),
    )


@dataclass(frozen=True)
class _Line:
    holding: HoldingValue
    start_value: Decimal
    """What the holding was worth at the previous close (its cost for lots opened today)."""


def _market_value(position: Position, quote: Quote | None) -> Decimal:
    """At the quote; an unpriced position at its cost."""
    return position.cost_basis if quote is None else position.quantity * position.multiplier * quote.price


def _value_position(
    position: Position,
    quote: Quote | None,
    instrument: Instrument | None,
    today: date,
    market_value: Decimal,
    total: Decimal,
) -> _Line:
    symbol = position.symbol
    cost = position.cost_basis
    if quote is None:
        start_value = cost
    else:
        previous = position.multiplier * quote.previous_close
        start_value = sum(
            (lot.cost if lot.opened_on >= today else lot.quantity * previous for lot in position.lots),
            _ZERO,
        )
    unrealised = market_value - cost
    day_change = market_value - start_value
    holding = HoldingValue(
        symbol=symbol,
        name=instrument.name if instrument and instrument.name else symbol,
        sector=instrument.sector if instrument and instrument.sector else UNCLASSIFIED,
        industry=instrument.industry if instrument and instrument.industry else UNCLASSIFIED,
        quantity=position.quantity,
        price=quote.price if quote else None,
        priced=quote is not None,
        market_value=market_value,
        cost_basis=cost,
        unrealised_pnl=unrealised,
        unrealised_fraction=_fraction(unrealised, cost),
        day_change=day_change,
        day_change_fraction=_fraction(day_change, start_value),
        weight=_weight(market_value, total),
    )
    return _Line(holding, start_value)


def _with_greeks(line: _Line, option_greeks: PositionGreeks | None) -> _Line:
    """A priced share's dollar delta, or a priced option's Greeks as given."""
    holding = line.holding
    if not holding.priced or holding.symbol is None:
        return line
    if holding.contract is None:
        greeks: PositionGreeks | None = PositionGreeks(dollar_delta=float(holding.market_value))
    else:
        greeks = option_greeks
    return _Line(replace(holding, greeks=greeks), line.start_value)


def _cash_holding(cash: Decimal, total: Decimal) -> HoldingValue:
    return HoldingValue(
        symbol=None,
        name=CASH,
        sector=CASH,
        industry=CASH,
        quantity=cash,
        price=Decimal(1),
        priced=True,
        market_value=cash,
        cost_basis=cash,
        unrealised_pnl=_ZERO,
        unrealised_fraction=_fraction(_ZERO, cash),
        day_change=_ZERO,
        day_change_fraction=_fraction(_ZERO, cash),
        weight=_weight(cash, total),
    )


def _allocation(values: Iterable[tuple[str, Decimal]], total: Decimal) -> tuple[AllocationSlice, ...]:
    buckets: dict[str, Decimal] = {}
    for bucket, value in values:
        buckets[bucket] = buckets.get(bucket, _ZERO) + value
    slices = (AllocationSlice(bucket, value, _weight(value, total)) for bucket, value in buckets.items())
    return tuple(sorted(slices, key=lambda s: (-s.market_value, s.bucket)))


def _weight(value: Decimal, total: Decimal) -> Decimal | None:
    return value / total if total > 0 else None


def _fraction(change: Decimal, base: Decimal) -> Decimal | None:
    return change / abs(base) if base else None
