"""The normalised market-data model every source is translated into.

Prices are floats (display and analytics; the ledger's exact money lives in the portfolio
service). Times are timezone-aware UTC; daily and longer bars start at 00:00 UTC of their
first trading day. Every value carries its ``source``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum


class AssetClass(StrEnum):
    EQUITY = "equity"
    INDEX = "index"
    ETF = "etf"


class Interval(StrEnum):
    M1 = "1m"
    M5 = "5m"
    M15 = "15m"
    H1 = "1h"
    D1 = "1d"
    W1 = "1wk"
    MO1 = "1mo"

    @property
    def is_intraday(self) -> bool:
        return self in (Interval.M1, Interval.M5, Interval.M15, Interval.H1)

    @property
    def minutes(self) -> int:
        """Length of an intraday bar in minutes (0 for daily and longer)."""
        return {Interval.M1: 1, Interval.M5: 5, Interval.M15: 15, Interval.H1: 60}.get(self, 0)


class Source(StrEnum):
    SIMULATED = "simulated"
    ALPHA_VANTAGE = "alphavantage"
    YAHOO = "yahoo"
    FINNHUB = "finnhub"
    IMPORT = "import"


@dataclass(frozen=True)
class Instrument:
    symbol: str
    name: str
    exchange: str
    currency: str
    asset_class: AssetClass
    sector: str = ""
    industry: str = ""
    country: str = "US"
    shares_outstanding: int = 0
    source: str = Source.SIMULATED


@dataclass(frozen=True)
class Quote:
    symbol: str
    price: float
    open: float
    high: float
    low: float
    previous_close: float
    volume: int
    timestamp: datetime
    source: str
    bid: float = math.nan
    ask: float = math.nan
    stale: bool = False

    @property
    def change(self) -> float:
        return self.price - self.previous_close

    @property
    def change_percent(self) -> float:
        return 100.0 * self.change / self.previous_close if self.previous_close else math.nan


@dataclass(frozen=True)
class Bar:
    symbol: str
    interval: Interval
    start: datetime
    open: float
    high: float
    low: float
    close: float
    volume: int
    source: str


class ActionKind(StrEnum):
    SPLIT = "split"
    DIVIDEND = "dividend"


@dataclass(frozen=True)
class CorporateAction:
    """A split (``split_ratio`` new shares per old) or a cash dividend per share, on its ex-date."""

    symbol: str
    ex_date: date
    kind: ActionKind
    split_ratio: float = 0.0
    dividend: float = 0.0
    source: str = Source.SIMULATED


class Period(StrEnum):
    ANNUAL = "annual"
    QUARTERLY = "quarterly"


@dataclass(frozen=True)
class Financials:
    """One reporting period; figures a source does not give are NaN."""

    symbol: str
    period: Period
    fiscal_date: date
    currency: str
    source: str
    revenue: float = math.nan
    cost_of_revenue: float = math.nan
    gross_profit: float = math.nan
    operating_expenses: float = math.nan
    operating_income: float = math.nan
    interest_expense: float = math.nan
    pretax_income: float = math.nan
    income_tax: float = math.nan
    net_income: float = math.nan
    eps_diluted: float = math.nan
    depreciation_amortization: float = math.nan
    ebitda: float = math.nan
    cash_and_equivalents: float = math.nan
    total_current_assets: float = math.nan
    total_assets: float = math.nan
    total_current_liabilities: float = math.nan
    total_debt: float = math.nan
    total_liabilities: float = math.nan
    shareholders_equity: float = math.nan
    shares_outstanding: float = math.nan
    operating_cash_flow: float = math.nan
    capital_expenditure: float = math.nan
    free_cash_flow: float = math.nan
    dividends_paid: float = math.nan


@dataclass(frozen=True)
class NewsItem:
    id: str
    headline: str
    published_at: datetime
    source: str
    symbols: tuple[str, ...] = ()
    summary: str = ""
    publisher: str = ""
    url: str = ""
    sentiment: float = 0.0
    """-1 (very negative) .. +1 (very positive)."""


@dataclass(frozen=True)
class Breadth:
    advancers: int = 0
    decliners: int = 0
    unchanged: int = 0
    new_highs: int = 0
    new_lows: int = 0


@dataclass(frozen=True)
class HistoryRange:
    start: datetime
    end: datetime
    interval: Interval
    adjusted: bool = False

    @property
    def span(self) -> timedelta:
        return self.end - self.start


@dataclass(frozen=True)
class Movers:
    gainers: list[tuple[Instrument, Quote]] = field(default_factory=list)
    losers: list[tuple[Instrument, Quote]] = field(default_factory=list)
    most_active: list[tuple[Instrument, Quote]] = field(default_factory=list)
