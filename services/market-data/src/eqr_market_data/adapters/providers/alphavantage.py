"""Alpha Vantage (https://www.alphavantage.co/documentation/): every function behind ``/query``.

The API answers HTTP 200 even for errors; the body says what went wrong:
``{"Error Message": ...}`` (unknown symbol or a rejected key), ``{"Note": ...}`` or
``{"Information": ...}`` (rate limit, premium-only function or parameter, invalid inputs) and
``{}`` (nothing known about the symbol). A free key allows 25 requests a day and 5 a
minute, which is the default limiter; ``TIME_SERIES_DAILY_ADJUSTED`` needs a premium plan, so
free keys get daily bars from ``TIME_SERIES_DAILY`` and no corporate actions.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from functools import partial
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import httpx

from eqr_market_data.adapters.providers.batch import quote_each
from eqr_market_data.adapters.providers.client import ProviderClient, Reply, Resilience
from eqr_market_data.adapters.providers.inputs import intraday_code, search_text
from eqr_market_data.adapters.providers.payload import (
    MalformedPayload,
    arr,
    at_midnight_utc,
    field,
    iso_date,
    known_symbol,
    local_datetime,
    number,
    obj,
    optional_number,
    optional_text,
    text,
    whole,
)
from eqr_market_data.app.ports import NotFoundAtSource, NotSupported, SourceError
from eqr_market_data.domain.model import (
    ActionKind,
    AssetClass,
    Bar,
    CorporateAction,
    Financials,
    Instrument,
    Interval,
    NewsItem,
    Period,
    Quote,
    Source,
)
from eqr_market_data.domain.symbols import normalise_symbol
from eqr_platform.resilience import CircuitBreaker, Clock, RateLimiter, Sleep

T = TypeVar("T")

DEFAULT_BASE_URL = "https://www.alphavantage.co"
FREE_REQUESTS_PER_DAY = 25
FREE_REQUESTS_PER_MINUTE = 5

_EASTERN = ZoneInfo("America/New_York")
_SESSION_CLOSE = clock_time(16, 0)
_INTRADAY = {Interval.M1: "1min", Interval.M5: "5min", Interval.M15: "15min", Interval.H1: "60min"}
_MAX_INTRADAY_MONTHS = 3
_COMPACT_CALENDAR_DAYS = 140
"""A compact daily series holds the latest 100 trading days, about 140 calendar days."""
_MAX_NEWS = 1000

_ASSET_CLASSES = {"common stock": AssetClass.EQUITY, "equity": AssetClass.EQUITY, "etf": AssetClass.ETF}
_COUNTRIES = {"USA": "US", "United States": "US", "United Kingdom": "GB"}

_INCOME_FIELDS = {
    "revenue": "totalRevenue",
    "cost_of_revenue": "costOfRevenue",
    "gross_profit": "grossProfit",
    "operating_expenses": "operatingExpenses",
    "operating_income": "operatingIncome",
    "interest_expense": "interestExpense",
    "pretax_income": "incomeBeforeTax",
    "income_tax": "incomeTaxExpense",
    "net_income": "netIncome",
    "depreciation_amortization": "depreciationAndAmortization",
    "ebitda": "ebitda",
}
_BALANCE_FIELDS = {
    "cash_and_equivalents": "cashAndCashEquivalentsAtCarryingValue",
    "total_current_assets": "totalCurrentAssets",
    "total_assets": "totalAssets",
    "total_current_liabilities": "totalCurrentLiabilities",
    "total_debt": "shortLongTermDebtTotal",
    "total_liabilities": "totalLiabilities",
    "shareholders_equity": "totalShareholderEquity",
    "shares_outstanding": "commonStockSharesOutstanding",
}
_CASH_FLOW_FIELDS = {
    "operating_cash_flow": "operatingCashflow",
    "capital_expenditure": "capitalExpenditures",
    "dividends_paid": "dividendPayout",
}
_STATEMENTS = (
    ("INCOME_STATEMENT", _INCOME_FIELDS),
    ("BALANCE_SHEET", _BALANCE_FIELDS),
    ("CASH_FLOW", _CASH_FLOW_FIELDS),
)


def default_resilience(clock: Clock = time.time, sleep: Sleep = asyncio.sleep) -> Resilience:
    """The free plan's limits: 5 requests a minute, 25 a day."""
    return Resilience(
        limiter=RateLimiter(
            FREE_REQUESTS_PER_MINUTE, 60, daily_budget=FREE_REQUESTS_PER_DAY, clock=clock, sleep=sleep
        ),
        breaker=CircuitBreaker(failure_threshold=5, cool_down=60, clock=clock),
    )


