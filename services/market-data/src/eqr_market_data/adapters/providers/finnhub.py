"""Finnhub (https://finnhub.io/docs/api), the real-time provider in place of IEX Cloud.

The key travels in the ``X-Finnhub-Token`` header, never in a URL. Errors: HTTP 401
(invalid key), 403 (the plan does not include the endpoint; candles are premium since 2024),
429 (over the limit; 60 calls a minute on the free plan, the default limiter) and
``{"error": ...}`` bodies. Fundamentals (``/stock/financials-reported`` is raw XBRL) and
corporate actions are not mapped: both raise ``NotSupported``.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx

from eqr_market_data.adapters.providers.batch import quote_each
from eqr_market_data.adapters.providers.client import ProviderClient, Reply, Resilience
from eqr_market_data.adapters.providers.inputs import intraday_code, search_text
from eqr_market_data.adapters.providers.payload import (
    MalformedPayload,
    arr,
    at_midnight_utc,
    epoch_seconds,
    field,
    known_symbol,
    number,
    obj,
    optional_number,
    optional_text,
    text,
    whole,
)
from eqr_market_data.app.ports import NotFoundAtSource, NotSupported, SourceError
from eqr_market_data.domain.model import (
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

DEFAULT_BASE_URL = "https://finnhub.io/api/v1"
FREE_REQUESTS_PER_MINUTE = 60

_RESOLUTIONS = {Interval.M1: "1", Interval.M5: "5", Interval.M15: "15", Interval.H1: "60"}
_ASSET_CLASSES = {
    "common stock": AssetClass.EQUITY,
    "adr": AssetClass.EQUITY,
    "reit": AssetClass.EQUITY,
    "etp": AssetClass.ETF,
}
_COMPANY_NEWS_LOOKBACK = timedelta(days=30)


def default_resilience(clock: Clock = time.time, sleep: Sleep = asyncio.sleep) -> Resilience:
    """The free plan's 60 calls a minute."""
    return Resilience(
        limiter=RateLimiter(FREE_REQUESTS_PER_MINUTE, 60, clock=clock, sleep=sleep),
        breaker=CircuitBreaker(failure_threshold=5, cool_down=60, clock=clock),
    )


