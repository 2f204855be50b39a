"""Time-weighted performance from a portfolio's daily value series.

**Input.** One ``ValuePoint`` per day: the end-of-day market value including cash and the day's
net external flow (+ money in, - money out). Amounts may be ``Decimal`` or ``float``; they become
floats once, on the way in: returns are analytics, not money, and a double carries far more
digits than a daily valuation has. A negative portfolio value is rejected: a rate of return
on negative capital has no meaning.

**Daily return** (Portfolio Performance's TTWROR convention): the day's inflow is invested at the
start of the day, its outflow leaves at the end, just before the close is taken::

    1 + r_t = (V_t + out_t) / (V_{t-1} + in_t),   in_t = max(F_t, 0),  out_t = max(-F_t, 0)

The value before the first point is 0, so a first-day deposit is that day's capital. A day with
no capital at its start (``V_{t-1} + in_t`` is 0: not yet funded, or fully withdrawn) earns 0, as
in PP; so does one whose capital is under ``MIN_CAPITAL``, a residue whose "return" would be noise
or overflow. Nothing is ever divided by zero. Returns chain-link into an index that is 1.0 at the
close before the first day (``ReturnSeries.start``). Where we differ from PP: the input has one
*net* flow per day, so a day with both a deposit and a withdrawal counts as its net; and PP
steps through every calendar day while we use the days given (give trading days, as the risk
figures annualise with 252 of them).

**Periods.** A period's return runs from the close of the day before its first day to the
close of its last day; a day without a point takes the last close before it. As of a date:
1D and 1W go back 1 and 7 calendar days, 1M/3M/1Y/3Y/5Y go back to the same day of the month
that many months earlier, clamped to the end of a shorter month (31 March - 1M = 29 February
2024; 29 February 2024 - 1Y = 28 February 2023), YTD starts after 31 December, since inception
at the first day. A period that starts before the history is not available (``None``), never a
shorter period's return.

**Annualised** returns exist for periods of at least a year only (GIPS: a shorter return is not
annualised; PP annualises any period). 1Y/3Y/5Y use their nominal years (a 3-year return to the
power 1/3, as on fund factsheets); since-inception and custom ranges use Actual/365, as PP does.

**Calendar** months and years chain the same daily returns, so a year's months compound to the
year. A first period that starts after its calendar start, or a last one that ends before its
calendar end, is marked ``partial``.

**Benchmark.** Closes are placed on the portfolio's days, a missing day taking the last earlier
close (forward fill: the benchmark earns 0 on its holidays and catches up on the next close). The
excess return is the arithmetic difference of cumulative returns; the tracking difference is the
difference of annualised returns; the tracking error is the sample standard deviation of daily
return differences x sqrt(252).
"""

from __future__ import annotations

import calendar
import contextlib
import math
from bisect import bisect_right
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from itertools import pairwise

import numpy as np
import numpy.typing as npt

from eqr_portfolio.domain.errors import ValidationFailed, ViolationCollector

FloatArray = npt.NDArray[np.float64]
Amount = Decimal | float

TRADING_DAYS_PER_YEAR = 252
"""Annualisation factor of daily statistics (empyrical's and quantstats' default)."""
MIN_CAPITAL = 1e-6
"""Start-of-day capital (in currency units) below which a day counts as uninvested."""
MIN_DAILY_RETURNS = 2
"""Fewest daily returns a standard deviation (and every figure built on one) needs."""
_DAYS_PER_YEAR = 365
_ONE_DAY = timedelta(days=1)


@dataclass(frozen=True)
class ValuePoint:
    day: date
    value: Amount
    """End-of-day market value, cash included."""
    net_flow: Amount = 0.0
    """External flow on the day: + money in, - money out."""


