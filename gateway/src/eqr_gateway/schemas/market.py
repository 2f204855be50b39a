"""Market data: instruments, quotes, history, fundamentals, news and market summaries.

Every value names where it came from (``source``: "simulated", "alphavantage", "yahoo",
"finnhub", "import"). Prices are float64: market data is for display and analytics.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from datetime import time as clock
from typing import Annotated, Any, Literal

from fastapi import Path
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field
from pydantic.config import JsonDict
from pydantic_core import PydanticCustomError

SYMBOL_CHARS = r"^[A-Za-z0-9^][A-Za-z0-9.^=\-]{0,14}$"
_SYMBOL = re.compile(SYMBOL_CHARS)
_ALPHANUMERIC = re.compile(r"[A-Za-z0-9]")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATE_PREFIX = re.compile(r"\d{4}-\d{2}-\d{2}")
SYMBOL_SCHEMA: JsonDict = {"pattern": SYMBOL_CHARS, "minLength": 1, "maxLength": 15}
SYMBOL_DESCRIPTION = (
    'Ticker: 1-15 of A-Z, 0-9, ".", "^", "=", "-", starting with a letter, a digit or "^" '
    '("BRK.B", "^GSPC"); case-insensitive.'
)

Interval = Literal["1m", "5m", "15m", "1h", "1d", "1wk", "1mo"]
HistoryRange = Literal["1d", "5d", "1mo", "3mo", "6mo", "ytd", "1y", "2y", "5y", "10y", "max"]
Period = Literal["annual", "quarterly"]
ImportFormat = Literal["csv", "stooq"]
Severity = Literal["rejected", "flagged"]
AssetClass = Literal["equity", "index", "etf", "unspecified"]


def symbol_problem(raw: str) -> str | None:
    """Why ``raw`` is not a symbol, or None when it is one."""
    if not _SYMBOL.fullmatch(raw):
        return 'must be 1 to 15 of A-Z, 0-9, ".", "^", "=", "-", starting with a letter, a digit or "^"'
    if ".." in raw:
        return 'must not contain ".."'
    if not _ALPHANUMERIC.search(raw):
        return "must contain a letter or a digit"
    return None


def normalised_symbol(raw: str) -> str:
    """The upper-case symbol; a pydantic error naming the rule otherwise."""
    problem = symbol_problem(raw)
    if problem is not None:
        raise PydanticCustomError("symbol", problem)
    return raw.upper()


# A symbol as the client may write it, checked and upper-cased (wrap in Path, Query or Form).
SymbolText = Annotated[str, AfterValidator(normalised_symbol)]
SymbolPath = Annotated[
    SymbolText, Path(description=SYMBOL_DESCRIPTION, examples=["AAPL"], json_schema_extra=SYMBOL_SCHEMA)
]


def _day(value: object, moment: clock) -> object:
    if isinstance(value, str) and not _DATE_PREFIX.match(value):
        # Not a number of seconds either, which pydantic would take for a Unix time.
        raise PydanticCustomError("date", "an ISO 8601 date (2025-01-02) or date-time is expected")
    if isinstance(value, str) and _DATE_ONLY.fullmatch(value):
        try:
            day = date.fromisoformat(value)
        except ValueError as exc:
            raise PydanticCustomError("date", "not a valid date: {reason}", {"reason": str(exc)}) from None
        return datetime.combine(day, moment, tzinfo=UTC)
    return value


def _day_start(value: object) -> object:
    return _day(value, clock.min)


def _day_end(value: object) -> object:
    return _day(value, clock.max)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before year 1 in UTC
        raise PydanticCustomError("date", "is outside the years 1 to 9999 in UTC") from None


# ISO 8601 date-times; a time without offset is UTC. A bare date is the start of that UTC day
# as a lower bound and its end as an upper bound, so `from=2025-01-02&to=2025-01-02` is that day.
RangeStart = Annotated[datetime, BeforeValidator(_day_start), AfterValidator(_utc)]
RangeEnd = Annotated[datetime, BeforeValidator(_day_end), AfterValidator(_utc)]

_INSTRUMENT_EXAMPLE: JsonDict = {
    "symbol": "AAPL",
    "name": "Apple Inc.",
    "exchange": "NASDAQ",
    "currency": "USD",
    "asset_class": "equity",
    "sector": "Information Technology",
    "industry": "Technology Hardware, Storage & Peripherals",
    "country": "US",
    "shares_outstanding": 15204137000,
    "market_cap": 3489000000000.0,
    "source": "simulated",
}
_QUOTE_EXAMPLE: JsonDict = {
    "symbol": "AAPL",
    "price": 229.87,
    "open": 228.1,
    "high": 230.4,
    "low": 227.65,
    "previous_close": 227.52,
    "change": 2.35,
    "change_percent": 1.0329,
    "volume": 38211400,
    "bid": 229.86,
    "ask": 229.88,
    "timestamp": "2025-03-14T15:42:07Z",
    "source": "simulated",
    "stale": False,
}
_MOVER_EXAMPLE: JsonDict = {"instrument": _INSTRUMENT_EXAMPLE, "quote": _QUOTE_EXAMPLE}
_BREADTH_EXAMPLE: JsonDict = {
    "advancers": 312,
    "decliners": 171,
    "unchanged": 17,
    "new_highs": 9,
    "new_lows": 3,
}
_ISSUE_EXAMPLE: JsonDict = {
    "line": 42,
    "field": "close",
    "message": "close 183.2 is outside [low 184.0, high 186.5]",
    "severity": "rejected",
}


def _examples(example: Any) -> ConfigDict:
    return ConfigDict(json_schema_extra={"examples": [example]})


class Instrument(BaseModel):
    model_config = _examples(_INSTRUMENT_EXAMPLE)

    symbol: str
    name: str
    exchange: str = Field(description='Short exchange name: "NASDAQ", "NYSE", "INDEX".')
    currency: str = Field(description="ISO 4217 code.")
    asset_class: AssetClass
    sector: str | None = Field(description="GICS sector; null for indices.")
    industry: str | None = Field(description="GICS industry; null for indices.")
    country: str | None = Field(description="ISO 3166-1 alpha-2; null when unknown.")
    shares_outstanding: int | None = Field(description="Null when unknown (indices).")
    market_cap: float | None = Field(description="Null when unknown (indices).")
    source: str


class Quote(BaseModel):
    model_config = _examples(_QUOTE_EXAMPLE)

    symbol: str
    price: float
    open: float
    high: float
    low: float
    previous_close: float
    change: float
    change_percent: float = Field(description="Percent: 1.5 means +1.5 %.")
    volume: int
    bid: float | None = Field(description="Null when the source has no order book (indices).")
    ask: float | None = Field(description="Null when the source has no order book (indices).")
    timestamp: datetime = Field(description="When the source last priced it (UTC).")
    source: str
    stale: bool = Field(
        description="True when the source could not be refreshed and this is the last known value."
    )


class QuoteBatch(BaseModel):
    model_config = _examples({"quotes": [_QUOTE_EXAMPLE], "unknown_symbols": ["NOPE"]})

    quotes: list[Quote] = Field(description="In the order asked, once per symbol.")
    unknown_symbols: list[str] = Field(description="Symbols asked for that are not known; not an error.")


class StockDetail(BaseModel):
    model_config = _examples({"instrument": _INSTRUMENT_EXAMPLE, "quote": _QUOTE_EXAMPLE})

    instrument: Instrument
    quote: Quote | None = Field(description="The latest quote; null when none is available.")


class InstrumentList(BaseModel):
    model_config = _examples({"items": [_INSTRUMENT_EXAMPLE]})

    items: list[Instrument] = Field(description="Best match (or closest peer) first.")


class Bar(BaseModel):
    t: datetime = Field(
        description="Start of the bar (UTC, whole seconds); daily and longer bars start at 00:00."
    )
    o: float = Field(description="Open.")
    h: float = Field(description="High.")
    l: float = Field(description="Low.")  # noqa: E741 - the compact OHLCV name
    c: float = Field(description="Close.")
    v: int = Field(description="Volume.")


class History(BaseModel):
    model_config = _examples(
        {
            "symbol": "AAPL",
            "interval": "1d",
            "adjusted": True,
            "source": "simulated",
            "bars": [
                {"t": "2025-03-13T00:00:00Z", "o": 226.1, "h": 228.9, "l": 225.7, "c": 227.5, "v": 41021300},
                {"t": "2025-03-14T00:00:00Z", "o": 228.1, "h": 230.4, "l": 227.6, "c": 229.9, "v": 38211400},
            ],
        }
    )

    symbol: str
    interval: Interval
    adjusted: bool = Field(description="True: back-adjusted for splits and dividends; false: as traded.")
    source: str
    bars: list[Bar] = Field(description="Oldest first.")


class MarketMover(BaseModel):
    """A benchmark or a stock with its latest move."""

    model_config = _examples(_MOVER_EXAMPLE)

    instrument: Instrument
    quote: Quote


class MarketMoverList(BaseModel):
    model_config = _examples({"items": [_MOVER_EXAMPLE]})

    items: list[MarketMover]


class Movers(BaseModel):
    model_config = _examples({"gainers": [_MOVER_EXAMPLE], "losers": [], "most_active": [_MOVER_EXAMPLE]})

    gainers: list[MarketMover] = Field(description="Largest percentage rise first.")
    losers: list[MarketMover] = Field(description="Largest percentage fall first.")
    most_active: list[MarketMover] = Field(description="Highest volume first.")


class Breadth(BaseModel):
    """Counted by market data over the latest quote of every stock in its universe: a figure of
    ours rather than a source's, so it carries no ``source`` (each quote it counts has one)."""

    model_config = _examples(_BREADTH_EXAMPLE)

    advancers: int
    decliners: int
    unchanged: int
    new_highs: int = Field(description="Names at a 52-week high today.")
    new_lows: int = Field(description="Names at a 52-week low today.")


