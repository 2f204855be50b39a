"""What a strategy does: payoff at its first expiry, P&L before it, breakevens, extremes,
probability of profit, net Greeks, scenario grids and the data of a P&L diagram.

Options still alive at a horizon are repriced with Black-Scholes-Merton at their own
volatility (shifted in scenarios); expired ones pay intrinsic value. P&L is value less the
opening cost. The probability of profit takes the spot at the first expiry as lognormal with
drift ``drift`` (the risk-neutral r - q unless stated) and the volatility given.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from math import inf, log, sqrt

import numpy as np
from scipy.special import ndtr  # type: ignore[import-untyped]

from eqr_options.domain.arrays import FloatArray
from eqr_options.domain.black_scholes import Greeks, greeks
from eqr_options.domain.inputs import option_terms, require
from eqr_options.domain.strategies import LegKind, Strategy


@dataclass(frozen=True, slots=True)
class Market:
    spot: float
    rate: float = 0.0
    dividend_yield: float = 0.0


@dataclass(frozen=True, slots=True)
class Extremes:
    """Max profit and max loss over all spots at the first expiry; ±inf where unlimited."""

    max_profit: float
    max_loss: float

    @property
    def profit_unlimited(self) -> bool:
        return self.max_profit == inf

    @property
    def loss_unlimited(self) -> bool:
        return self.max_loss == -inf


@dataclass(frozen=True, slots=True)
class Diagram:
    spots: FloatArray
    at_expiry: FloatArray
    now: FloatArray


def horizon(strategy: Strategy) -> float:
    """The first expiry of the strategy's options (0 for shares only)."""
    return min((leg.expiry_years for leg in strategy.legs if leg.is_option), default=0.0)


def pnl(
    strategy: Strategy, spots: FloatArray, market: Market, *, elapsed_years: float, vol_shift: float = 0.0
) -> FloatArray:
    """P&L for each spot in ``spots``, ``elapsed_years`` from now (at most the first expiry)."""
    require(
        0 <= elapsed_years <= horizon(strategy) or horizon(strategy) == 0, "elapsed_years", "is past expiry"
    )
    spots = np.asarray(spots, dtype=np.float64)
    total = np.zeros_like(spots)
    for leg in strategy.legs:
        remaining = leg.expiry_years - elapsed_years
        if not leg.is_option:
            value = spots
        elif remaining <= 1e-12:
            sign = 1.0 if leg.kind is LegKind.CALL else -1.0
            value = np.maximum(sign * (spots - leg.strike), 0.0)
        else:
            terms = option_terms(
                spot=np.maximum(spots, 1e-12),
                strike=leg.strike,
                years=remaining,
                rate=market.rate,
                dividend_yield=market.dividend_yield,
                is_call=leg.kind is LegKind.CALL,
            )
            value = greeks(terms, np.full(spots.size, max(leg.vol + vol_shift, 1e-4))).price.reshape(
                spots.shape
            )
        total += leg.units * (value - leg.premium)
    return total


def payoff_at_expiry(strategy: Strategy, spots: FloatArray, market: Market) -> FloatArray:
    return pnl(strategy, spots, market, elapsed_years=horizon(strategy))


def _kinks(strategy: Strategy, market: Market) -> FloatArray:
    strikes = [leg.strike for leg in strategy.legs if leg.is_option]
    top = 4.0 * max([market.spot, *strikes])
    return np.unique(np.concatenate([[0.0], strikes, np.linspace(0.0, top, 801)]))


def _slope_at_infinity(strategy: Strategy, market: Market) -> float:
    big = 1e3 * max([market.spot, *(leg.strike for leg in strategy.legs)])
    values = payoff_at_expiry(strategy, np.array([big, 2.0 * big]), market)
    return float((values[1] - values[0]) / big)


def extremes(strategy: Strategy, market: Market) -> Extremes:
    """Extremes on the spots between kinks (exact for one expiry), unlimited where the payoff
    keeps rising or falling as the spot grows (the spot cannot go below 0)."""
    grid = _kinks(strategy, market)
    values = payoff_at_expiry(strategy, grid, market)
    slope = _slope_at_infinity(strategy, market)
    tolerance = 1e-9 * max(1.0, abs(strategy.cost))
    return Extremes(
        max_profit=inf if slope > tolerance else float(values.max()),
        max_loss=-inf if slope < -tolerance else float(values.min()),
    )