@dataclass(frozen=True)
class ReturnSeries:
    """Daily returns and their growth index; build with ``from_daily_returns``."""

    start: date
    """The close the index grows from (1.0): the day before the first day it covers."""
    days: tuple[date, ...]
    daily_returns: tuple[float, ...]
    index: tuple[float, ...]
    """Growth of 1 from the close of ``start`` to the close of each day."""

    @classmethod
    def from_daily_returns(
        cls, start: date, days: Sequence[date], daily_returns: Sequence[float] | FloatArray
    ) -> ReturnSeries:
        returns = np.asarray(daily_returns, dtype=np.float64)
        if len(days) != len(returns):
            raise ValidationFailed.single("daily_returns", "needs exactly one return per day")
        if any(later <= earlier for earlier, later in zip((start, *days), days, strict=False)):
            raise ValidationFailed.single("days", "must be strictly increasing and after start")
        if not np.all(np.isfinite(returns)):
            raise ValidationFailed.single("daily_returns", "must be finite numbers")
        growth = np.cumprod(1.0 + returns)
        return cls(start, tuple(days), tuple(returns.tolist()), tuple(growth.tolist()))

    @property
    def cumulative(self) -> float:
        return self.index[-1] - 1.0 if self.index else 0.0

    def window(self, first_day: date, last_day: date) -> ReturnSeries | None:
        """The days ``first_day``..``last_day``, rebased to 1.0 at the close before ``first_day``;
        ``None`` when that close is before ``start`` (the history does not reach back so far)."""
        if last_day < first_day:
            raise ValidationFailed.single("last_day", "must not be before first_day")
        # first_day <= start is the close before it preceding start, asked without computing a
        # day before the calendar's first.
        return None if first_day <= self.start else self._rebased(first_day - _ONE_DAY, last_day)

    def _rebased(self, base: date, last_day: date) -> ReturnSeries:
        low, high = bisect_right(self.days, base), bisect_right(self.days, last_day)
        return ReturnSeries.from_daily_returns(base, self.days[low:high], self.daily_returns[low:high])


class Period(StrEnum):
    ONE_DAY = "1d"
    ONE_WEEK = "1w"
    ONE_MONTH = "1m"
    THREE_MONTHS = "3m"
    YEAR_TO_DATE = "ytd"
    ONE_YEAR = "1y"
    THREE_YEARS = "3y"
    FIVE_YEARS = "5y"
    SINCE_INCEPTION = "inception"


@dataclass(frozen=True)
class PeriodReturn:
    first_day: date
    last_day: date
    cumulative: float
    annualised: float | None
    """``None`` for a period shorter than a year."""


@dataclass(frozen=True)
class CalendarReturn:
    first_day: date
    last_day: date
    cumulative: float
    partial: bool
    """The history covers only part of the calendar month or year."""


@dataclass(frozen=True)
class BenchmarkComparison:
    portfolio: PeriodReturn
    benchmark: PeriodReturn
    excess_return: float
    """Portfolio minus benchmark cumulative return."""
    tracking_difference: float | None
    """Portfolio minus benchmark annualised return; ``None`` under a year."""
    tracking_error: float | None
    """Annualised sample standard deviation of the daily return differences; ``None`` with
    fewer than ``MIN_DAILY_RETURNS`` days."""


def time_weighted_returns(points: Sequence[ValuePoint]) -> ReturnSeries:
    """The portfolio's daily TWR from its first point (its inception) onwards."""
    days, values, flows = value_arrays(points, "points", allow_negative_values=False)
    if days[0] == date.min:
        raise ValidationFailed.single("points[0].day", "must be after the calendar's first day")
    gains, capital = daily_gains_and_capital(values, flows)
    return ReturnSeries.from_daily_returns(days[0] - _ONE_DAY, days, return_on_capital(gains, capital))


