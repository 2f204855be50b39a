"""Yahoo Finance's chart API (``/v8/finance/chart/{symbol}``): bars, splits, dividends, quotes.

No API key. Errors come as ``{"chart": {"result": null, "error": {"code": ..., "description":
...}}}`` (HTTP 404 with code "Not Found" for unknown symbols) and throttling as HTTP 429.

The chart's prices, volumes and dividends are split-adjusted (Yahoo's ``adjclose`` also takes
dividends out). The service wants raw bars, so prices are multiplied back, volumes divided
and dividends multiplied by the ratios of the splits after each day; daily requests therefore
run to now so every later split is seen. Instruments, search, fundamentals and news are not
offered by the chart API.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from typing import Any
from urllib.parse import quote as quote_path
from zoneinfo import ZoneInfo

import httpx

from eqr_market_data.adapters.providers.batch import quote_each
from eqr_market_data.adapters.providers.client import ProviderClient, Reply, Resilience
from eqr_market_data.adapters.providers.inputs import intraday_code
from eqr_market_data.adapters.providers.payload import (
    MalformedPayload,
    arr,
    at_midnight_utc,
    epoch_seconds,
    field,
    number,
    obj,
    optional_text,
    whole,
)
from eqr_market_data.app.ports import NotFoundAtSource, NotSupported, SourceError
from eqr_market_data.domain.model import (
    ActionKind,
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

DEFAULT_BASE_URL = "https://query1.finance.yahoo.com"
REQUESTS_PER_MINUTE = 60

_INTRADAY = {Interval.M1: "1m", Interval.M5: "5m", Interval.M15: "15m", Interval.H1: "60m"}
_HEADERS = {"User-Agent": "Mozilla/5.0 (compatible; eqr-market-data/0.1)", "Accept": "application/json"}


def default_resilience(clock: Clock = time.time, sleep: Sleep = asyncio.sleep) -> Resilience:
    """Yahoo publishes no quota for the chart API; a minute's budget of 60 with bursts of 10
    stays well clear of its throttling."""
    return Resilience(
        limiter=RateLimiter(REQUESTS_PER_MINUTE, 60, burst=10, clock=clock, sleep=sleep),
        breaker=CircuitBreaker(failure_threshold=5, cool_down=60, clock=clock),
    )


@dataclass(frozen=True)
class _Row:
    at: datetime
    open: float
    high: float
    low: float
    close: float
    volume: int


@dataclass(frozen=True)
class _Split:
    day: date
    ratio: float


@dataclass(frozen=True)
class _Chart:
    meta: dict[str, Any]
    zone: tzinfo
    rows: list[_Row]
    dividends: list[tuple[date, float]]
    splits: list[_Split]

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.zone).date()

    def split_factor_after(self, day: date) -> float:
        """How many of today's shares one share of ``day`` became."""
        factor = 1.0
        for split in self.splits:
            if split.day > day:
                factor *= split.ratio
        return factor