class MarketOverview(BaseModel):
    model_config = _examples(
        {
            "indices": [_MOVER_EXAMPLE],
            "sectors": [_MOVER_EXAMPLE],
            "gainers": [_MOVER_EXAMPLE],
            "losers": [],
            "most_active": [_MOVER_EXAMPLE],
            "breadth": _BREADTH_EXAMPLE,
            "as_of": "2025-03-14T15:42:07Z",
            "market_status": "open",
        }
    )

    indices: list[MarketMover]
    sectors: list[MarketMover] = Field(description="The 11 GICS sector benchmarks.")
    gainers: list[MarketMover]
    losers: list[MarketMover]
    most_active: list[MarketMover]
    breadth: Breadth
    as_of: datetime | None
    market_status: Literal["open", "closed"]


class MarketSentiment(BaseModel):
    model_config = _examples(
        {
            "news_sentiment": 0.12,
            "news_count": 184,
            "breadth": _BREADTH_EXAMPLE,
            "as_of": "2025-03-14T15:42:07Z",
        }
    )

    news_sentiment: float = Field(
        description="Mean news sentiment over the last 24 hours, -1..+1, of the headlines stored from"
        " every source (each headline names its own)."
    )
    news_count: int = Field(description="Headlines in that mean.")
    breadth: Breadth
    as_of: datetime | None