def daily_gains_and_capital(values: FloatArray, net_flows: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Each day's gain (``V_t - V_{t-1} - F_t``) and the capital it was earned on
    (``V_{t-1} + max(F_t, 0)``), with a value of 0 before the first day."""
    previous = np.concatenate(([0.0], values[:-1]))
    return values - previous - net_flows, previous + np.maximum(net_flows, 0.0)


def return_on_capital(gains: FloatArray, capital: FloatArray) -> FloatArray:
    """``gains / capital``, and 0 where there is no capital (under ``MIN_CAPITAL``)."""
    return np.divide(gains, capital, out=np.zeros_like(gains), where=capital >= MIN_CAPITAL)


def value_arrays(
    points: Sequence[ValuePoint], field: str, *, allow_negative_values: bool
) -> tuple[tuple[date, ...], FloatArray, FloatArray]:
    """Validated days, values and net flows of ``points``; violations name ``field[i]``."""
    if not points:
        raise ValidationFailed.single(field, "needs at least one day")
    days = tuple(p.day for p in points)
    with contextlib.suppress(ArithmeticError, ValueError):  # a signalling NaN: named point by point below
        values = np.array([p.value for p in points], dtype=np.float64)
        flows = np.array([p.net_flow for p in points], dtype=np.float64)
        increasing = all(earlier < later for earlier, later in pairwise(days))
        in_range = allow_negative_values or bool(np.all(values >= 0))
        if increasing and in_range and np.all(np.isfinite(values)) and np.all(np.isfinite(flows)):
            return days, values, flows
    return days, *_checked_arrays(points, field, allow_negative_values=allow_negative_values)


def _checked_arrays(
    points: Sequence[ValuePoint], field: str, *, allow_negative_values: bool
) -> tuple[FloatArray, FloatArray]:
    """``value_arrays`` point by point, to name every violation (it raises one with all of them)."""
    found = ViolationCollector()
    values: list[float] = []
    flows: list[float] = []
    for i, point in enumerate(points):
        if i and point.day <= points[i - 1].day:
            found.add(f"{field}[{i}].day", "days must be strictly increasing")
        value, flow = as_finite_float(point.value), as_finite_float(point.net_flow)
        if value is None or (value < 0 and not allow_negative_values):
            lowest = "" if allow_negative_values else " of at least 0"
            found.add(f"{field}[{i}].value", f"must be a finite number{lowest}")
        if flow is None:
            found.add(f"{field}[{i}].net_flow", "must be a finite number")
        values.append(value or 0.0)
        flows.append(flow or 0.0)
    found.raise_if_any()
    return np.array(values), np.array(flows)


def as_finite_float(amount: Amount) -> float | None:
    """The amount as a float; ``None`` for NaN or an infinity."""
    if isinstance(amount, Decimal) and not amount.is_finite():
        return None
    number = float(amount)
    return number if math.isfinite(number) else None


def benchmark_returns(closes: Mapping[date, Amount], aligned_to: ReturnSeries) -> ReturnSeries:
    """The benchmark on ``aligned_to``'s days (its ``start`` included), forward-filled. The result
    starts at the first of those days with a close on or before it, so periods before the
    benchmark's history are not available."""
    found = ViolationCollector()
    for day, close in closes.items():
        number = as_finite_float(close)
        if number is None or number <= 0:
            found.add(f"benchmark[{day.isoformat()}]", "must be a positive number")
    found.raise_if_any()
    close_days = sorted(closes)
    grid = (aligned_to.start, *aligned_to.days)
    filled: list[float | None] = []
    for day in grid:
        known = bisect_right(close_days, day)
        filled.append(float(closes[close_days[known - 1]]) if known else None)
    first = next((i for i, close in enumerate(filled) if close is not None), None)
    if first is None:
        raise ValidationFailed.single("benchmark", f"has no close on or before {grid[-1].isoformat()}")
    levels = np.array(filled[first:], dtype=np.float64)
    return ReturnSeries.from_daily_returns(grid[first], grid[first + 1 :], levels[1:] / levels[:-1] - 1.0)


@dataclass(frozen=True)
class _Span:
    first_day: date
    last_day: date
    years: float
    """The length used to annualise."""


_DAYS_BACK = {Period.ONE_DAY: 1, Period.ONE_WEEK: 7}
_MONTHS_BACK = {
    Period.ONE_MONTH: 1,
    Period.THREE_MONTHS: 3,
    Period.ONE_YEAR: 12,
    Period.THREE_YEARS: 36,
    Period.FIVE_YEARS: 60,
}


def _period_span(period: Period, as_of: date, start: date) -> _Span | None:
    """``None`` when the period's base close would be before the calendar's first day."""
    try:
        if period in _MONTHS_BACK:
            months = _MONTHS_BACK[period]
            return _Span(_months_before(as_of, months) + _ONE_DAY, as_of, months / 12)
        if period in _DAYS_BACK:
            base = as_of - timedelta(days=_DAYS_BACK[period])
        elif period is Period.YEAR_TO_DATE:
            base = date(as_of.year - 1, 12, 31)
        else:
            base = start
    except (OverflowError, ValueError):
        return None
    return _range_span(base + _ONE_DAY, as_of)


def _range_span(first_day: date, last_day: date) -> _Span:
    return _Span(first_day, last_day, ((last_day - first_day).days + 1) / _DAYS_PER_YEAR)


def _months_before(day: date, months: int) -> date:
    year, month_index = divmod(day.year * 12 + day.month - 1 - months, 12)
    month = month_index + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def _check_as_of(series: ReturnSeries, as_of: date) -> None:
    if as_of <= series.start:
        raise ValidationFailed.single("as_of", f"must be after {series.start.isoformat()}")


def _annualised(cumulative: float, years: float) -> float | None:
    if years < 1:
        return None
    growth = 1.0 + cumulative
    return math.pow(growth, 1.0 / years) - 1.0 if growth > 0 else -1.0


def _span_return(series: ReturnSeries, span: _Span) -> tuple[ReturnSeries, PeriodReturn] | None:
    part = series.window(span.first_day, span.last_day)
    if part is None:
        return None
    result = PeriodReturn(
        span.first_day, span.last_day, part.cumulative, _annualised(part.cumulative, span.years)
    )
    return part, result


def period_returns(series: ReturnSeries, as_of: date) -> dict[Period, PeriodReturn | None]:
    """Every standard period ending at the close of ``as_of`` (later than the last day: the
    last close carries forward); ``None`` where the history is too short."""
    _check_as_of(series, as_of)
    return {period: _return_over(series, _period_span(period, as_of, series.start)) for period in Period}


def range_return(series: ReturnSeries, first_day: date, last_day: date) -> PeriodReturn | None:
    """A custom period, both days included; ``None`` when it starts before the history."""
    return _return_over(series, _range_span(first_day, last_day))


def _return_over(series: ReturnSeries, span: _Span | None) -> PeriodReturn | None:
    found = _span_return(series, span) if span is not None else None
    return found[1] if found else None


def monthly_returns(series: ReturnSeries) -> list[CalendarReturn]:
    return _calendar_returns(series, _month_end)


def yearly_returns(series: ReturnSeries) -> list[CalendarReturn]:
    return _calendar_returns(series, _year_end)


def _month_end(day: date) -> date:
    return date(day.year, day.month, calendar.monthrange(day.year, day.month)[1])


def _year_end(day: date) -> date:
    return date(day.year, 12, 31)


def _calendar_returns(series: ReturnSeries, period_end: Callable[[date], date]) -> list[CalendarReturn]:
    if not series.days:
        return []
    results: list[CalendarReturn] = []
    first_day, history_end = series.start + _ONE_DAY, series.days[-1]
    while first_day <= history_end:
        calendar_end = period_end(first_day)
        last_day = min(calendar_end, history_end)
        day_before = first_day - _ONE_DAY
        part = series._rebased(day_before, last_day)
        partial = period_end(day_before) != day_before or last_day < calendar_end
        results.append(CalendarReturn(first_day, last_day, part.cumulative, partial))
        if calendar_end == date.max:
            break
        first_day = calendar_end + _ONE_DAY
    return results


def compare_with_benchmark(
    portfolio: ReturnSeries, benchmark: ReturnSeries, as_of: date
) -> dict[Period, BenchmarkComparison | None]:
    """``period_returns`` of both, side by side; ``None`` where either is not available."""
    _check_as_of(portfolio, as_of)
    return {
        period: _compare(portfolio, benchmark, _period_span(period, as_of, portfolio.start))
        for period in Period
    }


def compare_range(
    portfolio: ReturnSeries, benchmark: ReturnSeries, first_day: date, last_day: date
) -> BenchmarkComparison | None:
    return _compare(portfolio, benchmark, _range_span(first_day, last_day))


def _compare(
    portfolio: ReturnSeries, benchmark: ReturnSeries, span: _Span | None
) -> BenchmarkComparison | None:
    if span is None:
        return None
    ours, theirs = _span_return(portfolio, span), _span_return(benchmark, span)
    if ours is None or theirs is None:
        return None
    (our_part, our_return), (their_part, their_return) = ours, theirs
    tracking_difference = (
        our_return.annualised - their_return.annualised
        if our_return.annualised is not None and their_return.annualised is not None
        else None
    )
    own, other = paired_daily_returns(our_part, their_part)
    return BenchmarkComparison(
        portfolio=our_return,
        benchmark=their_return,
        excess_return=our_return.cumulative - their_return.cumulative,
        tracking_difference=tracking_difference,
        tracking_error=annualised_standard_deviation(own - other),
    )


def paired_daily_returns(first: ReturnSeries, second: ReturnSeries) -> tuple[FloatArray, FloatArray]:
    """The daily returns of the days both series have, in day order."""
    theirs = dict(zip(second.days, second.daily_returns, strict=True))
    shared = [
        (ours, theirs[day])
        for day, ours in zip(first.days, first.daily_returns, strict=True)
        if day in theirs
    ]
    pairs = np.array(shared, dtype=np.float64).reshape(-1, 2)
    return pairs[:, 0], pairs[:, 1]


def annualised_standard_deviation(daily: FloatArray) -> float | None:
    """Sample standard deviation x sqrt(252); ``None`` under ``MIN_DAILY_RETURNS`` values."""
    if len(daily) < MIN_DAILY_RETURNS:
        return None
    return float(np.std(daily, ddof=1) * math.sqrt(TRADING_DAYS_PER_YEAR))
