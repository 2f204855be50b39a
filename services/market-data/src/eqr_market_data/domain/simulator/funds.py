"""The two broad funds beside the sector ETFs, with approximate end-of-2024 facts.

SPY (the S&P 500 ETF) holds every simulated equity at cap weights, so its price is a
benchmark level like the sector ETFs'. AGG (the US aggregate bond ETF) has its own low
volatility process (see ``bond``); its volatility, its correlation with the equity market
and its price trend are the simulation's parameters for it. Both pay cash distributions on
a fixed schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from eqr_market_data.domain.model import AssetClass, Instrument

ETF_EXCHANGE = "NYSE Arca"
MONTHLY = tuple(range(1, 13))
QUARTERLY = (3, 6, 9, 12)


@dataclass(frozen=True)
class Distribution:
    """Cash paid out at ``annual_yield`` of the price a year, in equal parts going ex on the
    first trading day on or after ``day`` (1..28) of each of ``months``."""

    annual_yield: float
    months: tuple[int, ...]
    day: int

    def dividend(self, previous_close: float, previous_day: date, day: date) -> float:
        """The cash per share going ex on ``day``, the trading day after ``previous_day`` (0 if none)."""
        cash = round(previous_close * self.annual_yield / len(self.months), 2)
        return cash if cash >= 0.01 and self._scheduled_between(previous_day, day) else 0.0

    def _scheduled_between(self, previous_day: date, day: date) -> bool:
        """Whether a scheduled date falls in ``(previous_day, day]``."""
        year, month = previous_day.year, previous_day.month
        while (year, month) <= (day.year, day.month):
            if month in self.months and previous_day < date(year, month, self.day) <= day:
                return True
            year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        return False


@dataclass(frozen=True)
class Fund:
    instrument: Instrument
    price_2024: float
    """Approximate close at the end of 2024, the level the simulated fund is scaled to."""
    distribution: Distribution


@dataclass(frozen=True)
class BondFund(Fund):
    annual_vol: float
    """Long-run annualised volatility of the daily log returns."""
    equity_correlation: float
    """Correlation of the daily returns with the equity market factor."""
    trend_growth: float
    """Long-run annual growth of the price (excluding distributions)."""
    typical_volume: float
    """Typical shares traded per day."""


def _etf(symbol: str, name: str, shares_outstanding: int) -> Instrument:
    return Instrument(
        symbol=symbol,
        name=name,
        exchange=ETF_EXCHANGE,
        currency="USD",
        asset_class=AssetClass.ETF,
        shares_outstanding=shares_outstanding,
    )


SPY = Fund(
    _etf("SPY", "SPDR S&P 500 ETF Trust", 1_080_000_000),
    price_2024=586.0,
    distribution=Distribution(annual_yield=0.012, months=QUARTERLY, day=20),
)
"""Goes ex around the third Friday of the last month of each quarter."""

AGG = BondFund(
    _etf("AGG", "iShares Core U.S. Aggregate Bond ETF", 1_230_000_000),
    price_2024=96.9,
    distribution=Distribution(annual_yield=0.037, months=MONTHLY, day=1),
    annual_vol=0.055,
    equity_correlation=-0.1,
    trend_growth=-0.005,
    typical_volume=8_000_000.0,
)
"""Goes ex on the first trading day of each month; the trend puts it near 104 in 2010."""
