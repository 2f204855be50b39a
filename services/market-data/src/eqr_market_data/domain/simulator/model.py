"""The daily return model: a market factor with GARCH(1,1) variance and Student-t shocks,
11 sector factors and each name's own noise, plus a weak pull toward the name's price trend.

Log return of equity i on a day::

    r_i = mu_i * elapsed / 365.25 - kappa * d_i + beta_i * m + gamma_i * s_sector(i) + sigma_i * e_i

with ``m = sqrt(h) * z`` (h the GARCH variance, z Student-t scaled to unit variance),
``s`` normal with the sector's daily volatility, ``e`` unit-variance Student-t noise,
``mu`` the trend growth plus the dividend yield (dividends are paid out of the price), and
``d`` the log distance of the split-adjusted price from its trend (``kappa`` is small: a
half-life of half a year, which keeps market caps and index levels near their real
magnitudes over decades while changing daily variances by well under 1%). Day k's shocks
come from its own counter-based stream, so any day can be generated alone and a run
resumed from a ``MarketState`` reproduces an uninterrupted one.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from eqr_market_data.domain.simulator.streams import Stream, generator
from eqr_market_data.domain.simulator.universe import (
    DAYS_PER_YEAR,
    TRADING_DAYS_PER_YEAR,
    EquityParams,
    FloatArray,
)


@dataclass(frozen=True)
class Garch:
    """GARCH(1,1) for the market factor: ``h' = omega + alpha * m^2 + beta * h``."""

    alpha: float = 0.07
    beta: float = 0.90
    annual_vol: float = 0.16
    """The long-run annualised volatility of the market factor."""
    df: float = 6.0
    """Degrees of freedom of the Student-t shocks (fat tails; > 4 so kurtosis is finite)."""

    @property
    def long_run_variance(self) -> float:
        return self.annual_vol**2 / TRADING_DAYS_PER_YEAR

    @property
    def omega(self) -> float:
        return self.long_run_variance * (1.0 - self.alpha - self.beta)

    def next_variance(self, variance: float, market_return: float) -> float:
        return self.omega + self.alpha * market_return**2 + self.beta * variance


@dataclass(frozen=True)
class FactorModel:
    params: EquityParams
    sector_vol: FloatArray
    """Daily volatility of each sector factor."""
    garch: Garch = Garch()
    idio_df: float = 6.0
    reversion: float = math.log(2.0) / (TRADING_DAYS_PER_YEAR / 2)
    """Fraction of the distance to the trend closed per trading day (half-life half a year)."""

    def conditional_variance(self, market_variance: float) -> FloatArray:
        """Each name's daily return variance on a day whose market factor variance is given."""
        p = self.params
        result: FloatArray = (
            p.beta**2 * market_variance + (p.sector_loading * self.sector_vol[p.sector]) ** 2 + p.idio_vol**2
        )
        return result


@dataclass(frozen=True)
class DayReturns:
    log_returns: FloatArray
    market_return: float
    next_variance: float
    """The GARCH variance for the following trading day."""


@dataclass(frozen=True)
class MarketState:
    """Where a generation run stopped: pass it back to continue with the next trading day."""

    day_index: int
    """The last generated day, in calendar days since the epoch."""
    closes: Mapping[str, float]
    """The last raw close of every instrument."""
    split_factors: Mapping[str, float]
    """Each equity's cumulative split ratio since the epoch (new shares per original share)."""
    market_variance: float
    """The GARCH variance of the market factor for the next trading day."""


def unit_student_t(rng: np.random.Generator, df: float, size: int) -> FloatArray:
    draws: FloatArray = rng.standard_t(df, size) * math.sqrt((df - 2.0) / df)
    return draws


def day_returns(
    model: FactorModel,
    seed: int,
    index: int,
    elapsed_days: int,
    log_deviation: FloatArray,
    variance: float,
) -> DayReturns:
    """Log returns of every equity on day ``index``, ``elapsed_days`` after the previous one."""
    p = model.params
    rng = generator(seed, Stream.RETURNS, index)
    market = math.sqrt(variance) * float(unit_student_t(rng, model.garch.df, 1)[0])
    sectors = rng.standard_normal(len(model.sector_vol)) * model.sector_vol
    own = unit_student_t(rng, model.idio_df, len(p.beta)) * p.idio_vol
    drift = (p.trend_growth + p.dividend_yield) * (elapsed_days / DAYS_PER_YEAR)
    returns = (
        drift - model.reversion * log_deviation + p.beta * market + p.sector_loading * sectors[p.sector] + own
    )
    return DayReturns(returns, market, model.garch.next_variance(variance, market))