class YahooSource:
    """Quotes, daily and intraday bars and corporate actions from the chart API."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        base_url: str = DEFAULT_BASE_URL,
        *,
        resilience: Resilience | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self._clock = clock
        self._client = ProviderClient(
            source=Source.YAHOO,
            http=http,
            base_url=base_url,
            resilience=resilience or default_resilience(clock, sleep),
            check=self._check,
            headers=_HEADERS,
            clock=clock,
            sleep=sleep,
        )

    @property
    def name(self) -> str:
        return Source.YAHOO

    async def instrument(self, symbol: str) -> Instrument:
        raise NotSupported(f"{self.name}: the chart API has no instrument facts")

    async def search(self, query: str, limit: int) -> list[Instrument]:
        raise NotSupported(f"{self.name}: the chart API has no symbol search")

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        raise NotSupported(f"{self.name}: the chart API has no fundamentals")

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        raise NotSupported(f"{self.name}: the chart API has no news")

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        return await quote_each(self.name, symbols, self._quote)

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        symbol = normalise_symbol(symbol)
        if start > end:
            return []
        # A day's margin either side: bars are stamped at the exchange's local open.
        period1 = at_midnight_utc(start - timedelta(days=1))
        period2 = max(at_midnight_utc(end + timedelta(days=2)), self._now())
        chart = await self._chart(symbol, "1d", {"period1": _epoch(period1), "period2": _epoch(period2)})
        bars: list[Bar] = []
        for row in chart.rows:
            day = chart.local_day(row.at)
            if start <= day <= end:
                bars.append(
                    _raw_bar(symbol, Interval.D1, at_midnight_utc(day), row, chart.split_factor_after(day))
                )
        return _deduplicated(bars)

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]:
        """Yahoo keeps 1m bars for about 30 days (8 per request) and others for 60; splits after
        ``end`` are not seen, so bars from before a split in the last 60 days stay adjusted."""
        symbol = normalise_symbol(symbol)
        yahoo_interval = intraday_code(interval, _INTRADAY, start, end)
        if start > end:
            return []
        chart = await self._chart(
            symbol, yahoo_interval, {"period1": _epoch(start), "period2": _epoch(end + timedelta(seconds=1))}
        )
        bars = [
            _raw_bar(symbol, interval, row.at, row, chart.split_factor_after(chart.local_day(row.at)))
            for row in chart.rows
            if start <= row.at <= end
        ]
        return _deduplicated(bars)

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        symbol = normalise_symbol(symbol)
        chart = await self._chart(symbol, "1mo", {"range": "max"})
        actions = [
            CorporateAction(symbol, split.day, ActionKind.SPLIT, split_ratio=split.ratio, source=self.name)
            for split in chart.splits
        ]
        actions += [
            CorporateAction(
                symbol,
                day,
                ActionKind.DIVIDEND,
                dividend=amount * chart.split_factor_after(day),
                source=self.name,
            )
            for day, amount in chart.dividends
        ]
        return sorted(actions, key=lambda action: (action.ex_date, action.kind))

    async def _quote(self, symbol: str) -> Quote:
        chart = await self._chart(symbol, "1d", {"range": "1d"})
        meta = chart.meta
        price = number(field(meta, "regularMarketPrice", "chart meta"), "regularMarketPrice")
        previous = meta.get("previousClose", meta.get("chartPreviousClose"))
        volume = meta.get("regularMarketVolume")
        last = chart.rows[-1] if chart.rows else None
        return Quote(
            symbol=symbol,
            price=price,
            open=last.open if last else price,
            high=_meta_number(meta, "regularMarketDayHigh", last.high if last else price),
            low=_meta_number(meta, "regularMarketDayLow", last.low if last else price),
            previous_close=number(previous, "previous close"),
            volume=whole(volume, "volume") if volume is not None else (last.volume if last else 0),
            timestamp=epoch_seconds(field(meta, "regularMarketTime", "chart meta"), "regularMarketTime"),
            source=self.name,
        )

    async def _chart(self, symbol: str, interval: str, params: dict[str, str]) -> _Chart:
        query = {**params, "interval": interval, "events": "div,splits", "includePrePost": "false"}
        return await self._client.get(
            f"/v8/finance/chart/{quote_path(symbol, safe='')}", query, _parse_chart, what="chart"
        )

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    def _check(self, reply: Reply) -> None:
        payload = reply.payload
        error = _error_of(payload)
        if error is None:
            if reply.status == 404:
                raise NotFoundAtSource(f"{self.name}: unknown symbol (HTTP 404)")
            return
        code = optional_text(error.get("code"))
        description = optional_text(error.get("description"))[:200]
        if code == "Not Found" or reply.status == 404:
            raise NotFoundAtSource(f"{self.name}: {description or 'unknown symbol'}")
        raise SourceError(f"{self.name}: {code or 'error'} (HTTP {reply.status}): {description}")


def _error_of(payload: Any) -> dict[str, Any] | None:
    """The ``error`` object of a chart (or other finance) answer, if it carries one."""
    if not isinstance(payload, dict):
        return None
    for envelope in payload.values():
        if isinstance(envelope, dict) and isinstance(envelope.get("error"), dict):
            error: dict[str, Any] = envelope["error"]
            return error
    return None


def _parse_chart(payload: Any) -> _Chart:
    chart = obj(field(obj(payload, "answer"), "chart", "answer"), "chart")
    results = field(chart, "result", "chart")
    if not results:
        raise NotFoundAtSource("yahoo: no chart for the symbol")
    result = obj(arr(results, "chart result")[0], "chart result")
    meta = obj(field(result, "meta", "chart result"), "meta")
    zone = _zone(meta)
    timestamps = arr(result.get("timestamp", []), "timestamp")
    rows: list[_Row] = []
    if timestamps:
        indicators = obj(field(result, "indicators", "chart result"), "indicators")
        quote = obj(arr(field(indicators, "quote", "indicators"), "quote")[0], "quote")
        columns = {
            name: arr(field(quote, name, "quote"), name)
            for name in ("open", "high", "low", "close", "volume")
        }
        if any(len(column) != len(timestamps) for column in columns.values()):
            raise MalformedPayload("quote columns and timestamps differ in length")
        for index, stamp in enumerate(timestamps):
            values = [columns[name][index] for name in ("open", "high", "low", "close")]
            if any(value is None for value in values):
                continue  # no trade in that interval (or the running one)
            volume = columns["volume"][index]
            rows.append(
                _Row(
                    at=epoch_seconds(stamp, "timestamp"),
                    open=number(values[0], "open"),
                    high=number(values[1], "high"),
                    low=number(values[2], "low"),
                    close=number(values[3], "close"),
                    volume=0 if volume is None else whole(volume, "volume"),
                )
            )
    events = obj(result.get("events", {}), "events")
    dividends = [
        (
            epoch_seconds(field(entry, "date", "dividend"), "dividend date").astimezone(zone).date(),
            number(field(entry, "amount", "dividend"), "dividend amount"),
        )
        for entry in (obj(raw, "dividend") for raw in obj(events.get("dividends", {}), "dividends").values())
    ]
    splits = [_split(obj(raw, "split"), zone) for raw in obj(events.get("splits", {}), "splits").values()]
    return _Chart(
        meta, zone, sorted(rows, key=lambda row: row.at), sorted(dividends), sorted(splits, key=_by_day)
    )


def _split(entry: dict[str, Any], zone: tzinfo) -> _Split:
    numerator = number(field(entry, "numerator", "split"), "split numerator")
    denominator = number(field(entry, "denominator", "split"), "split denominator")
    if numerator <= 0 or denominator <= 0:
        raise MalformedPayload("split numerator and denominator must be positive")
    day = epoch_seconds(field(entry, "date", "split"), "split date").astimezone(zone).date()
    return _Split(day, numerator / denominator)


def _by_day(split: _Split) -> date:
    return split.day


def _zone(meta: dict[str, Any]) -> tzinfo:
    name = meta.get("exchangeTimezoneName")
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (KeyError, ValueError):
            pass
    offset = meta.get("gmtoffset", 0)
    return timezone(timedelta(seconds=number(offset, "gmtoffset")))


def _raw_bar(symbol: str, interval: Interval, start: datetime, row: _Row, factor: float) -> Bar:
    return Bar(
        symbol=symbol,
        interval=interval,
        start=start,
        open=row.open * factor,
        high=row.high * factor,
        low=row.low * factor,
        close=row.close * factor,
        volume=round(row.volume / factor),
        source=Source.YAHOO,
    )


def _deduplicated(bars: list[Bar]) -> list[Bar]:
    """Oldest first, one bar per start (Yahoo repeats the running day's bar at times)."""
    by_start = {bar.start: bar for bar in bars}
    return [by_start[start] for start in sorted(by_start)]


def _meta_number(meta: dict[str, Any], key: str, fallback: float) -> float:
    value = meta.get(key)
    return fallback if value is None else number(value, key)


def _epoch(moment: datetime) -> str:
    return str(int(moment.timestamp()))
