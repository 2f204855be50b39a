"""Money-weighted return: the annual rate that discounts dated cash flows to a net present value
of zero (Excel's XIRR, Portfolio Performance's IRR).

Flows are seen from the investor, as in Excel: money paid in is negative, money taken out (and
the value left at the end) positive. Time is Actual/365 from the earliest flow:
``NPV(r) = sum(c_i / (1 + r) ** (days_i / 365))``.

The solver starts with Newton's method from 10 % (Excel's default guess). If Newton fails (no
convergence, a step to a rate of -100 % or below, a flat derivative), it scans ``x = ln(1 + r)``
outwards from 0 for a sign change of the NPV and closes in with Brent's method; with several
sign changes it takes the one nearest 0 %. Each term is scaled so that no power overflows.
No rate is an answer, not an error: ``XirrResult.rate`` is ``None`` and ``reason`` says why.

The rate is annual, or with ``over_span`` the return over the flows' own span, for a period
under a year (GIPS: such a return is not annualised; a day's 0.5 % is not shown as the 517 % a
year of such days would make). The span's return is solved for directly, with the span as the
unit of time: converting an annual rate back would lose a day's -10 % (an annual rate of
-100 % to a double) or +1000 % (an overflow).
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

import numpy as np
from scipy.optimize import brentq  # type: ignore[import-untyped]

from eqr_portfolio.domain.errors import ViolationCollector
from eqr_portfolio.domain.performance import Amount, FloatArray, ValuePoint, as_finite_float, value_arrays

_DAYS_PER_YEAR = 365.0
_NEWTON_GUESS = 0.1
_NEWTON_STEPS = 50
_TOLERANCE = 1e-12
_RESIDUAL = 1e-9
"""Largest NPV, relative to the sum of the discounted flows' sizes, that counts as zero."""
_LARGEST_LOG_GROWTH = 700.0
"""Search bound for ``ln(1 + r)``: beyond it ``1 + r`` overflows a double."""
_SCAN = np.geomspace(1e-6, _LARGEST_LOG_GROWTH, 200)


@dataclass(frozen=True)
class CashFlow:
    day: date
    amount: Amount
    """Investor's view: negative paid in, positive received."""


class NoRateReason(StrEnum):
    TOO_FEW_DATES = "too_few_dates"
    """Non-zero flows on fewer than two dates."""
    NO_SIGN_CHANGE = "no_sign_change"
    """Only money in or only money out: no rate makes the NPV zero."""
    NO_ROOT = "no_root"
    """The NPV is zero at no rate a double can hold (above -100 %, below about 1e304)."""


@dataclass(frozen=True)
class XirrResult:
    rate: float | None
    """Annual (Actual/365), or over the flows' span when asked for ``over_span``."""
    reason: NoRateReason | None = None
    days: int = 0
    """Days from the first flow to the last: the span the money was invested over."""


def xirr(flows: Sequence[CashFlow], *, over_span: bool = False) -> XirrResult:
    """The rate per year of Actual/365, or, with ``over_span``, per the flows' own span: what the
    money earned from the first flow to the last, not annualised."""
    found = ViolationCollector()
    dated: list[tuple[date, float]] = []
    for i, flow in enumerate(flows):
        amount = as_finite_float(flow.amount)
        if amount is None:
            found.add(f"flows[{i}].amount", "must be a finite number")
        elif amount != 0:
            dated.append((flow.day, amount))
    found.raise_if_any()
    if len({day for day, _ in dated}) < 2:
        return XirrResult(None, NoRateReason.TOO_FEW_DATES)
    cash = np.array([amount for _, amount in dated])
    if np.all(cash > 0) or np.all(cash < 0):
        return XirrResult(None, NoRateReason.NO_SIGN_CHANGE)
    first = min(day for day, _ in dated)
    span = (max(day for day, _ in dated) - first).days
    unit = span if over_span else _DAYS_PER_YEAR
    periods = np.array([(day - first).days / unit for day, _ in dated])
    rate = _newton(cash, periods)
    if rate is None:
        rate = _bracketed(cash, periods)
    if rate is None or not -1.0 < rate < math.inf:
        return XirrResult(None, NoRateReason.NO_ROOT)
    return XirrResult(rate, days=span)


