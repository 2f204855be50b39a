"""Risk figures from a portfolio's daily time-weighted returns, as empyrical defines them.

Every figure works on the days of a ``ReturnSeries`` (``ReturnSeries.window`` gives a period's),
annualises with 252 trading days and is ``None`` when it cannot be computed: with fewer than
``MIN_DAILY_RETURNS`` (2) daily returns (empyrical's minimum; max drawdown needs one), or when a
denominator is zero (a flat series has no Sharpe ratio; one that never falls below the required
return has no Sortino ratio). Days with no capital (before funding, after a full withdrawal)
are in the sample with a return of 0.

- Volatility: sample standard deviation (ddof 1) x sqrt(252).
- Sharpe: mean / sample std of the daily excess returns, x sqrt(252).
- Sortino: mean daily excess return / downside deviation, x sqrt(252); the downside deviation
  is the root mean square of the excess returns below 0, over *all* days (empyrical's and
  quantstats' form, not the mean over the losing days only).
- Excess returns subtract a daily risk-free rate, ``(1 + annual) ** (1 / 252) - 1`` (quantstats'
  conversion). empyrical takes a per-day rate instead; at the default 0 both agree.
- Max drawdown: the deepest fall of the TWR index below its running peak, the start level 1.0
  counting as a peak, so a loss on the first day is a drawdown (empyrical does the same with its
  starting value of 100); the depth is negative, as in empyrical.
- Beta: covariance / benchmark variance of the daily returns; correlation: Pearson's. Both on the
  days the two series share.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

import numpy as np

from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.performance import (
    MIN_DAILY_RETURNS,
    TRADING_DAYS_PER_YEAR,
    FloatArray,
    ReturnSeries,
    annualised_standard_deviation,
    paired_daily_returns,
)

_RECOVERY_TOLERANCE = 1e-12
"""Relative shortfall from the peak still counted as recovered (the index is a float product)."""
_NO_SPREAD = 1e-14
"""A daily standard deviation below this is rounding noise of a constant series, not risk."""


@dataclass(frozen=True)
class Drawdown:
    depth: float
    """The fall from the peak, <= 0: -0.25 is a 25 % drawdown."""
    peak: date
    """The last close at the peak before the fall (``start`` when the fall begins on day one)."""
    trough: date
    recovery: date | None
    """The first close back at the peak, ``None`` if not yet recovered. With no fall at all the
    depth is 0 and peak, trough and recovery are all the series' start."""


def annualised_volatility(series: ReturnSeries) -> float | None:
    return annualised_standard_deviation(_returns(series))


def sharpe_ratio(series: ReturnSeries, risk_free_rate: float = 0.0) -> float | None:
    """``risk_free_rate`` is annual (0.03 for 3 %)."""
    excess = _excess(series, risk_free_rate)
    if len(excess) < MIN_DAILY_RETURNS:
        return None
    spread = float(np.std(excess, ddof=1))
    return _annualised_ratio(float(np.mean(excess)), spread)


def sortino_ratio(series: ReturnSeries, risk_free_rate: float = 0.0) -> float | None:
    """``risk_free_rate`` is annual and also the required return below which a day is downside."""
    excess = _excess(series, risk_free_rate)
    if len(excess) < MIN_DAILY_RETURNS:
        return None
    downside = math.sqrt(float(np.mean(np.minimum(excess, 0.0) ** 2)))
    return _annualised_ratio(float(np.mean(excess)), downside)


def max_drawdown(series: ReturnSeries) -> Drawdown | None:
    if not series.days:
        return None
    dates = (series.start, *series.days)
    levels = np.concatenate(([1.0], series.index))
    peaks = np.maximum.accumulate(levels)
    falls = levels / peaks - 1.0
    trough = int(np.argmin(falls))
    depth = float(falls[trough])
    if depth == 0:
        return Drawdown(0.0, series.start, series.start, series.start)
    peak_level = peaks[trough]
    peak = int(np.flatnonzero(levels[: trough + 1] >= peak_level)[-1])
    recovered = np.flatnonzero(levels[trough:] >= peak_level * (1.0 - _RECOVERY_TOLERANCE))
    recovery = dates[trough + int(recovered[0])] if recovered.size else None
    return Drawdown(depth, dates[peak], dates[trough], recovery)


def beta(series: ReturnSeries, benchmark: ReturnSeries) -> float | None:
    ours, theirs = paired_daily_returns(series, benchmark)
    if len(ours) < MIN_DAILY_RETURNS:
        return None
    if np.std(theirs) < _NO_SPREAD:
        return None
    return float(np.mean((ours - ours.mean()) * (theirs - theirs.mean())) / np.var(theirs))


def correlation(series: ReturnSeries, benchmark: ReturnSeries) -> float | None:
    ours, theirs = paired_daily_returns(series, benchmark)
    if len(ours) < MIN_DAILY_RETURNS or min(np.std(ours), np.std(theirs)) < _NO_SPREAD:
        return None
    return float(np.corrcoef(ours, theirs)[0, 1])


def _returns(series: ReturnSeries) -> FloatArray:
    return np.array(series.daily_returns, dtype=np.float64)


def _excess(series: ReturnSeries, risk_free_rate: float) -> FloatArray:
    if not (math.isfinite(risk_free_rate) and risk_free_rate > -1):
        raise ValidationFailed.single("risk_free_rate", "must be a finite rate above -100 %")
    daily_risk_free = math.pow(1.0 + risk_free_rate, 1.0 / TRADING_DAYS_PER_YEAR) - 1.0
    return _returns(series) - daily_risk_free


def _annualised_ratio(mean: float, spread: float) -> float | None:
    return mean / spread * math.sqrt(TRADING_DAYS_PER_YEAR) if spread >= _NO_SPREAD else None