class FinnhubSource:
    """Quotes, instrument profiles, symbol search, candles (premium) and company/market news."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        api_key: str,
        base_url: str = DEFAULT_BASE_URL,
        *,
        resilience: Resilience | None = None,
        clock: Clock = time.time,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if not api_key:
            raise ValueError("Finnhub needs an API key")
        self._clock = clock
        self._client = ProviderClient(
            source=Source.FINNHUB,
            http=http,
            base_url=base_url,
            resilience=resilience or default_resilience(clock, sleep),
            check=self._check,
            secrets=[api_key],
            headers={"X-Finnhub-Token": api_key},
            clock=clock,
            sleep=sleep,
        )

    @property
    def name(self) -> str:
        return Source.FINNHUB

    async def instrument(self, symbol: str) -> Instrument:
        symbol = normalise_symbol(symbol)
        return await self._client.get(
            "/stock/profile2", {"symbol": symbol}, lambda payload: _profile(symbol, payload), what="profile2"
        )

    async def search(self, query: str, limit: int) -> list[Instrument]:
        text_query = search_text(query)
        if not text_query or limit <= 0:
            return []
        matches = await self._client.get("/search", {"q": text_query}, _search_matches, what="search")
        return matches[:limit]

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        return await quote_each(self.name, symbols, self._quote)

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        symbol = normalise_symbol(symbol)
        if start > end:
            return []
        first, after_last = at_midnight_utc(start), at_midnight_utc(end + timedelta(days=1))
        bars = await self._candles(symbol, Interval.D1, "D", first, after_last - timedelta(seconds=1))
        return [bar for bar in bars if start <= bar.start.date() <= end]

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]:
        symbol = normalise_symbol(symbol)
        resolution = intraday_code(interval, _RESOLUTIONS, start, end)
        if start > end:
            return []
        bars = await self._candles(symbol, interval, resolution, start, end)
        return [bar for bar in bars if start <= bar.start <= end]

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        raise NotSupported(f"{self.name}: corporate actions are not mapped for Finnhub")

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        raise NotSupported(f"{self.name}: fundamentals are not mapped for Finnhub")

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        ticker = normalise_symbol(symbol) if symbol is not None else None
        if limit <= 0:
            return []
        if ticker is None:
            items = await self._client.get(
                "/news", {"category": "general"}, lambda payload: _news(payload, None), what="market news"
            )
        else:
            today = datetime.fromtimestamp(self._clock(), UTC).date()
            params = {
                "symbol": ticker,
                "from": (today - _COMPANY_NEWS_LOOKBACK).isoformat(),
                "to": today.isoformat(),
            }
            items = await self._client.get(
                "/company-news", params, lambda payload: _news(payload, ticker), what="company news"
            )
        return sorted(items, key=lambda item: item.published_at, reverse=True)[:limit]

    async def _quote(self, symbol: str) -> Quote:
        return await self._client.get(
            "/quote", {"symbol": symbol}, lambda payload: _quote(symbol, payload), what="quote"
        )

    async def _candles(
        self, symbol: str, interval: Interval, resolution: str, start: datetime, end: datetime
    ) -> list[Bar]:
        params = {
            "symbol": symbol,
            "resolution": resolution,
            "from": str(int(start.timestamp())),
            "to": str(int(end.timestamp())),
        }
        return await self._client.get(
            "/stock/candle", params, lambda payload: _candles(payload, symbol, interval), what="candles"
        )

    def _check(self, reply: Reply) -> None:
        if reply.status == 401:
            raise SourceError(f"{self.name}: the API key was rejected (HTTP 401)")
        if reply.status == 403:
            raise NotSupported(f"{self.name}: the API key's plan does not include this data (HTTP 403)")
        payload = reply.payload
        if isinstance(payload, dict) and "error" in payload:
            message = self._client.redact(str(payload["error"]))[:200]
            raise SourceError(f"{self.name}: {message} (HTTP {reply.status})")


def _profile(symbol: str, payload: Any) -> Instrument:
    profile = obj(payload, "profile2")
    if not profile:
        raise NotFoundAtSource(f"finnhub: no profile for {symbol}")
    shares_in_millions = optional_number(profile.get("shareOutstanding"), "shareOutstanding")
    return Instrument(
        symbol=symbol,
        name=text(field(profile, "name", "profile2"), "name"),
        exchange=optional_text(profile.get("exchange")),
        currency=text(field(profile, "currency", "profile2"), "currency"),
        asset_class=AssetClass.EQUITY,
        industry=optional_text(profile.get("finnhubIndustry")),
        country=optional_text(profile.get("country")),
        shares_outstanding=0 if math.isnan(shares_in_millions) else round(shares_in_millions * 1e6),
        source=Source.FINNHUB,
    )


def _search_matches(payload: Any) -> list[Instrument]:
    instruments: list[Instrument] = []
    for raw in arr(field(obj(payload, "search"), "result", "search"), "result"):
        match = obj(raw, "search match")
        symbol = known_symbol(field(match, "symbol", "search match"))
        asset_class = _ASSET_CLASSES.get(optional_text(match.get("type")).lower())
        if symbol is None or asset_class is None:
            continue
        instruments.append(
            Instrument(
                symbol=symbol,
                name=text(field(match, "description", "search match"), "description"),
                exchange="",
                currency="",
                asset_class=asset_class,
                country="",
                source=Source.FINNHUB,
            )
        )
    return instruments


def _quote(symbol: str, payload: Any) -> Quote:
    quote = obj(payload, "quote")
    price = number(field(quote, "c", "quote"), "current price")
    stamp = number(field(quote, "t", "quote"), "timestamp")
    if price == 0 and stamp == 0:
        raise NotFoundAtSource(f"finnhub: no quote for {symbol}")
    return Quote(
        symbol=symbol,
        price=price,
        open=number(field(quote, "o", "quote"), "open"),
        high=number(field(quote, "h", "quote"), "high"),
        low=number(field(quote, "l", "quote"), "low"),
        previous_close=number(field(quote, "pc", "quote"), "previous close"),
        volume=0,
        timestamp=epoch_seconds(stamp, "timestamp"),
        source=Source.FINNHUB,
    )


def _candles(payload: Any, symbol: str, interval: Interval) -> list[Bar]:
    candles = obj(payload, "candles")
    status = text(field(candles, "s", "candles"), "status")
    if status == "no_data":
        return []
    if status != "ok":
        raise MalformedPayload(f"unknown candle status {status[:20]!r}")
    columns = {name: arr(field(candles, name, "candles"), name) for name in ("t", "o", "h", "l", "c", "v")}
    if len({len(column) for column in columns.values()}) != 1:
        raise MalformedPayload("candle columns differ in length")
    bars: list[Bar] = []
    for index, stamp in enumerate(columns["t"]):
        moment = epoch_seconds(stamp, "candle time")
        bars.append(
            Bar(
                symbol=symbol,
                interval=interval,
                start=at_midnight_utc(moment.date()) if interval is Interval.D1 else moment,
                open=number(columns["o"][index], "open"),
                high=number(columns["h"][index], "high"),
                low=number(columns["l"][index], "low"),
                close=number(columns["c"][index], "close"),
                volume=whole(columns["v"][index], "volume"),
                source=Source.FINNHUB,
            )
        )
    return sorted(bars, key=lambda bar: bar.start)


def _news(payload: Any, ticker: str | None) -> list[NewsItem]:
    items: list[NewsItem] = []
    for raw in arr(payload, "news"):
        article = obj(raw, "article")
        related = [known_symbol(part.strip()) for part in optional_text(article.get("related")).split(",")]
        symbols = ([ticker] if ticker else []) + [symbol for symbol in related if symbol]
        items.append(
            NewsItem(
                id=f"finnhub:{whole(field(article, 'id', 'article'), 'id')}",
                headline=text(field(article, "headline", "article"), "headline"),
                published_at=epoch_seconds(field(article, "datetime", "article"), "datetime"),
                source=Source.FINNHUB,
                symbols=tuple(dict.fromkeys(symbols)),
                summary=optional_text(article.get("summary")),
                publisher=optional_text(article.get("source")),
                url=optional_text(article.get("url")),
            )
        )
    return items
