"""The simulated universe: the companies, indices, sector ETFs, SPY and the bond fund AGG as
instruments, and the per-name parameters the simulation draws from.

Each equity follows a price trend through its end-of-2024 price (so today's market caps
are of the real magnitude); the trend's value at the epoch is the name's starting price.
Prices on the trend are in end-2024 shares: a name that splits before then trades at a
multiple of them until its split (see ``actions``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from eqr_market_data.domain.model import AssetClass, Instrument
from eqr_market_data.domain.simulator.companies import COMPANIES, DOW_MEMBERS, NASDAQ, Company
from eqr_market_data.domain.simulator.funds import AGG, ETF_EXCHANGE, SPY, BondFund, Distribution
from eqr_market_data.domain.simulator.sectors import SECTORS, sector_position
from eqr_market_data.domain.simulator.streams import day_index, name_hash

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

ANCHOR_DAY = date(2024, 12, 31)
"""The day the companies' facts describe: each trend passes through the 2024 price here."""
TRADING_DAYS_PER_YEAR = 252
DAYS_PER_YEAR = 365.25
INDEX_EXCHANGE = "INDEX"


class Weighting(StrEnum):
    CAP = "cap"
    PRICE = "price"
    EQUAL = "equal"
    """Equal weights at the end of 2024, drifting with prices after."""


@dataclass(frozen=True)
class Benchmark:
    instrument: Instrument
    level_2024: float
    weighting: Weighting
    members: tuple[int, ...]
    """Positions of the member equities in ``SimulatedUniverse.companies``."""
    distribution: Distribution | None = None
    """A fund's payouts (SPY's): its members' dividends, which already came out of the level,
    so paying them out does not move it."""


def years_since_anchor(index: int) -> float:
    """Years from ``ANCHOR_DAY`` to day ``index`` (calendar days since the epoch)."""
    return (index - day_index(ANCHOR_DAY)) / DAYS_PER_YEAR


@dataclass(frozen=True)
class EquityParams:
    """Per-equity parameters, arrays aligned with ``SimulatedUniverse.companies``."""

    sector: IntArray
    beta: FloatArray
    sector_loading: FloatArray
    idio_vol: FloatArray
    """Daily volatility of the name's own noise."""
    dividend_yield: FloatArray
    trend_growth: FloatArray
    anchor_price: FloatArray
    shares: FloatArray
    base_volume: FloatArray
    """Typical shares traded per day."""
    dividend_month: IntArray
    """First month (1..3) of the name's quarterly ex-dividend cycle."""
    dividend_day: IntArray

    def trend_log_price(self, index: int) -> FloatArray:
        """Log of the trend price on day ``index`` (calendar days since the epoch)."""
        result: FloatArray = np.log(self.anchor_price) + self.trend_growth * years_since_anchor(index)
        return result

    @property
    def epoch_price(self) -> FloatArray:
        """The trend price at the epoch (day 0), in end-2024 shares."""
        result: FloatArray = np.exp(self.trend_log_price(0))
        return result


@dataclass(frozen=True)
class SimulatedUniverse:
    companies: tuple[Company, ...]
    equities: tuple[Instrument, ...]
    benchmarks: tuple[Benchmark, ...]
    params: EquityParams
    bond: BondFund

    @property
    def instruments(self) -> list[Instrument]:
        """Equities, then indices, then sector ETFs, then SPY, then the bond fund."""
        return [*self.equities, *(b.instrument for b in self.benchmarks), self.bond.instrument]

    @property
    def sector_vol(self) -> FloatArray:
        """Daily volatility of each sector factor, in ``SECTORS`` order."""
        return np.array([s.factor_vol for s in SECTORS]) / math.sqrt(TRADING_DAYS_PER_YEAR)


def build_universe(companies: Sequence[Company] = COMPANIES) -> SimulatedUniverse:
    companies = tuple(companies)
    if len({c.symbol for c in companies}) != len(companies):
        raise ValueError("duplicate symbols in the universe")
    return SimulatedUniverse(
        companies=companies,
        equities=tuple(_equity_instrument(c) for c in companies),
        benchmarks=_benchmarks(companies),
        params=_equity_params(companies),
        bond=AGG,
    )