class NewsItem(BaseModel):
    model_config = _examples(
        {
            "id": "n-5f0c6f2b",
            "symbols": ["AAPL"],
            "headline": "Apple widens services lead as subscriptions climb",
            "summary": "Services revenue rose for the ninth quarter running.",
            "publisher": "Market Wire",
            "url": "https://news.example.com/apple-services",
            "published_at": "2025-03-14T13:05:00Z",
            "sentiment": 0.41,
            "source": "simulated",
        }
    )

    id: str
    symbols: list[str]
    headline: str
    summary: str
    publisher: str
    url: str | None = Field(description="Null when the source gives no link.")
    published_at: datetime | None
    sentiment: float = Field(description="-1 (very negative) .. +1 (very positive).")
    source: str


class NewsList(BaseModel):
    items: list[NewsItem] = Field(description="Newest first.")


class Financials(BaseModel):
    """One reporting period; figures the source does not give are null."""

    model_config = _examples(
        {
            "symbol": "AAPL",
            "period": "annual",
            "fiscal_date": "2024-09-28",
            "currency": "USD",
            "revenue": 391035000000.0,
            "net_income": 93736000000.0,
            "eps_diluted": 6.08,
            "free_cash_flow": 108807000000.0,
            "source": "simulated",
        }
    )

    symbol: str
    period: Period
    fiscal_date: date | None
    currency: str
    revenue: float | None
    cost_of_revenue: float | None
    gross_profit: float | None
    operating_expenses: float | None
    operating_income: float | None
    interest_expense: float | None
    pretax_income: float | None
    income_tax: float | None
    net_income: float | None
    eps_diluted: float | None
    depreciation_amortization: float | None
    ebitda: float | None
    cash_and_equivalents: float | None
    total_current_assets: float | None
    total_assets: float | None
    total_current_liabilities: float | None
    total_debt: float | None
    total_liabilities: float | None
    shareholders_equity: float | None
    shares_outstanding: float | None
    operating_cash_flow: float | None
    capital_expenditure: float | None
    free_cash_flow: float | None
    dividends_paid: float | None
    source: str


class FinancialsList(BaseModel):
    symbol: str
    period: Period
    items: list[Financials] = Field(description="Most recent period first.")


class ImportIssue(BaseModel):
    model_config = _examples(_ISSUE_EXAMPLE)

    line: int = Field(
        description="Line of the file (1 = the header); 0 for the file as a whole (a calendar gap)."
    )
    field: str = Field(description='The column at fault ("date", "close" ...); empty for the whole row.')
    message: str
    severity: Severity = Field(description="rejected: not stored; flagged: stored, but suspicious.")


class ImportReport(BaseModel):
    model_config = _examples(
        {
            "symbol": "AAPL",
            "format": "csv",
            "dry_run": False,
            "accepted": 2516,
            "rejected": 1,
            "flagged": 2,
            "issues": [_ISSUE_EXAMPLE],
            "first_date": "2015-03-16",
            "last_date": "2025-03-14",
        }
    )

    symbol: str
    format: ImportFormat
    dry_run: bool = Field(description="True: validated only, nothing stored.")
    accepted: int
    rejected: int
    flagged: int
    issues: list[ImportIssue]
    first_date: date | None = Field(description="First trading day accepted; null when none was.")
    last_date: date | None = Field(description="Last trading day accepted; null when none was.")


class QualityCount(BaseModel):
    check: str = Field(examples=["close_outside_range"])
    severity: Severity
    count: int


class QualityReport(BaseModel):
    model_config = _examples(
        {
            "symbol": "AAPL",
            "counts": [{"check": "close_outside_range", "severity": "rejected", "count": 1}],
            "recent": [_ISSUE_EXAMPLE],
        }
    )

    symbol: str | None = Field(description="Null: every symbol.")
    counts: list[QualityCount]
    recent: list[ImportIssue] = Field(description="The latest issues, newest first.")
