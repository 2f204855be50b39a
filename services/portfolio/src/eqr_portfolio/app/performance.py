"""Performance and risk of a portfolio from its daily value series.

The series is rebuilt on every request from the ledger (kept in memory while its version
stands, ``ledger_cache``) and market-data's daily closes: the end-of-day quantities of every day
(one replay pass) times each symbol's close (the last earlier close on a day without one; before
a symbol's first close, the price it last traded at), plus cash, as float64 matrices of days by
symbols. Closes are raw (not split-adjusted), because the ledger's quantities change at a split
only when the split is recorded.

The days are inception and every trading day from it to the last close (``day_grid``: the days a
traded symbol or the benchmark closed; weekdays where none did, so a portfolio of cash has a value
every weekday to today), and the day of every ledger entry after the last close. An entry on a
day off before then counts from the next trading day.

Performance periods under a year are not annualised, the money-weighted return included: its
annual IRR becomes the period's own return (GIPS). A range's days are checked against the
history and named as the request names them (``start_date``, ``end_date``).

Option contracts have no stored daily closes: on past days a contract is worth its last traded
premium (so its P&L shows when it is closed or settled, as a cost-basis tracker would show it),
while the live valuation marks it to the chain. The series is a record of the ledger and the
share prices, not a model of option prices nobody quoted.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

import numpy as np
import numpy.typing as npt

from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.app.ledger_cache import read_ledger
from eqr_portfolio.app.ports import CloseSeries, ClosesQuery
from eqr_portfolio.domain import performance, risk
from eqr_portfolio.domain.access import require_read
from eqr_portfolio.domain.book import DayEnd, replay_daily
from eqr_portfolio.domain.contribution import ContributionReport, contribution_of_arrays
from eqr_portfolio.domain.dates import check_dates, days_before
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.option_contracts import contract_size
from eqr_portfolio.domain.performance import (
    BenchmarkComparison,
    CalendarReturn,
    FloatArray,
    Period,
    PeriodReturn,
    ReturnSeries,
    ValuePoint,
)
from eqr_portfolio.domain.transactions import Portfolio, Transaction, TransactionKind, ledger_order
from eqr_portfolio.domain.xirr import money_weighted_return_of_arrays

BENCHMARK_LEAD_DAYS = 10
"""The benchmark's closes start this many days before inception, so its level on the first day is known."""
SERIES_DECIMALS = 6
"""The value series is summed in float64 (it is analytics: returns and a chart) and rounded to
this many decimals, so a value with up to six decimals comes out as the double nearest its
exact decimal, as converting the exact sum would give, never as 572482.4200000001."""


@dataclass(frozen=True)
class PeriodFigures:
    period: str
    twr: PeriodReturn
    mwr: float | None
    benchmark: BenchmarkComparison | None


@dataclass(frozen=True)
class History:
    portfolio: Portfolio
    points: list[ValuePoint]
    holdings: dict[str, tuple[FloatArray, FloatArray]]
    """Each holding's daily values and net flows on the days of ``points``; only the holdings
    ever held or moved money."""
    series: ReturnSeries
    benchmark: ReturnSeries | None


@dataclass(frozen=True)
class PerformanceReport:
    history: History
    periods: list[tuple[str, PeriodFigures | None]]
    monthly: list[tuple[CalendarReturn, float | None]]
    yearly: list[tuple[CalendarReturn, float | None]]
    contributions: ContributionReport | None
    tracking: BenchmarkComparison | None


@dataclass(frozen=True)
class RiskReport:
    history: History
    window: ReturnSeries
    volatility: float | None
    sharpe: float | None
    sortino: float | None
    drawdown: risk.Drawdown | None
    beta: float | None
    correlation: float | None