@dataclass(frozen=True)
class _DailyRow:
    day: date
    open: float
    high: float
    low: float
    close: float
    volume: int
    dividend: float = 0.0
    split: float = 1.0


@dataclass(frozen=True)
class _Statement:
    currency: str
    values: dict[str, float]


class AlphaVantageSource:
    """Quotes, daily and intraday bars, corporate actions (premium), overview, fundamentals,
    symbol search and news with sentiment."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        premium: bool = False,
        resilience: Resilience | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("Alpha Vantage needs an API key")
        self._api_key = api_key
        self._premium = premium
        self._clock = clock
        self._client = ProviderClient(
            source=Source.ALPHA_VANTAGE,
            http=http,
            base_url=base_url,
            resilience=resilience or default_resilience(clock, sleep),
            check=self._check,
            secrets=[api_key],
            clock=clock,
            sleep=sleep,
        )

    @property
    def name(self) -> str:
        return Source.ALPHA_VANTAGE

    async def instrument(self, symbol: str) -> Instrument:
        symbol = normalise_symbol(symbol)
        return await self._query("OVERVIEW", {"symbol": symbol}, lambda payload: _instrument(symbol, payload))

    async def search(self, query: str, limit: int) -> list[Instrument]:
        keywords = search_text(query)
        if not keywords or limit <= 0:
            return []
        matches = await self._query("SYMBOL_SEARCH", {"keywords": keywords}, _search_matches)
        return matches[:limit]

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        return await quote_each(self.name, symbols, self._quote)

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        symbol = normalise_symbol(symbol)
        if start > end:
            return []
        recent = start >= self._today() - timedelta(days=_COMPACT_CALENDAR_DAYS)
        function = "TIME_SERIES_DAILY_ADJUSTED" if self._premium else "TIME_SERIES_DAILY"
        rows = await self._query(
            function,
            {"symbol": symbol, "outputsize": "compact" if recent else "full"},
            lambda payload: _daily_rows(payload, adjusted=self._premium),
        )
        return [_daily_bar(symbol, row) for row in rows if start <= row.day <= end]

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]:
        symbol = normalise_symbol(symbol)
        av_interval = intraday_code(interval, _INTRADAY, start, end)
        if start > end:
            return []
        months = _months(start.astimezone(_EASTERN).date(), end.astimezone(_EASTERN).date())
        if len(months) > _MAX_INTRADAY_MONTHS:
            raise NotSupported(
                f"{self.name}: intraday history is served a month per request; at most "
                f"{_MAX_INTRADAY_MONTHS} months per call"
            )
        bars: dict[datetime, Bar] = {}
        for month in months:
            params = {
                "symbol": symbol,
                "interval": av_interval,
                "month": month,
                "outputsize": "full",
                "adjusted": "false",
                "extended_hours": "false",
            }
            for bar in await self._query(
                "TIME_SERIES_INTRADAY",
                params,
                lambda payload: _intraday_bars(payload, symbol, interval, av_interval, self.name),
            ):
                if start <= bar.start <= end:
                    bars[bar.start] = bar
        return [bars[moment] for moment in sorted(bars)]

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        symbol = normalise_symbol(symbol)
        rows = await self._query(
            "TIME_SERIES_DAILY_ADJUSTED",
            {"symbol": symbol, "outputsize": "full"},
            lambda payload: _daily_rows(payload, adjusted=True),
        )
        actions: list[CorporateAction] = []
        for row in rows:
            if row.split != 1.0:
                actions.append(
                    CorporateAction(
                        symbol, row.day, ActionKind.SPLIT, split_ratio=row.split, source=self.name
                    )
                )
            if row.dividend > 0:
                actions.append(
                    CorporateAction(
                        symbol, row.day, ActionKind.DIVIDEND, dividend=row.dividend, source=self.name
                    )
                )
        return actions

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        symbol = normalise_symbol(symbol)
        reports = "annualReports" if period is Period.ANNUAL else "quarterlyReports"
        statements: list[dict[date, _Statement]] = []
        for function, fields in _STATEMENTS:
            parse = partial(_statements, reports=reports, fields=fields)
            statements.append(await self._query(function, {"symbol": symbol}, parse))
        fiscal_dates = sorted({day for statement in statements for day in statement}, reverse=True)
        return [self._financials(symbol, period, day, statements) for day in fiscal_dates]

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        ticker = normalise_symbol(symbol) if symbol is not None else None
        if limit <= 0:
            return []
        params = {"sort": "LATEST", "limit": str(min(limit, _MAX_NEWS))}
        if ticker is not None:
            params["tickers"] = ticker
        items = await self._query("NEWS_SENTIMENT", params, lambda payload: _news(payload, ticker))
        return sorted(items, key=lambda item: item.published_at, reverse=True)[:limit]

    async def _quote(self, symbol: str) -> Quote:
        return await self._query(
            "GLOBAL_QUOTE", {"symbol": symbol}, lambda payload: self._parse_quote(symbol, payload)
        )

    def _parse_quote(self, symbol: str, payload: dict[str, Any]) -> Quote:
        quote = obj(field(payload, "Global Quote", "GLOBAL_QUOTE"), "Global Quote")
        if not quote:
            raise NotFoundAtSource(f"{self.name}: no quote for {symbol}")
        trading_day = iso_date(field(quote, "07. latest trading day", "quote"), "latest trading day")
        return Quote(
            symbol=symbol,
            price=number(field(quote, "05. price", "quote"), "price"),
            open=number(field(quote, "02. open", "quote"), "open"),
            high=number(field(quote, "03. high", "quote"), "high"),
            low=number(field(quote, "04. low", "quote"), "low"),
            previous_close=number(field(quote, "08. previous close", "quote"), "previous close"),
            volume=whole(field(quote, "06. volume", "quote"), "volume"),
            timestamp=self._quote_time(trading_day),
            source=self.name,
        )

    def _quote_time(self, trading_day: date) -> datetime:
        """The quote carries only its trading day: its close, or now while that day is running."""
        close = datetime.combine(trading_day, _SESSION_CLOSE, _EASTERN).astimezone(UTC)
        return min(close, datetime.fromtimestamp(self._clock(), UTC))

    def _today(self) -> date:
        return datetime.fromtimestamp(self._clock(), UTC).date()

    def _financials(
        self, symbol: str, period: Period, day: date, statements: list[dict[date, _Statement]]
    ) -> Financials:
        present = [statement[day] for statement in statements if day in statement]
        figures: dict[str, Any] = {}  # Financials field name -> float
        for statement in present:
            figures.update(statement.values)
        operating_cash_flow = figures.get("operating_cash_flow", math.nan)
        capital_expenditure = figures.get("capital_expenditure", math.nan)
        figures["free_cash_flow"] = operating_cash_flow - abs(capital_expenditure)
        return replace(Financials(symbol, period, day, present[0].currency, self.name), **figures)

    async def _query(self, function: str, params: dict[str, str], parse: Callable[[dict[str, Any]], T]) -> T:
        return await self._client.get(
            "/query",
            {"function": function, **params, "apikey": self._api_key},
            lambda payload: parse(obj(payload, function)),
            what=function,
        )

    def _check(self, reply: Reply) -> None:
        payload = reply.payload
        if not isinstance(payload, dict):
            return
        if not payload:
            raise NotFoundAtSource(f"{self.name}: empty answer (unknown symbol)")
        if "Error Message" in payload:
            message = str(payload["Error Message"])
            if "apikey" in message.lower():
                raise SourceError(f"{self.name}: the API key was rejected")
            raise NotFoundAtSource(f"{self.name}: {self._client.redact(message)}")
        for key in ("Note", "Information"):
            if key in payload:
                raise self._notice(str(payload[key]))

    def _notice(self, message: str) -> SourceError:
        """What a ``Note`` or ``Information`` message means. The rate-limit messages also
        advertise premium plans and endpoints, so premium-only answers are matched narrowly."""
        lowered = message.lower()
        if "is a premium endpoint" in lowered or "is a premium feature" in lowered:
            return NotSupported(f"{self.name}: this function or parameter needs a premium plan")
        if "invalid inputs" in lowered:
            return NotFoundAtSource(f"{self.name}: invalid inputs (unknown symbol)")
        if "demo" in lowered and "api key" in lowered:
            return SourceError(f"{self.name}: the demo API key only serves the documented examples")
        if "per second" in lowered:
            return self._client.rate_limited(1.0, "requests too close together")
        if "per day" in lowered and "per minute" not in lowered:
            return self._client.daily_budget_spent("daily request limit reached")
        return self._client.rate_limited(60.0, "request frequency limit reached")


def _instrument(symbol: str, payload: dict[str, Any]) -> Instrument:
    asset_type = optional_text(payload.get("AssetType")).lower()
    return Instrument(
        symbol=symbol,
        name=text(field(payload, "Name", "overview"), "overview name"),
        exchange=text(field(payload, "Exchange", "overview"), "overview exchange"),
        currency=text(field(payload, "Currency", "overview"), "overview currency"),
        asset_class=_ASSET_CLASSES.get(asset_type, AssetClass.EQUITY),
        sector=optional_text(payload.get("Sector")),
        industry=optional_text(payload.get("Industry")),
        country=_country(optional_text(payload.get("Country"))),
        shares_outstanding=_count(optional_number(payload.get("SharesOutstanding"), "shares outstanding")),
        source=Source.ALPHA_VANTAGE,
    )


def _search_matches(payload: dict[str, Any]) -> list[Instrument]:
    instruments: list[Instrument] = []
    for raw in arr(field(payload, "bestMatches", "SYMBOL_SEARCH"), "bestMatches"):
        match = obj(raw, "search match")
        symbol = known_symbol(field(match, "1. symbol", "search match"))
        asset_class = _ASSET_CLASSES.get(text(field(match, "3. type", "search match"), "type").lower())
        if symbol is None or asset_class is None:
            continue
        instruments.append(
            Instrument(
                symbol=symbol,
                name=text(field(match, "2. name", "search match"), "name"),
                exchange="",
                currency=optional_text(match.get("8. currency")),
                asset_class=asset_class,
                country=_country(optional_text(match.get("4. region"))),
                source=Source.ALPHA_VANTAGE,
            )
        )
    return instruments


def _daily_rows(payload: dict[str, Any], *, adjusted: bool) -> list[_DailyRow]:
    series = obj(field(payload, "Time Series (Daily)", "daily series"), "Time Series (Daily)")
    rows: list[_DailyRow] = []
    for key, raw in series.items():
        values = obj(raw, f"daily bar {key}")
        rows.append(
            _DailyRow(
                day=iso_date(key, "daily bar date"),
                open=number(field(values, "1. open", "daily bar"), "open"),
                high=number(field(values, "2. high", "daily bar"), "high"),
                low=number(field(values, "3. low", "daily bar"), "low"),
                close=number(field(values, "4. close", "daily bar"), "close"),
                volume=whole(field(values, "6. volume" if adjusted else "5. volume", "daily bar"), "volume"),
                dividend=number(field(values, "7. dividend amount", "daily bar"), "dividend")
                if adjusted
                else 0.0,
                split=number(field(values, "8. split coefficient", "daily bar"), "split")
                if adjusted
                else 1.0,
            )
        )
    if any(row.split <= 0 for row in rows):
        raise MalformedPayload("split coefficient must be positive")
    return sorted(rows, key=lambda row: row.day)


def _daily_bar(symbol: str, row: _DailyRow) -> Bar:
    return Bar(
        symbol=symbol,
        interval=Interval.D1,
        start=at_midnight_utc(row.day),
        open=row.open,
        high=row.high,
        low=row.low,
        close=row.close,
        volume=row.volume,
        source=Source.ALPHA_VANTAGE,
    )


def _intraday_bars(
    payload: dict[str, Any], symbol: str, interval: Interval, av_interval: str, source: str
) -> list[Bar]:
    meta = obj(field(payload, "Meta Data", "intraday series"), "Meta Data")
    zone_names = [value for key, value in meta.items() if key.endswith("Time Zone")]
    if not zone_names:
        raise MalformedPayload("intraday Meta Data has no time zone")
    zone = _zone(zone_names[0])
    series = obj(field(payload, f"Time Series ({av_interval})", "intraday series"), "intraday series")
    bars: list[Bar] = []
    for key, raw in series.items():
        values = obj(raw, f"intraday bar {key}")
        bars.append(
            Bar(
                symbol=symbol,
                interval=interval,
                start=local_datetime(key, "%Y-%m-%d %H:%M:%S", zone, "intraday bar time"),
                open=number(field(values, "1. open", "intraday bar"), "open"),
                high=number(field(values, "2. high", "intraday bar"), "high"),
                low=number(field(values, "3. low", "intraday bar"), "low"),
                close=number(field(values, "4. close", "intraday bar"), "close"),
                volume=whole(field(values, "5. volume", "intraday bar"), "volume"),
                source=source,
            )
        )
    return bars


def _statements(payload: dict[str, Any], reports: str, fields: dict[str, str]) -> dict[date, _Statement]:
    statements: dict[date, _Statement] = {}
    for raw in arr(field(payload, reports, "financial statement"), reports):
        report = obj(raw, "report")
        day = iso_date(field(report, "fiscalDateEnding", "report"), "fiscalDateEnding")
        statements[day] = _Statement(
            currency=text(field(report, "reportedCurrency", "report"), "reportedCurrency"),
            values={ours: optional_number(report.get(theirs), theirs) for ours, theirs in fields.items()},
        )
    return statements


def _news(payload: dict[str, Any], ticker: str | None) -> list[NewsItem]:
    items: list[NewsItem] = []
    for raw in arr(field(payload, "feed", "NEWS_SENTIMENT"), "feed"):
        article = obj(raw, "article")
        url = text(field(article, "url", "article"), "url")
        sentiment = number(field(article, "overall_sentiment_score", "article"), "overall sentiment")
        symbols: list[str] = []
        for entry in arr(article.get("ticker_sentiment", []), "ticker_sentiment"):
            scored = obj(entry, "ticker sentiment")
            mentioned = known_symbol(field(scored, "ticker", "ticker sentiment"))
            if mentioned is None:
                continue
            symbols.append(mentioned)
            if mentioned == ticker:
                sentiment = number(field(scored, "ticker_sentiment_score", "ticker sentiment"), "score")
        items.append(
            NewsItem(
                id="alphavantage:" + hashlib.sha256(url.encode()).hexdigest()[:24],
                headline=text(field(article, "title", "article"), "title"),
                # The documentation does not name a zone for time_published; read as UTC.
                published_at=local_datetime(
                    field(article, "time_published", "article"), "%Y%m%dT%H%M%S", UTC, "time_published"
                ),
                source=Source.ALPHA_VANTAGE,
                symbols=tuple(dict.fromkeys(symbols)),
                summary=optional_text(article.get("summary")),
                publisher=optional_text(article.get("source")),
                url=url,
                sentiment=max(-1.0, min(1.0, sentiment)),
            )
        )
    return items


def _zone(name: Any) -> ZoneInfo:
    try:
        return ZoneInfo(text(name, "time zone"))
    except (KeyError, ValueError):
        raise MalformedPayload("unknown time zone in Meta Data") from None


def _months(first: date, last: date) -> list[str]:
    months: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def _country(value: str) -> str:
    return _COUNTRIES.get(value, value if len(value) == 2 else "")


def _count(value: float) -> int:
    return 0 if math.isnan(value) else max(0, round(value))
