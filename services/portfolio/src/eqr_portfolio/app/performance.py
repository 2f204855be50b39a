"""Performance and risk of a portfolio from its daily value series.

The series is rebuilt from the ledger and market-data's daily closes on every request: the
end-of-day quantities of every day (one replay pass) times each symbol's close (the last
earlier close on a day without one; before a symbol's first close, the price it last traded
at), plus cash. Closes are raw (not split-adjusted), because the ledger's quantities change
at a split only when the split is recorded.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from uuid import UUID

from eqr_portfolio.app.caller import Caller, load_portfolio
from eqr_portfolio.app.dependencies import Dependencies
from eqr_portfolio.domain import performance, risk
from eqr_portfolio.domain.access import require_read
from eqr_portfolio.domain.book import replay_daily
from eqr_portfolio.domain.contribution import ContributionReport, contribution_by_holding
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.performance import (
    BenchmarkComparison,
    CalendarReturn,
    Period,
    PeriodReturn,
    ReturnSeries,
    ValuePoint,
)
from eqr_portfolio.domain.transactions import Portfolio, Transaction, TransactionKind
from eqr_portfolio.domain.xirr import money_weighted_return


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
    holdings: dict[str, list[ValuePoint]]
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
                flows[days[index]][t.symbol] += t.quantity * t.price + t.commission
            case TransactionKind.SELL:
                flows[days[index]][t.symbol] -= t.quantity * t.price - t.commission
            case TransactionKind.DIVIDEND:
                flows[days[index]][t.symbol] -= t.amount
    return flows


async def _history(deps: Dependencies, caller: Caller, portfolio_id: UUID) -> History:
    async with deps.unit_of_work() as uow:
        portfolio, _ = await load_portfolio(uow, caller, portfolio_id, require_read)
        ledger = await uow.transactions.ledger(portfolio_id)
    if not ledger:
        raise ValidationFailed.single("portfolio_id", "the portfolio has no transactions yet")
    inception, today = min(t.trade_date for t in ledger), deps.clock.now().date()
    symbols = sorted({t.symbol for t in ledger if t.symbol})
    closes_list = await asyncio.gather(
        *(deps.market_data.daily_closes(s, inception, today, adjusted=False) for s in symbols)
    )
    closes = {s: {c.day: c.close for c in found} for s, found in zip(symbols, closes_list, strict=True)}
    days = sorted({d for by_day in closes.values() for d in by_day if inception <= d <= today} | {inception})
    trade_prices: dict[str, list[tuple[date, Decimal]]] = defaultdict(list)
    for t in ledger:
        if t.symbol and t.kind in (TransactionKind.BUY, TransactionKind.SELL):
            trade_prices[t.symbol].append((t.trade_date, t.price))
    last: dict[str, Decimal] = {}
    points: list[ValuePoint] = []
    holdings: dict[str, list[ValuePoint]] = {s: [] for s in symbols}
    flows = _holding_flows(ledger, days)
    for end in replay_daily(ledger, portfolio.policy, days):
        for symbol in symbols:
            if end.day in closes[symbol]:
                last[symbol] = closes[symbol][end.day]
            elif symbol not in last or not closes[symbol]:
                traded = [p for d, p in trade_prices[symbol] if d <= end.day]
                if traded:
                    last[symbol] = traded[-1]
        values = {s: q * last.get(s, Decimal(0)) for s, q in end.quantities.items()}
        points.append(ValuePoint(end.day, end.cash + sum(values.values(), Decimal(0)), end.external_flow))
        for symbol in symbols:
            holdings[symbol].append(
                ValuePoint(end.day, values.get(symbol, Decimal(0)), flows[end.day][symbol])
            )
    series = performance.time_weighted_returns(points)
    benchmark = None
    if portfolio.benchmark:
        bench = await deps.market_data.daily_closes(
            portfolio.benchmark, inception - timedelta(days=10), today, adjusted=True
        )
        if bench:
            benchmark = performance.benchmark_returns({c.day: c.close for c in bench}, series)
    return History(portfolio, points, holdings, series, benchmark)


def _by_start(
    returns: list[CalendarReturn], benchmark: list[CalendarReturn]
) -> list[tuple[CalendarReturn, float | None]]:
    theirs = {r.first_day: r.cumulative for r in benchmark}
    return [(r, theirs.get(r.first_day)) for r in returns]


async def portfolio_performance(
    deps: Dependencies, caller: Caller, portfolio_id: UUID, *, first_day: date | None, last_day: date | None
) -> PerformanceReport:
    history = await _history(deps, caller, portfolio_id)
    series, bench = history.series, history.benchmark
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
    figures: list[tuple[str, PeriodFigures | None]] = []
    for name, twr in spans:
        if twr is None:
            figures.append((name, None))
            continue
        mwr = money_weighted_return(history.points, twr.first_day, twr.last_day).rate
        if name == "custom":
            versus = performance.compare_range(series, bench, twr.first_day, twr.last_day) if bench else None
        else:
            versus = compared.get(Period(name))
        figures.append((name, PeriodFigures(name, twr, mwr, versus)))
    contributions = contribution_by_holding(history.points, history.holdings, custom_first, custom_last)
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
    history = await _history(deps, caller, portfolio_id)
    series = history.series
    window = series.window(first_day or series.start + timedelta(days=1), last_day or series.days[-1])
    if window is None:
        raise ValidationFailed.single("from", "starts before the portfolio's history")
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
