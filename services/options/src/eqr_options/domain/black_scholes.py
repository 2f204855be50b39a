"""European prices and analytic Greeks under Black-Scholes-Merton and Black-76.

One generalised formula with cost of carry b = r - q covers both (Black-76 is q = r). Greeks
are sensitivities of one option's price, not scaled by a multiplier:

- ``vega`` per unit of volatility (1.00 = 100 vol points), ``rho`` per unit of the rate,
  ``dividend_rho`` per unit of the dividend yield;
- ``theta`` = -dV/dT per year of calendar time; ``theta_per_day`` = theta / 365;
- for Black-76 ``rho`` moves the discount rate with the futures price held (= -T·V) and
  ``dividend_rho`` is 0;
- ``charm`` and ``colour`` are the changes of delta and gamma per year of calendar time.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from math import pi, sqrt
from typing import Final

import numpy as np
from scipy.special import ndtr  # type: ignore[import-untyped]

from eqr_options.domain.arrays import BoolArray, FloatArray, run_in_blocks
from eqr_options.domain.compiled import compiled
from eqr_options.domain.inputs import Model, OptionTerms

DAYS_PER_YEAR: Final = 365.0
_INV_SQRT_2PI: Final = 1.0 / sqrt(2.0 * pi)
_INV_SQRT_2: Final = 1.0 / sqrt(2.0)


@dataclass(frozen=True, slots=True)
class Greeks:
    """Price and the everyday Greeks, one entry per row of the batch."""

    price: FloatArray
    delta: FloatArray
    gamma: FloatArray
    vega: FloatArray
    theta: FloatArray
    rho: FloatArray
    dividend_rho: FloatArray

    @property
    def theta_per_day(self) -> FloatArray:
        """Theta per calendar day (theta / 365)."""
        return self.theta / DAYS_PER_YEAR


@dataclass(frozen=True, slots=True)
class HigherGreeks:
    """Second- and third-order Greeks, one entry per row of the batch."""

    vanna: FloatArray
    """d delta / d vol"""
    volga: FloatArray
    """d vega / d vol (vomma)"""
    charm: FloatArray
    """d delta / d calendar time, per year"""
    speed: FloatArray
    """d gamma / d spot"""
    zomma: FloatArray
    """d gamma / d vol"""
    colour: FloatArray
    """d gamma / d calendar time, per year"""


def price(terms: OptionTerms, vol: FloatArray) -> FloatArray:
    """European prices of the batch at volatilities ``vol``."""
    return greeks(terms, vol).price


def greeks(terms: OptionTerms, vol: FloatArray) -> Greeks:
    """Price, delta, gamma, vega, theta, rho and dividend rho of every row, in one pass."""
    n = terms.rows
    out = Greeks(*(np.empty(n) for _ in range(7)))
    futures = terms.model is Model.BLACK76

    def kernel(rows: slice) -> None:
        _greeks_rows(
            terms.spot,
            terms.strike,
            terms.years,
            vol,
            terms.rate,
            terms.carry_yield,
            terms.is_call,
            futures,
            out.price,
            out.delta,
            out.gamma,
            out.vega,
            out.theta,
            out.rho,
            out.dividend_rho,
            rows.start,
            rows.stop,
        )

    run_in_blocks(kernel, n, _COMPILED_BLOCK_ROWS)
    return out


_COMPILED_BLOCK_ROWS: Final = 65_536
"""Each call of a compiled kernel costs ~20 µs of argument checks; blocks this large make that
negligible and still give the two threads several blocks each to share."""


@compiled
def _greeks_rows(
    spot: FloatArray,
    strike: FloatArray,
    years: FloatArray,
    vol: FloatArray,
    rate: FloatArray,
    carry_yield: FloatArray,
    is_call: BoolArray,
    futures: bool,
    price: FloatArray,
    delta: FloatArray,
    gamma: FloatArray,
    vega: FloatArray,
    theta: FloatArray,
    rho: FloatArray,
    dividend_rho: FloatArray,
    start: int,
    stop: int,
) -> None:
    """Rows ``start:stop`` of every output: one log, three exps and two erfcs a row."""
    for i in range(start, stop):
        s, k, t, v, r, q = spot[i], strike[i], years[i], vol[i], rate[i], carry_yield[i]
        w = 1.0 if is_call[i] else -1.0
        sqrt_t = math.sqrt(t)
        v_sqrt_t = v * sqrt_t
        d1 = (math.log(s / k) + (r - q + 0.5 * v * v) * t) / v_sqrt_t
        d2 = d1 - v_sqrt_t
        s_dq = s * math.exp(-q * t)
        k_dr = k * math.exp(-r * t)
        spot_leg = w * s_dq * (0.5 * math.erfc(-w * d1 * _INV_SQRT_2))  # w·S·e^{-qT}·N(w·d1)
        strike_leg = w * k_dr * (0.5 * math.erfc(-w * d2 * _INV_SQRT_2))  # w·K·e^{-rT}·N(w·d2)
        price[i] = spot_leg - strike_leg
        delta[i] = spot_leg / s
        density = s_dq * _INV_SQRT_2PI * math.exp(-0.5 * d1 * d1)  # S·e^{-qT}·φ(d1)
        gamma[i] = density / (s * s * v_sqrt_t)
        vega[i] = density * sqrt_t
        theta[i] = density * sqrt_t * v / (-2.0 * t) + q * spot_leg - r * strike_leg
        if futures:  # the rate is also the carry yield: both move together
            rho[i] = (strike_leg - spot_leg) * t
            dividend_rho[i] = 0.0
        else:
            rho[i] = strike_leg * t
            dividend_rho[i] = -spot_leg * t


def higher_greeks(terms: OptionTerms, vol: FloatArray) -> HigherGreeks:
    """Vanna, volga, charm, speed, zomma and colour of every row."""
    s, k, t, v = terms.spot, terms.strike, terms.years, vol
    r, q, w = terms.rate, terms.carry_yield, terms.sign
    b = r - q
    sqrt_t = np.sqrt(t)
    v_sqrt_t = v * sqrt_t
    d1 = (np.log(s / k) + (b + 0.5 * v * v) * t) / v_sqrt_t
    d2 = d1 - v_sqrt_t
    dq = np.exp(-q * t)
    pdf = np.exp(-0.5 * d1 * d1) * _INV_SQRT_2PI
    gamma = dq * pdf / (s * v_sqrt_t)
    vega = s * dq * pdf * sqrt_t
    d1_dt = b / v_sqrt_t - d2 / (2.0 * t)  # ∂d1/∂T
    return HigherGreeks(
        vanna=-dq * pdf * d2 / v,
        volga=vega * d1 * d2 / v,
        charm=-dq * (pdf * d1_dt - w * q * ndtr(w * d1)),
        speed=-gamma / s * (1.0 + d1 / v_sqrt_t),
        zomma=gamma * (d1 * d2 - 1.0) / v,
        colour=-gamma * (-q - d1 * d1_dt - 0.5 / t),
    )
