"""The market-data use cases behind the gRPC API, over the ports."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from eqr_market_data.app.documents import Documents
from eqr_market_data.app.history import History, HistoryService
from eqr_market_data.app.ingest import BarImporter, ImportReport
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.ports import (
    Clock,
    MarketStore,
    OverviewCache,
    QuoteFeed,
    SingleFlight,
    TradingCalendar,
)
from eqr_market_data.app.quotes import QuoteService
from eqr_market_data.app.sources import SourceChain
from eqr_market_data.domain.errors import InvalidRequest, SourceUnavailable, UnknownSymbol
from eqr_market_data.domain.market import MarketSnapshot, YearRange, mean_sentiment, snapshot
from eqr_market_data.domain.model import (
    Breadth,
    CorporateAction,
    Financials,
    Instrument,
    Interval,
    NewsItem,
    Period,
    Quote,
)
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_market_data.domain.search import is_close_match, rank_instruments
from eqr_market_data.domain.symbols import normalise_symbol, normalise_symbols

MAX_LIST = 200
MOVERS = 10
"""Gainers, losers and most active in the market snapshot (and by default in ``movers``)."""
DAY = timedelta(hours=24)


@dataclass(frozen=True)
class Sentiment:
    news_sentiment: float
    news_count: int
    breadth: Breadth
    as_of: datetime


def _limit(raw: int, default: int, field: str = "limit") -> int:
    if raw < 0 or raw > MAX_LIST:
        raise InvalidRequest(field, f"must be between 1 and {MAX_LIST}")
    return raw or default


class MarketDataApp:
    def __init__(
        self,
        directory: InstrumentDirectory,
        store: MarketStore,
        sources: SourceChain,
        quotes: QuoteService,
        history_service: HistoryService,
        importer: BarImporter,
        documents: Documents,
        feed: QuoteFeed,
        overview_cache: OverviewCache,
        overview_flights: SingleFlight[str, MarketSnapshot],
        calendar: TradingCalendar,
        clock: Clock,
    ) -> None:
        self._directory = directory
        self._universe = directory.universe
        self._store = store
        self._sources = sources
        self._quotes = quotes
        self._history = history_service
        self._importer = importer
        self._documents = documents
        self._feed = feed
        self._overview_cache = overview_cache
        self._overview_flights = overview_flights
        self._calendar = calendar
        self._clock = clock
        self._year_ranges: tuple[date, dict[str, YearRange]] | None = None

    async def instrument(self, raw_symbol: str) -> tuple[Instrument, Quote | None]:
        """The primary source's description (``InstrumentDirectory.describe``) and the quote."""
        instrument = await self._directory.describe(normalise_symbol(raw_symbol))
        quotes, _ = await self._quotes.quotes([instrument.symbol])
        return instrument, quotes[0] if quotes else None

    async def search(self, query: str, limit: int) -> list[tuple[Instrument, float]]:
        """The known instruments, ranked; when none matches better than fuzzily, the sources'
        search results (not stored: a result becomes known once it is looked up) come first."""
        count = _limit(limit, 10)
        prices = await self._prices()
        caps = {i.symbol: i.shares_outstanding * prices.get(i.symbol, 0.0) for i in self._universe.all()}
        ranked = rank_instruments(self._universe.all(), query, limit=count, market_caps=caps)
        if not any(is_close_match(query, instrument) for instrument in ranked):
            try:
                found = await self._sources.search(query, count)
            except (SourceUnavailable, UnknownSymbol):
                found = []
            local = {i.symbol for i in ranked}
            ranked = [*(i for i in found if i.symbol not in local), *ranked][:count]
        return [(i, prices.get(i.symbol, math.nan)) for i in ranked]

    async def peers(self, raw_symbol: str, limit: int) -> list[tuple[Instrument, float]]:
        target = await self._directory.get(normalise_symbol(raw_symbol))
        symbol = target.symbol
        prices = await self._prices()

        def cap(instrument: Instrument) -> float:
            return instrument.shares_outstanding * prices.get(instrument.symbol, 0.0)

        target_cap = cap(target)
        candidates = self._universe.peers(symbol)
        industry = [i for i in candidates if i.industry == target.industry]
        sector = [i for i in candidates if i.industry != target.industry]

        def closeness(instrument: Instrument) -> float:
            size = cap(instrument)
            return abs(math.log(size / target_cap)) if size > 0 and target_cap > 0 else math.inf

        ordered = sorted(industry, key=closeness) + sorted(sector, key=closeness)
        return [(i, prices.get(i.symbol, math.nan)) for i in ordered[: _limit(limit, 10)]]

    async def quote(self, symbol: str) -> Quote:
        return await self._quotes.quote(symbol)

    async def quotes(self, symbols: Sequence[str]) -> tuple[list[Quote], list[str]]:
        return await self._quotes.quotes(symbols)

    async def stream_quotes(self, raw_symbols: Sequence[str]) -> AsyncIterator[Quote]:
        """The current quotes first, then every update, until the caller goes away."""
        known, _ = await self._quotes.quotes(normalise_symbols(raw_symbols))
        for quote in known:
            yield quote
        async for quote in self._feed.subscribe([q.symbol for q in known]):
            yield quote

    async def history(
        self, symbol: str, interval: Interval, start: datetime | None, end: datetime | None, *, adjusted: bool
    ) -> History:
        return await self._history.history(symbol, interval, start, end, adjusted=adjusted)

    async def corporate_actions(self, raw_symbol: str) -> list[CorporateAction]:
        symbol = (await self._directory.get(normalise_symbol(raw_symbol))).symbol
        return await self._store.corporate_actions(symbol)

    async def fundamentals(self, raw_symbol: str, period: Period, limit: int) -> list[Financials]:
        symbol = (await self._directory.get(normalise_symbol(raw_symbol))).symbol
        return await self._documents.fundamentals(symbol, period, _limit(limit, 40))

    async def news(self, raw_symbol: str | None, limit: int) -> list[NewsItem]:
        symbol = (await self._directory.get(normalise_symbol(raw_symbol))).symbol if raw_symbol else None
        return await self._documents.news(symbol, _limit(limit, 20))

    async def overview(self) -> tuple[MarketSnapshot, str]:
        """The cached snapshot (the ticker replaces it every second); on a miss one caller
        computes it and the others wait for that."""
        market = await self._overview_cache.get()
        if market is None:
            market = await self._overview_flights.do("overview", self.refresh_overview)
        return market, "open" if self._calendar.is_open(self._clock.now()) else "closed"

    async def refresh_overview(self) -> MarketSnapshot:
        """The snapshot computed from the latest quotes, replacing the cached one."""
        market = await self._snapshot(MOVERS)
        await self._overview_cache.put(market)
        return market

    async def movers(self, limit: int) -> MarketSnapshot:
        count = _limit(limit, MOVERS)
        if count <= MOVERS:  # the snapshot's lists are ranked, so their heads are the top ``count``
            market, _ = await self.overview()
            return replace(
                market,
                gainers=market.gainers[:count],
                losers=market.losers[:count],
                most_active=market.most_active[:count],
            )
        return await self._snapshot(count)

    async def _snapshot(self, movers: int) -> MarketSnapshot:
        return snapshot(
            self._universe.all(),
            await self._quotes.all_quotes(),
            await self._ranges(),
            as_of=self._clock.now(),
            movers=movers,
        )

    async def sentiment(self) -> Sentiment:
        now = self._clock.now()
        market, _ = await self.overview()
        recent = await self._recent_news(now)
        return Sentiment(
            news_sentiment=mean_sentiment([item.sentiment for item in recent]),
            news_count=len(recent),
            breadth=market.breadth,
            as_of=now,
        )

    async def _recent_news(self, now: datetime) -> list[NewsItem]:
        """The last 24 hours of stored news (refreshed from the sources when due), else (after
        a quiet spell such as a holiday) the 24 hours up to the newest stored item."""
        recent = await self._documents.recent_news(now - DAY, MAX_LIST * 5)
        if not recent:
            latest = await self._store.news(None, 1)
            if latest:
                recent = await self._store.news(None, MAX_LIST * 5, since=latest[0].published_at - DAY)
        return recent

    async def import_bars(
        self, symbol: str, file_format: str, content: bytes, *, dry_run: bool
    ) -> ImportReport:
        return await self._importer.import_bars(symbol, file_format, content, dry_run=dry_run)

    async def quality_report(
        self, raw_symbol: str | None
    ) -> tuple[list[tuple[str, Severity, int]], list[QualityIssue]]:
        symbol = normalise_symbol(raw_symbol) if raw_symbol else None
        return await self._store.quality_counts(symbol), await self._store.recent_quality_issues(symbol)

    async def _prices(self) -> dict[str, float]:
        return {symbol: quote.price for symbol, quote in (await self._quotes.all_quotes()).items()}

    async def _ranges(self) -> dict[str, YearRange]:
        """52-week highs and lows before today, computed once a day from the store."""
        today = self._clock.now().date()
        if self._year_ranges is None or self._year_ranges[0] != today:
            ranges: dict[str, YearRange] = {}
            for instrument in self._universe.all():
                bars = await self._store.daily_bars(instrument.symbol, today - timedelta(weeks=52), today)
                past = [bar for bar in bars if bar.start.date() < today]
                if past:
                    ranges[instrument.symbol] = YearRange(max(b.high for b in past), min(b.low for b in past))
            self._year_ranges = (today, ranges)
        return self._year_ranges[1]
