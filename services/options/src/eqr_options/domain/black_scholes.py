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

from dataclasses import dataclass
from math import pi, sqrt
from typing import Final

import numpy as np
from scipy.special import ndtr  # type: ignore[import-untyped]

from eqr_options.domain.arrays import FloatArray, run_in_blocks
from eqr_options.domain.inputs import Model, OptionTerms

DAYS_PER_YEAR: Final = 365.0
_INV_SQRT_2PI: Final = 1.0 / sqrt(2.0 * pi)


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
    sign = terms.sign
    futures = terms.model is Model.BLACK76

    def kernel(rows: slice) -> None:
        s, k, t, v = terms.spot[rows], terms.strike[rows], terms.years[rows], vol[rows]
        r, q, w = terms.rate[rows], terms.carry_yield[rows], sign[rows]
        sqrt_t = np.sqrt(t)
        v_sqrt_t = v * sqrt_t
        d1 = np.log(s / k)
        d1 += (r - q + 0.5 * v * v) * t
        d1 /= v_sqrt_t
        d2 = d1 - v_sqrt_t
        s_dq = np.exp(-q * t)
        s_dq *= s
        k_dr = np.exp(-r * t)
        k_dr *= k
        spot_leg = ndtr(w * d1)  # w·S·e^{-qT}·N(w·d1)
        spot_leg *= s_dq
        spot_leg *= w
        strike_leg = ndtr(w * d2)  # w·K·e^{-rT}·N(w·d2)
        strike_leg *= k_dr
        strike_leg *= w
        np.subtract(spot_leg, strike_leg, out=out.price[rows])
        np.divide(spot_leg, s, out=out.delta[rows])
        vega = out.vega[rows]
        np.multiply(d1, d1, out=vega)
        vega *= -0.5
        np.exp(vega, out=vega)
        vega *= s_dq  # S·e^{-qT}·φ(d1)
        vega *= _INV_SQRT_2PI
        np.divide(vega, s * s * v_sqrt_t, out=out.gamma[rows])
        vega *= sqrt_t
        theta = out.theta[rows]
        np.multiply(vega, v, out=theta)
        theta /= -2.0 * t
        theta += q * spot_leg
        theta -= r * strike_leg
        rho, dividend_rho = out.rho[rows], out.dividend_rho[rows]
        np.multiply(strike_leg, t, out=rho)
        np.multiply(spot_leg, -t, out=dividend_rho)
        if futures:  # the rate is also the carry yield: both move together
            rho += dividend_rho
            dividend_rho[:] = 0.0

    run_in_blocks(kernel, n)
    return out


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
