"""The realised-gains report: every lot the ledger closed, how long it was held, and the totals.

The rules, so that every figure can be checked against the book:

- **The lots are the book's closed lots**, in ledger order (closing date, then the closing
  trade's ``sequence``, then the order the trade closed them in). Under FIFO a sale closes the
  oldest lots first and each closure is one lot. Under **average cost** lots are not
  identified: each sale closes one "lot", the shares sold at the pool's average cost, opened
  on the day the position last opened from flat (so its holding period, and whether it is
  long-term, are measured from that day).
- **Amounts** are the book's: ``cost`` and ``proceeds`` include the commissions (``commission``
  is the lot's share of its opening and closing trades' commissions), an option contract's
  amounts are already times its 100-share multiplier, and a covered short reports the short
  sale as ``proceeds`` and the cover as ``cost`` (``quantity`` negative).
- **Holding period** is the calendar days from ``opened_on`` to ``closed_on``. A lot is
  **long-term** when it was held for more than a year: closed after the first anniversary of
  the day it was opened (a lot opened on 29 February has its anniversary on 28 February).
  A covered short is never long-term: what closing a short sale gains is a short-term gain,
  however long the short was open. Wash sales are not modelled.
- **Totals** cover every lot the filters match, per symbol (closed-out symbols included, with
  ``held`` false) and for the portfolio. Without filters the portfolio's realised P&L is the
  book's, the figure valuations report, to the last digit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from eqr_portfolio.domain.book import Book, ClosedLot
from eqr_portfolio.domain.option_contracts import contract_size

_ZERO = Decimal(0)


def first_anniversary(day: date) -> date:
    """``day`` a year later; 28 February for 29 February."""
    if day.month == 2 and day.day == 29:
        return date(day.year + 1, 2, 28)
    return day.replace(year=day.year + 1)


def is_long_term(opened_on: date, closed_on: date) -> bool:
    """Held for more than a year: closed after the first anniversary of opening."""
    return closed_on > first_anniversary(opened_on)


LotPosition = tuple[date, int, int]
"""A closed lot's place in ledger order: closing date, closing trade's sequence, part of that trade."""


@dataclass(frozen=True)
class RealisedLot:
    lot: ClosedLot
    position: LotPosition

    @property
    def holding_days(self) -> int:
        return (self.lot.closed_on - self.lot.opened_on).days

    @property
    def long_term(self) -> bool:
        return self.lot.quantity > 0 and is_long_term(self.lot.opened_on, self.lot.closed_on)

    @property
    def multiplier(self) -> Decimal:
        """Shares per unit of quantity: 100 for an option contract, else 1."""
        return contract_size(self.lot.symbol)


@dataclass(frozen=True)
class RealisedTotals:
    lots: int
    cost: Decimal
    proceeds: Decimal
    commission: Decimal
    short_term_pnl: Decimal
    long_term_pnl: Decimal

    @property
    def realised_pnl(self) -> Decimal:
        return self.short_term_pnl + self.long_term_pnl


@dataclass(frozen=True)
class SymbolRealised:
    symbol: str
    held: bool
    """The symbol is still an open position (whose ``realised_pnl`` covers every lot, unfiltered)."""
    totals: RealisedTotals


@dataclass(frozen=True)
class RealisedReport:
    lots: tuple[RealisedLot, ...]
    """Every lot the filters match, in ledger order."""
    by_symbol: tuple[SymbolRealised, ...]
    """By symbol, alphabetically; only symbols with a matching lot."""
    totals: RealisedTotals


def positioned(closed: Iterable[ClosedLot]) -> list[RealisedLot]:
    """The book's closed lots (in ledger order) with their places in it."""
    placed = []
    previous: tuple[date, int] | None = None
    part = 0
    for lot in closed:
        trade = (lot.closed_on, lot.sequence)
        part = part + 1 if trade == previous else 0
        previous = trade
        placed.append(RealisedLot(lot, (lot.closed_on, lot.sequence, part)))
    return placed


def total(lots: Iterable[RealisedLot]) -> RealisedTotals:
    count = 0
    cost = proceeds = commission = short_term = long_term = _ZERO
    for realised in lots:
        lot = realised.lot
        count += 1
        cost += lot.cost
        proceeds += lot.proceeds
        commission += lot.commission
        if realised.long_term:
            long_term += lot.realised_pnl
        else:
            short_term += lot.realised_pnl
    return RealisedTotals(count, cost, proceeds, commission, short_term, long_term)


def realised_report(
    book: Book,
    *,
    first_day: date | None = None,
    last_day: date | None = None,
    symbol: str | None = None,
) -> RealisedReport:
    """The lots closed between ``first_day`` and ``last_day`` (closing dates, both inclusive,
    either open-ended) on ``symbol`` (every symbol when ``None``), and their totals."""
    lots = tuple(
        realised
        for realised in positioned(book.closed_lots)
        if (first_day is None or realised.lot.closed_on >= first_day)
        and (last_day is None or realised.lot.closed_on <= last_day)
        and (symbol is None or realised.lot.symbol == symbol)
    )
    grouped: dict[str, list[RealisedLot]] = {}
    for realised in lots:
        grouped.setdefault(realised.lot.symbol, []).append(realised)
    by_symbol = tuple(
        SymbolRealised(name, name in book.positions, total(grouped[name])) for name in sorted(grouped)
    )
    return RealisedReport(lots, by_symbol, total(lots))
