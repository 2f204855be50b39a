"""Implied volatility of American prices: the volatility at which ``american.american_price``
(with its cash dividends, if any) matches the quote.

A vectorised Illinois (modified regula falsi) search on f(sigma) = price(sigma) - quote, which
keeps every row bracketed and converges superlinearly on the smooth, increasing American
price. The bracket is [low, high]: low is the smallest volatility the binomial tree is stable
at (vol·√dt > |r - q|·dt at the coarse step, doubled), high the European implied vol of the
same quote (an American option is worth at least its European twin, so its implied vol is no
higher), or 500% where the quote has no European implied vol. Rows outside the no-arbitrage
bounds or the bracket get NaN and a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np

from eqr_options.domain.american import DEFAULT_STEPS, CashDividends, american_price
from eqr_options.domain.arrays import BoolArray, FloatArray
from eqr_options.domain.implied_vol import implied_vol
from eqr_options.domain.inputs import OptionTerms

MAX_ITERATIONS: Final = 60
VOL_TOLERANCE: Final = 1e-10
HIGHEST_VOL: Final = 5.0
LOWEST_VOL: Final = 0.005
_EPS: Final = float(np.finfo(np.float64).eps)

BELOW_INTRINSIC: Final = "price is below the option's intrinsic value"
NO_TIME_VALUE: Final = "price equals intrinsic value: no time value to imply a volatility from"
ABOVE_MAXIMUM: Final = (
    "price is at or above the no-arbitrage maximum (the spot for a call, the strike for a put)"
)
BELOW_LOWEST: Final = f"price is below the American price at the lowest volatility searched ({LOWEST_VOL:g})"
ABOVE_HIGHEST: Final = f"price is above the American price at {HIGHEST_VOL:.0%} volatility"
NOT_CONVERGED: Final = "the solver did not converge"


@dataclass(frozen=True, slots=True)
class AmericanImpliedVol:
    """Volatilities (NaN where the row has none) and a reason per row, empty where solved."""

    vol: FloatArray
    reason: tuple[str, ...]

    @property
    def ok(self) -> BoolArray:
        solved: BoolArray = np.isfinite(self.vol)
        return solved

    def reasons(self) -> list[str]:
        return list(self.reason)


def american_implied_vol(
    terms: OptionTerms, prices: FloatArray, *, dividends: CashDividends | None = None
) -> AmericanImpliedVol:
    intrinsic = np.maximum(terms.sign * (terms.spot - terms.strike), 0.0)
    maximum = np.where(terms.is_call, terms.spot, terms.strike)
    tolerance = 8.0 * _EPS * np.maximum(intrinsic, prices)
    reason = np.full(terms.rows, "", dtype=object)
    reason[prices < intrinsic - tolerance] = BELOW_INTRINSIC
    reason[np.abs(prices - intrinsic) <= tolerance] = NO_TIME_VALUE
    reason[prices >= maximum] = ABOVE_MAXIMUM
    vol = np.full(terms.rows, np.nan)
    rows = np.flatnonzero(reason == "")
    if rows.size:
        solved, failed = _solve(terms.take(rows), prices[rows], dividends, rows)
        vol[rows] = solved
        reason[rows] = failed
    return AmericanImpliedVol(vol, tuple(str(r) for r in reason))


def _solve(
    terms: OptionTerms, prices: FloatArray, dividends: CashDividends | None, rows: np.ndarray
) -> tuple[FloatArray, np.ndarray]:
    schedule = None if dividends is None else CashDividends(dividends.times[rows], dividends.amounts[rows])

    def excess(index: np.ndarray, vol: FloatArray) -> FloatArray:
        part = None if schedule is None else CashDividends(schedule.times[index], schedule.amounts[index])
        priced: FloatArray = american_price(terms.take(index), vol, dividends=part) - prices[index]
        return priced

    everyone = np.arange(terms.rows)
    coarse_step = np.sqrt(terms.years / (DEFAULT_STEPS // 2))
    low = np.maximum(LOWEST_VOL, 2.0 * np.abs(terms.rate - terms.carry_yield) * coarse_step)
    european = implied_vol(terms, prices)
    high = np.where(european.ok, european.vol * (1.0 + 1e-9), HIGHEST_VOL)
    high = np.clip(high, 2.0 * low, HIGHEST_VOL)
    f_low, f_high = excess(everyone, low), excess(everyone, high)

    vol = np.full(terms.rows, np.nan)
    reason = np.full(terms.rows, NOT_CONVERGED, dtype=object)
    reason[f_low > 0] = BELOW_LOWEST
    reason[f_high < 0] = ABOVE_HIGHEST
    exact_low, exact_high = f_low == 0, (f_high == 0) & (f_low < 0)
    vol[exact_low], vol[exact_high] = low[exact_low], high[exact_high]
    reason[exact_low | exact_high] = ""
    active = np.flatnonzero((f_low < 0) & (f_high > 0))
    a, b, fa, fb = low[active], high[active], f_low[active], f_high[active]
    for _ in range(MAX_ITERATIONS):
        if not active.size:
            break
        c = (a * fb - b * fa) / (fb - fa)
        c = np.where((c > np.minimum(a, b)) & (c < np.maximum(a, b)), c, 0.5 * (a + b))
        step = np.abs(c - b)
        fc = excess(active, c)
        crossed = fc * fb < 0
        a, fa = np.where(crossed, b, a), np.where(crossed, fb, 0.5 * fa)
        b, fb = c, fc
        scale = VOL_TOLERANCE * np.maximum(1.0, b)
        done = (step <= scale) | (np.abs(b - a) <= scale) | (fc == 0)
        vol[active[done]] = b[done]
        reason[active[done]] = ""
        keep = ~done
        active, a, b, fa, fb = active[keep], a[keep], b[keep], fa[keep], fb[keep]
    return vol, reason