def _equity_instrument(company: Company) -> Instrument:
    return Instrument(
        symbol=company.symbol,
        name=company.name,
        exchange=company.exchange,
        currency="USD",
        asset_class=AssetClass.EQUITY,
        sector=company.sector,
        industry=company.industry,
        country="US",
        shares_outstanding=company.shares_outstanding,
    )


def _unit_interval(symbol: str, salt: str) -> float:
    """A stable pseudo-random number in [0, 1) that depends only on the symbol."""
    return name_hash(f"{salt}:{symbol}") / 2.0**64


def _equity_params(companies: tuple[Company, ...]) -> EquityParams:
    caps = np.array([c.market_cap_2024 for c in companies])
    price = np.array([c.price_2024 for c in companies])
    shares = np.array([float(c.shares_outstanding) for c in companies])
    idio_annual = np.clip(0.30 * (caps / 5e10) ** -0.12, 0.14, 0.45)
    turnover = np.clip(0.006 * (caps / 1e11) ** -0.2, 0.002, 0.02)
    hashes = [name_hash(f"dividend:{c.symbol}") for c in companies]
    return EquityParams(
        sector=np.array([sector_position(c.sector) for c in companies], dtype=np.int64),
        beta=np.array([c.beta for c in companies]),
        sector_loading=np.array([0.85 + 0.3 * _unit_interval(c.symbol, "loading") for c in companies]),
        idio_vol=idio_annual / math.sqrt(TRADING_DAYS_PER_YEAR),
        dividend_yield=np.array([c.dividend_yield_percent / 100.0 for c in companies]),
        trend_growth=np.array([SECTORS[sector_position(c.sector)].trend_growth for c in companies]),
        anchor_price=price,
        shares=shares,
        base_volume=turnover * shares,
        dividend_month=np.array([1 + h % 3 for h in hashes], dtype=np.int64),
        dividend_day=np.array([1 + (h >> 8) % 28 for h in hashes], dtype=np.int64),
    )


def _index(symbol: str, name: str) -> Instrument:
    return Instrument(
        symbol=symbol, name=name, exchange=INDEX_EXCHANGE, currency="USD", asset_class=AssetClass.INDEX
    )


def _members(companies: tuple[Company, ...], keep: set[str]) -> tuple[int, ...]:
    return tuple(i for i, c in enumerate(companies) if c.symbol in keep)


def _benchmarks(companies: tuple[Company, ...]) -> tuple[Benchmark, ...]:
    everyone = tuple(range(len(companies)))
    by_cap = sorted(everyone, key=lambda i: companies[i].market_cap_2024)
    small_half = tuple(sorted(by_cap[: max(1, len(by_cap) // 2)])) if companies else ()
    nasdaq = _members(companies, {c.symbol for c in companies if c.exchange == NASDAQ})
    indices = [
        Benchmark(_index("^GSPC", "S&P 500"), 5_882.0, Weighting.CAP, everyone),
        Benchmark(
            _index("^DJI", "Dow Jones Industrial Average"),
            42_544.0,
            Weighting.PRICE,
            _members(companies, set(DOW_MEMBERS)),
        ),
        Benchmark(_index("^IXIC", "NASDAQ Composite"), 19_311.0, Weighting.CAP, nasdaq),
        Benchmark(_index("^RUT", "Russell 2000"), 2_230.0, Weighting.EQUAL, small_half),
    ]
    etfs = [
        Benchmark(
            Instrument(
                symbol=sector.etf_symbol,
                name=sector.etf_name,
                exchange=ETF_EXCHANGE,
                currency="USD",
                asset_class=AssetClass.ETF,
                sector=sector.name,
            ),
            sector.etf_price_2024,
            Weighting.CAP,
            _members(companies, {c.symbol for c in companies if c.sector == sector.name}),
        )
        for sector in SECTORS
    ]
    spy = Benchmark(SPY.instrument, SPY.price_2024, Weighting.CAP, everyone, SPY.distribution)
    return tuple(b for b in (*indices, *etfs, spy) if b.members)