def _holding_flows(ledger: Sequence[Transaction], days: Sequence[date]) -> dict[date, dict[str, Decimal]]:
    """Money into each holding per day (buys +, sells and dividends -), binned like ``replay_daily``."""
    flows: dict[date, dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    index = 0
    for t in sorted(ledger, key=lambda t: (t.trade_date, t.sequence)):
        while index < len(days) - 1 and days[index] < t.trade_date:
            index += 1
        if not t.symbol or t.trade_date > days[-1]:
            continue
        match t.kind:
            case TransactionKind.BUY:
                flows[days[index]][t.symbol] += t.notional + t.commission
            case TransactionKind.SELL:
                flows[days[index]][t.symbol] -= t.notional - t.commission
            case TransactionKind.DIVIDEND:
                flows[days[index]][t.symbol] -= t.amount
    return flows


def day_grid(
    inception: date,
    today: date,
    close_days: Sequence[npt.NDArray[np.int64]],
    entry_days: Sequence[date],
) -> npt.NDArray[np.int64]:
    """The days of the value series, as ordinals: inception, then every trading day to the last
    close, then the day of every ledger entry after it. Trading days are the days any traded
    symbol or the benchmark closed (``close_days``, all within inception..today); before the first
    of them (or to today when there is none, as for a portfolio of cash) every weekday stands in.
    An entry on a day off inside that range counts from the next trading day (``replay_daily``);
    one after the last trading day has a day of its own, so no entry is left out."""
    closed = np.unique(np.concatenate([np.zeros(0, dtype=np.int64), *close_days]))
    first_close = int(closed[0]) if len(closed) else today.toordinal() + 1
    stand_ins = np.arange(inception.toordinal(), first_close, dtype=np.int64)
    weekdays = stand_ins[(stand_ins - 1) % 7 < 5]  # ordinal 1, 1 January of year 1, was a Monday
    grid = np.unique(np.concatenate([[inception.toordinal()], weekdays, closed]).astype(np.int64))
    last = date.fromordinal(int(grid[-1]))
    later = np.array([day.toordinal() for day in entry_days if day > last], dtype=np.int64)
    return np.unique(np.concatenate([grid, later]))


def _inside(found: CloseSeries, first: date, last: date) -> CloseSeries:
    inside = (found.ordinals >= first.toordinal()) & (found.ordinals <= last.toordinal())
    return CloseSeries(found.ordinals[inside], found.closes[inside])


def _last_known(values: FloatArray) -> FloatArray:
    """``values`` with each NaN replaced by the last number before it (NaN before the first)."""
    positions = np.arange(len(values))
    last = np.maximum.accumulate(np.where(np.isnan(values), -1, positions))
    return np.where(last >= 0, values[np.maximum(last, 0)], np.nan)


def _price_matrix(
    ordinals: npt.NDArray[np.int64],
    symbols: Sequence[str],
    closes: Mapping[str, CloseSeries],
    trades: Mapping[str, Sequence[tuple[date, Decimal]]],
) -> FloatArray:
    """Each symbol's price on each day of ``ordinals`` (a column per symbol): its close, else its
    last earlier close; before its first close, the price of its last trade so far (a trade on a
    day off counts from the next day, as in ``replay_daily``); NaN before its first trade.
    ``closes`` fall on those days; ``trades`` are (trade day, price) in ledger order."""
    prices = np.full((len(ordinals), len(symbols)), np.nan)
    for j, symbol in enumerate(symbols):
        found = closes[symbol]
        closing = np.full(len(ordinals), np.nan)
        closing[np.searchsorted(ordinals, found.ordinals)] = found.closes
        dated = trades.get(symbol, ())
        rows = np.searchsorted(ordinals, [day.toordinal() for day, _ in dated]).astype(np.int64)
        traded = np.full(len(ordinals) + 1, np.nan)  # a spare row for trades after the last day
        # Each trade's price from its row on, the later of two trades on a row winning: ledger
        # order, so taking the last occurrence of each row (assignment order is not relied on).
        last_of_row = len(rows) - 1 - np.unique(rows[::-1], return_index=True)[1]
        traded[rows[last_of_row]] = [float(dated[k][1]) for k in last_of_row]
        first_close = len(ordinals) if np.isnan(closing).all() else int(np.argmax(~np.isnan(closing)))
        before = np.arange(len(ordinals)) < first_close
        prices[:, j] = np.where(before, _last_known(traded[:-1]), _last_known(closing))
    return prices


def _quantity_matrix(ends: Sequence[DayEnd], column: Mapping[str, int]) -> FloatArray:
    """Each day's end-of-day shares (contracts x 100 for options), a column per symbol (rebuilt
    only when they change)."""
    quantities = np.zeros((len(ends), len(column)))
    row = np.zeros(len(column))
    previous: Mapping[str, Decimal] | None = None
    for i, end in enumerate(ends):
        if end.quantities != previous:
            row = np.zeros(len(column))
            for symbol, quantity in end.quantities.items():
                row[column[symbol]] = float(quantity * contract_size(symbol))
            previous = end.quantities
        quantities[i] = row
    return quantities


def _flow_matrix(
    ledger: Sequence[Transaction], days: Sequence[date], column: Mapping[str, int]
) -> FloatArray:
    flows = np.zeros((len(days), len(column)))
    row_of = {day: i for i, day in enumerate(days)}
    for day, by_symbol in _holding_flows(ledger, days).items():
        for symbol, amount in by_symbol.items():
            flows[row_of[day], column[symbol]] = float(amount)
    return flows


async def _history(deps: Dependencies, caller: Caller, portfolio_id: UUID) -> History:
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_read)
        ledger = (await read_ledger(deps.ledgers, uow, portfolio)).transactions
    if not ledger:
        raise ValidationFailed.single("portfolio_id", "the portfolio has no transactions yet")
    inception, today = min(t.trade_date for t in ledger), deps.clock.now().date()
    symbols = sorted({t.symbol for t in ledger if t.symbol})
    queries = [ClosesQuery(s, inception, today, adjusted=False) for s in symbols]
    if portfolio.benchmark:
        lead = days_before(inception, BENCHMARK_LEAD_DAYS)
        queries.append(ClosesQuery(portfolio.benchmark, lead, today, adjusted=True))
    fetched = await deps.market_data.close_series(queries)
    closes = {
        s: _inside(found, inception, today) for s, found in zip(symbols, fetched[: len(symbols)], strict=True)
    }
    ordinals = day_grid(
        inception,
        today,
        [c.ordinals for c in closes.values()]
        + [_inside(found, inception, today).ordinals for found in fetched[len(symbols) :]],
        [t.trade_date for t in ledger],
    )
    days = [date.fromordinal(o) for o in ordinals.tolist()]
    trades: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for t in ledger_order(list(ledger)):
        if t.symbol and t.kind in (TransactionKind.BUY, TransactionKind.SELL):
            trades[t.symbol].append((t.trade_date, t.price))
    column = {s: j for j, s in enumerate(symbols)}
    ends = replay_daily(ledger, portfolio.policy, days)
    held = np.nan_to_num(_quantity_matrix(ends, column) * _price_matrix(ordinals, symbols, closes, trades))
    cash = np.fromiter((float(end.cash) for end in ends), np.float64, len(ends))
    totals = np.round(cash + held.sum(axis=1), SERIES_DECIMALS)
    points = [
        ValuePoint(end.day, total, float(end.external_flow))
        for end, total in zip(ends, totals.tolist(), strict=True)
    ]
    moved = _flow_matrix(ledger, days, column)
    holdings = {
        s: (held[:, j], moved[:, j]) for s, j in column.items() if held[:, j].any() or moved[:, j].any()
    }
    series = performance.time_weighted_returns(points)
    bench = fetched[len(symbols)] if portfolio.benchmark else None
    benchmark = (
        performance.benchmark_returns(
            dict(zip(map(date.fromordinal, bench.ordinals.tolist()), bench.closes.tolist(), strict=True)),
            series,
        )
        if bench is not None and len(bench.closes)
        else None
    )
    return History(portfolio, points, holdings, series, benchmark)


