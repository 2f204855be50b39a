"""The bond fund's returns: a low-volatility price outside the equity factor model.

Log return on a day::

    r = (g + y) * elapsed / 365.25 - kappa * d + b * m + s * e

with ``g`` the fund's trend growth, ``y`` its distribution yield (paid out of the price),
``d`` the log distance of the price from its trend, ``kappa`` the equities' pull to the
trend, ``m`` the day's equity market factor return and ``e`` unit-variance Student-t noise.
``b`` and ``s`` are set so that, at the market factor's long-run variance, the fund has its
annual volatility and its correlation with the market factor. ``e`` comes from the fund's
own streams (``Stream.BOND`` by day, ``Stream.BOND_TICK`` live), so the equities' draws do
not depend on the fund.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from eqr_market_data.domain.simulator.funds import BondFund
from eqr_market_data.domain.simulator.model import FactorModel, unit_student_t
from eqr_market_data.domain.simulator.streams import Stream, generator
from eqr_market_data.domain.simulator.universe import DAYS_PER_YEAR, TRADING_DAYS_PER_YEAR, years_since_anchor


@dataclass(frozen=True)
class BondModel:
    fund: BondFund
    equities: FactorModel
    """Where the market factor, the pull to the trend and the noise's tails come from."""

    @property
    def market_loading(self) -> float:
        """``b``: the daily log return per unit of the market factor's return."""
        return self.fund.equity_correlation * self.fund.annual_vol / self.equities.garch.annual_vol

    @property
    def own_vol(self) -> float:
        """``s``: the daily volatility of the fund's own noise."""
        correlation = self.fund.equity_correlation
        return self.fund.annual_vol * math.sqrt((1.0 - correlation**2) / TRADING_DAYS_PER_YEAR)

    def variance(self, market_variance: float) -> float:
        """The daily return variance on a day whose market factor variance is given."""
        return self.market_loading**2 * market_variance + self.own_vol**2

    def trend_log_price(self, index: int) -> float:
        """Log of the trend price on day ``index``: through the 2024 price at ``trend_growth``."""
        return math.log(self.fund.price_2024) + self.fund.trend_growth * years_since_anchor(index)

    def log_return(
        self, rng: np.random.Generator, elapsed_days: int, log_deviation: float, market_return: float
    ) -> float:
        """The day's log return, ``elapsed_days`` after the previous trading day."""
        growth = self.fund.trend_growth + self.fund.distribution.annual_yield
        own = self.own_vol * float(unit_student_t(rng, self.equities.idio_df, 1)[0])
        return (
            growth * elapsed_days / DAYS_PER_YEAR
            - self.equities.reversion * log_deviation
            + self.market_loading * market_return
            + own
        )

    def tick_growth(self, seed: int, counter: int, market_return: float, scale: float) -> float:
        """The price factor of one live step whose market factor moved ``market_return``:
        ``scale`` is the step's share of a day's volatility; the step is a martingale."""
        rng = generator(seed, Stream.BOND_TICK, counter)
        own = self.own_vol * float(unit_student_t(rng, self.equities.idio_df, 1)[0])
        shock = scale * (self.market_loading * market_return + own)
        return math.exp(shock - 0.5 * scale**2 * self.variance(self.equities.garch.long_run_variance))