def breakevens(strategy: Strategy, market: Market) -> list[float]:
    """Spots at the first expiry where the P&L crosses zero, in increasing order."""
    grid = _kinks(strategy, market)
    values = payoff_at_expiry(strategy, grid, market)
    found: list[float] = []
    for i in np.flatnonzero(np.sign(values[:-1]) * np.sign(values[1:]) < 0):
        lo, hi, v_lo, v_hi = grid[i], grid[i + 1], values[i], values[i + 1]
        for _ in range(60):  # bisection: exact to rounding, whatever the repricing between kinks
            mid = 0.5 * (lo + hi)
            v_mid = float(payoff_at_expiry(strategy, np.array([mid]), market)[0])
            if np.sign(v_mid) == np.sign(v_lo):
                lo, v_lo = mid, v_mid
            else:
                hi, v_hi = mid, v_mid
        found.append(float(lo - v_lo * (hi - lo) / (v_hi - v_lo)))
    found.extend(float(s) for s, v in zip(grid, values, strict=True) if v == 0.0 and s > 0)
    return sorted(found)


def probability_of_profit(
    strategy: Strategy, market: Market, vol: float, drift: float | None = None
) -> float:
    """P(P&L > 0 at the first expiry) with ln S_T ~ N(ln S + (μ - sigma²/2)T, sigma²T);
    μ = r - q unless given."""
    t = horizon(strategy)
    require(t > 0 and vol > 0, "vol", "needs an option leg and a volatility above 0")
    mu = market.rate - market.dividend_yield if drift is None else drift
    edges = [0.0, *breakevens(strategy, market), inf]
    mean, spread = log(market.spot) + (mu - 0.5 * vol * vol) * t, vol * sqrt(t)

    def cdf(s: float) -> float:
        return 0.0 if s <= 0 else 1.0 if s == inf else float(ndtr((log(s) - mean) / spread))

    total = 0.0
    for lo, hi in itertools.pairwise(edges):
        probe = 0.5 * (lo + hi) if hi < inf else max(2.0 * lo, lo + 1.0)
        if payoff_at_expiry(strategy, np.array([probe]), market)[0] > 0:
            total += cdf(hi) - cdf(lo)
    return total


def net_greeks(strategy: Strategy, market: Market) -> Greeks:
    """Position Greeks (sum of units x per-unit Greek); shares add delta 1 per share. ``price``
    is the position's current value."""
    totals = dict.fromkeys(("price", "delta", "gamma", "vega", "theta", "rho", "dividend_rho"), 0.0)
    for leg in strategy.legs:
        if not leg.is_option:
            totals["price"] += leg.units * market.spot
            totals["delta"] += leg.units
            continue
        terms = option_terms(
            spot=market.spot,
            strike=leg.strike,
            years=leg.expiry_years,
            rate=market.rate,
            dividend_yield=market.dividend_yield,
            is_call=leg.kind is LegKind.CALL,
        )
        g = greeks(terms, np.array([leg.vol]))
        for name in totals:
            totals[name] += leg.units * float(getattr(g, name)[0])
    return Greeks(**{name: np.array([value]) for name, value in totals.items()})


def scenario_grid(
    strategy: Strategy,
    market: Market,
    spot_shocks: FloatArray,
    vol_shocks: FloatArray,
    *,
    elapsed_years: float = 0.0,
) -> FloatArray:
    """P&L with rows for relative spot shocks (0.1 = +10%) and columns for absolute vol shifts."""
    spots = market.spot * (1.0 + np.asarray(spot_shocks, dtype=np.float64))
    require(bool(np.all(spots > 0)), "spot_shocks", "must leave the spot above 0 (shocks above -100%)")
    return np.column_stack(
        [pnl(strategy, spots, market, elapsed_years=elapsed_years, vol_shift=float(v)) for v in vol_shocks]
    )


def diagram(strategy: Strategy, market: Market, points: int = 201, elapsed_years: float = 0.0) -> Diagram:
    """P&L at the first expiry and ``elapsed_years`` from now over spots ±50% around today's."""
    spots = np.linspace(0.5 * market.spot, 1.5 * market.spot, points)
    return Diagram(
        spots=spots,
        at_expiry=payoff_at_expiry(strategy, spots, market),
        now=pnl(strategy, spots, market, elapsed_years=elapsed_years),
    )