def _by_start(
    returns: list[CalendarReturn], benchmark: list[CalendarReturn]
) -> list[tuple[CalendarReturn, float | None]]:
    theirs = {r.first_day: r.cumulative for r in benchmark}
    return [(r, theirs.get(r.first_day)) for r in returns]


def _check_range(first_day: date | None, last_day: date | None) -> None:
    """The request's own rules for a range; violations name the request's fields."""
    check_dates(start_date=first_day, end_date=last_day)
    if first_day is not None and last_day is not None and first_day > last_day:
        raise ValidationFailed.single("start_date", "must not be after end_date")


def _check_range_within(series: ReturnSeries, first_day: date | None, last_day: date | None) -> None:
    """A range must meet the history: start by its last close and end on or after its first day."""
    first, last = series.start + timedelta(days=1), series.days[-1]
    if first_day is not None and first_day > last:
        raise ValidationFailed.single("start_date", f"is after the last close, on {last.isoformat()}")
    if last_day is not None and last_day < first:
        raise ValidationFailed.single("end_date", f"is before the portfolio's first day, {first.isoformat()}")


def _money_weighted(
    days: Sequence[date], values: FloatArray, net_flows: FloatArray, twr: PeriodReturn
) -> float | None:
    """The period's IRR, treated as its time-weighted return is: annual for a period of a year or
    more, the period's own (not annualised) for a shorter one."""
    over_span = twr.annualised is None
    return money_weighted_return_of_arrays(
        days, values, net_flows, twr.first_day, twr.last_day, over_span=over_span
    ).rate