def money_weighted_return(
    points: Sequence[ValuePoint],
    first_day: date | None = None,
    last_day: date | None = None,
    *,
    over_span: bool = False,
) -> XirrResult:
    """The portfolio's IRR over ``first_day``..``last_day`` (default: its whole history). The
    value at the close before ``first_day`` is paid in on that day, each day's net flow is paid
    in (a deposit) or taken out (a withdrawal) on its day, and the value at the close of
    ``last_day`` is taken out on ``last_day``. A day without a point has the last earlier close;
    before the first point the value is 0. ``over_span`` as for ``xirr``."""
    days, values, net_flows = value_arrays(points, "points", allow_negative_values=False)
    return money_weighted_return_of_arrays(days, values, net_flows, first_day, last_day, over_span=over_span)


def money_weighted_return_of_arrays(
    days: Sequence[date],
    values: FloatArray,
    net_flows: FloatArray,
    first_day: date | None = None,
    last_day: date | None = None,
    *,
    over_span: bool = False,
) -> XirrResult:
    """``money_weighted_return`` of a series already converted by ``value_arrays``, so that the
    periods of one series share one conversion."""
    first = first_day if first_day is not None else days[0]
    end = last_day if last_day is not None else days[-1]
    if end < first:
        return XirrResult(None, NoRateReason.TOO_FEW_DATES)
    low, high = bisect_left(days, first), bisect_right(days, end)
    # The close before ``first`` (0 before the first point, then no flow at all, so that the day
    # before the calendar's first is never needed).
    opening = float(values[low - 1]) if low else 0.0
    flows = [CashFlow(first - timedelta(days=1), -opening)] if opening else []
    moved = low + np.flatnonzero(net_flows[low:high])  # a zero flow is no cash flow
    flows += [
        CashFlow(days[i], -flow) for i, flow in zip(moved.tolist(), net_flows[moved].tolist(), strict=True)
    ]
    flows.append(CashFlow(end, float(values[high - 1]) if high else 0.0))
    return xirr(flows, over_span=over_span)


def _newton(cash: FloatArray, years: FloatArray) -> float | None:
    """``years`` are the flows' times in the rate's unit (years, or spans)."""
    rate = _NEWTON_GUESS
    with np.errstate(all="ignore"):  # an overflow shows as a non-finite NPV and ends the search
        for _ in range(_NEWTON_STEPS):
            terms = cash * (1.0 + rate) ** -years
            npv = float(np.sum(terms))
            slope = float(np.sum(-years * terms)) / (1.0 + rate)
            if slope == 0 or not math.isfinite(npv) or not math.isfinite(slope):
                return None
            step = npv / slope
            rate -= step
            if not rate > -1.0:
                return None
            if abs(step) <= _TOLERANCE * (1.0 + abs(rate)):
                return rate if abs(npv) <= _RESIDUAL * float(np.sum(np.abs(terms))) else None
    return None


def _scaled_npv(log_growth: float, cash: FloatArray, years: FloatArray) -> float:
    """The NPV at ``r = exp(log_growth) - 1`` times a positive factor that keeps every exponent
    at or below 0, so its sign (and its roots) are the NPV's."""
    shift = 0.0 if log_growth >= 0 else float(years.max())
    return float(np.sum(cash * np.exp(-log_growth * (years - shift))))


def _bracketed(cash: FloatArray, years: FloatArray) -> float | None:
    brackets: list[tuple[float, float, float]] = []  # (distance from 0, lower end, upper end)
    for side in (1.0, -1.0):
        grid = np.concatenate(([0.0], side * _SCAN))
        signs = np.sign(np.array([_scaled_npv(x, cash, years) for x in grid]))
        changes = np.flatnonzero(signs[:-1] != signs[1:])
        if changes.size:
            inner, outer = float(grid[changes[0]]), float(grid[changes[0] + 1])
            brackets.append((abs(inner), min(inner, outer), max(inner, outer)))
    if not brackets:
        return None
    _, low, high = min(brackets)
    root = brentq(_scaled_npv, low, high, args=(cash, years), xtol=1e-15, rtol=1e-15)
    return math.expm1(float(root))
