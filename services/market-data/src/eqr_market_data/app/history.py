"""Price history: stored bars (fetched from the sources on a miss), adjusted and resampled.

Daily history comes from the store, where the simulator's backfill, provider fetches and
file imports put it; today's bar is built from the live quote until the day is over.
Intraday history is the sources' one-minute bars, resampled to the interval asked for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from eqr_market_data.app.ports import Clock, HistoryCache, MarketDataSource, MarketStore, TradingCalendar
from eqr_market_data.app.quotes import QuoteService
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.adjustment import adjust_bars
from eqr_market_data.domain.model import Bar, Interval, Quote
from eqr_market_data.domain.quality_checks import check_bars
from eqr_market_data.domain.ranges import resolve_history_range
from eqr_market_data.domain.resample import NEW_YORK, resample
from eqr_market_data.domain.symbols import normalise_symbol


@dataclass(frozen=True)
class History:
    symbol: str
    interval: Interval
    adjusted: bool
    bars: list[Bar]
    source: str


def trading_day_of(quote: Quote) -> date:
    return quote.timestamp.astimezone(NEW_YORK).date()


def live_daily_bar(quote: Quote) -> Bar:
    """Today's bar so far, from the latest quote."""
    day = trading_day_of(quote)
    return Bar(
        symbol=quote.symbol,
        interval=Interval.D1,
        start=datetime.combine(day, time(), tzinfo=UTC),
        open=quote.open,
        high=max(quote.high, quote.price),
        low=min(quote.low, quote.price),
        close=quote.price,
        volume=quote.volume,
        source=quote.source,
    )


class HistoryService:
    def __init__(
        self,
        universe: Universe,
        store: MarketStore,
        sources: MarketDataSource,
        quotes: QuoteService,
        cache: HistoryCache,
        calendar: TradingCalendar,
        clock: Clock,
    ) -> None:
        self._universe = universe
        self._store = store
        self._sources = sources
        self._quotes = quotes
        self._cache = cache
        self._calendar = calendar
        self._clock = clock

    async def history(
        self,
        raw_symbol: str,
        interval: Interval,
        start: datetime | None,
        end: datetime | None,
        *,
        adjusted: bool,
    ) -> History:
        symbol = normalise_symbol(raw_symbol)
        self._universe.get(symbol)
        span = resolve_history_range(interval, start, end, now=self._clock.now())
        if interval.is_intraday:
            minutes = await self._sources.intraday_bars(symbol, Interval.M1, span.start, span.end)
            bars = resample(minutes, interval)
        else:
            bars = await self._daily(symbol, span.start.date(), span.end.date())
            if adjusted:
                bars = adjust_bars(bars, await self._store.corporate_actions(symbol))
            if interval is not Interval.D1:
                bars = resample(bars, interval)
        sources = dict.fromkeys(bar.source for bar in bars)
        return History(symbol, interval, adjusted, bars, ",".join(sources) or self._sources.name)

    async def _daily(self, symbol: str, first: date, last: date) -> list[Bar]:
        key = f"{first.isoformat()}:{last.isoformat()}"
        bars = await self._cache.get(symbol, key)
        if bars is None:
            bars = await self._store.daily_bars(symbol, first, last)
            if not bars:
                bars = await self._fetch_daily(symbol, first, last)
            await self._cache.put(symbol, key, bars)
        if last < self._clock.now().date() - timedelta(days=1):
            return bars  # the range ends before today: no live bar to add
        quote = await self._quotes.quote(symbol)
        today = trading_day_of(quote)
        if first <= today <= last and (not bars or bars[-1].start.date() < today):
            bars = [*bars, live_daily_bar(quote)]
        return bars

    async def _fetch_daily(self, symbol: str, first: date, last: date) -> list[Bar]:
        """Bars the store lacks, from the sources, checked and stored for next time."""
        fetched = await self._sources.daily_bars(symbol, first, last)
        if not fetched:
            return []
        actions = await self._sources.corporate_actions(symbol)
        good, issues = check_bars(
            fetched,
            expected_days=self._calendar.sessions(first, min(last, fetched[-1].start.date())),
            actions=actions,
        )
        await self._store.save_corporate_actions(actions)
        await self._store.save_daily_bars(good, issues)
        return good