async def portfolio_performance(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, *, first_day: date | None, last_day: date | None
) -> PerformanceReport:
    _check_range(first_day, last_day)
    history = await _history(deps, caller, portfolio_id)
    series, bench = history.series, history.benchmark
    _check_range_within(series, first_day, last_day)
    as_of = series.days[-1]
    spans: list[tuple[str, PeriodReturn | None]] = [
        (p.value, r) for p, r in performance.period_returns(series, as_of).items()
    ]
    compared: Mapping[Period, BenchmarkComparison | None] = (
        performance.compare_with_benchmark(series, bench, as_of) if bench else {}
    )
    custom_first = first_day or series.start + timedelta(days=1)
    custom_last = min(last_day or as_of, as_of)
    if first_day or last_day:
        spans.append(("custom", performance.range_return(series, custom_first, custom_last)))
    days, values, net_flows = performance.value_arrays(history.points, "points", allow_negative_values=False)
    figures: list[tuple[str, PeriodFigures | None]] = []
    for name, twr in spans:
        if twr is None:
            figures.append((name, None))
            continue
        mwr = _money_weighted(days, values, net_flows, twr)
        if name == "custom":
            versus = performance.compare_range(series, bench, twr.first_day, twr.last_day) if bench else None
        else:
            versus = compared.get(Period(name))
        figures.append((name, PeriodFigures(name, twr, mwr, versus)))
    contributions = contribution_of_arrays(
        days, values, net_flows, history.holdings, custom_first, custom_last
    )
    tracking = performance.compare_range(series, bench, custom_first, custom_last) if bench else None
    return PerformanceReport(
        history=history,
        periods=figures,
        monthly=_by_start(
            performance.monthly_returns(series), performance.monthly_returns(bench) if bench else []
        ),
        yearly=_by_start(
            performance.yearly_returns(series), performance.yearly_returns(bench) if bench else []
        ),
        contributions=contributions,
        tracking=tracking,
    )


async def portfolio_risk(
    deps: Dependencies,
    caller: Caller,
    portfolio_id: UUID,
    *,
    first_day: date | None,
    last_day: date | None,
    risk_free_rate: float,
) -> RiskReport:
    if not -1.0 < risk_free_rate < 1.0:
        raise ValidationFailed.single("risk_free_rate", "must be an annual rate between -1 and 1")
    _check_range(first_day, last_day)
    history = await _history(deps, caller, portfolio_id)
    series = history.series
    _check_range_within(series, first_day, last_day)
    window = series.window(first_day or series.start + timedelta(days=1), last_day or series.days[-1])
    if window is None:
        raise ValidationFailed.single("start_date", "starts before the portfolio's history")
    bench = (
        history.benchmark.window(window.start + timedelta(days=1), window.days[-1])
        if history.benchmark and window.days
        else None
    )
    return RiskReport(
        history=history,
        window=window,
        volatility=risk.annualised_volatility(window),
        sharpe=risk.sharpe_ratio(window, risk_free_rate),
        sortino=risk.sortino_ratio(window, risk_free_rate),
        drawdown=risk.max_drawdown(window),
        beta=risk.beta(window, bench) if bench else None,
        correlation=risk.correlation(window, bench) if bench else None,
    )
