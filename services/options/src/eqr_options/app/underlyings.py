"""An underlying's inputs to the chain model: spot, realised volatility, dividend yield.

The volatility is the annualised standard deviation of one year of daily log returns (252
trading days a year), the dividend yield the trailing twelve months of cash dividends over
the price (0 without dividends), the rate the service's risk-free rate.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Final

import numpy as np

from eqr_options.app.ports import UnderlyingMarket
from eqr_options.domain.arrays import FloatArray
from eqr_options.domain.chain import Underlying

TRADING_DAYS_PER_YEAR: Final = 252.0
MIN_RETURNS: Final = 20
"""Fewer daily returns than this do not make a volatility estimate."""
DEFAULT_VOL: Final = 0.30
"""The volatility of an underlying without enough history: a typical single stock's."""
VOL_FLOOR: Final = 0.01
VOL_CAP: Final = 5.0
LOOKBACK: Final = timedelta(days=365)


def realised_vol(closes: FloatArray) -> float:
    """Annualised volatility of daily log returns; ``DEFAULT_VOL`` with under ``MIN_RETURNS``."""
    prices = np.asarray(closes, dtype=np.float64)
    prices = prices[np.isfinite(prices) & (prices > 0)]
    if prices.size <= MIN_RETURNS:
        return DEFAULT_VOL
    returns = np.diff(np.log(prices))
    vol = float(np.std(returns, ddof=1) * np.sqrt(TRADING_DAYS_PER_YEAR))
    return min(max(vol, VOL_FLOOR), VOL_CAP)


def trailing_dividend_yield(dividends: tuple[tuple[date, float], ...], day: date, price: float) -> float:
    """Cash dividends gone ex in the year up to ``day``, over ``price``."""
    paid = sum(amount for ex_date, amount in dividends if day - LOOKBACK < ex_date <= day)
    return paid / price if price > 0 else 0.0


def underlying(market: UnderlyingMarket, day: date, rate: float) -> Underlying:
    return Underlying(
        symbol=market.symbol,
        spot=market.price,
        vol=realised_vol(market.closes),
        rate=rate,
        dividend_yield=trailing_dividend_yield(market.dividends, day, market.price),
    )
