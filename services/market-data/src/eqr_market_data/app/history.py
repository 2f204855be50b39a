"""Price history: stored bars (fetched from the sources on a miss), adjusted and resampled.

Daily history comes from the store, where the simulator's backfill, provider fetches and
file imports put it; today's bar is built from the live quote until the day is over.
Intraday history is the sources' one-minute bars, resampled to the interval asked for.

Stored daily bars are cached packed (as the reply carries them), raw or adjusted, so a
cached request for ten years is a cache read and the live bar: no object per stored bar.
A miss loads once however many callers wait for the same slice (single flight).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from eqr_market_data.app.ports import (
    Clock,
    HistoryCache,
    MarketDataSource,
    MarketStore,
    PackedBars,
    SingleFlight,
    TradingCalendar,
)
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
    """The bars of a reply: ``packed`` ones (stored, still encoded) first, then ``bars``."""

    symbol: str
    interval: Interval
    adjusted: bool
    bars: list[Bar]
    source: str
    packed: PackedBars | None = None


def _newer(live: Bar | None, last_stored: date | None) -> list[Bar]:
    """The live bar, unless the stored bars already reach its day."""
    if live is None or (last_stored is not None and last_stored >= live.start.date()):
        return []
    return [live]


def _sources(names: Sequence[str]) -> str:
    return ",".join(dict.fromkeys(name for joined in names for name in joined.split(",") if name))


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
        flights: SingleFlight[tuple[str, str], PackedBars],
        calendar: TradingCalendar,
        clock: Clock,
    ) -> None:
        self._universe = universe
        self._store = store
        self._sources = sources
        self._quotes = quotes
        self._cache = cache
        self._flights = flights
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
            return History(
                symbol, interval, adjusted, bars, _sources([b.source for b in bars]) or self._sources.name
            )
        first, last = span.start.date(), span.end.date()
        live = await self._live_bar(symbol, first, last)
        packed = await self._stored(symbol, first, last, live, adjusted=adjusted)
        tail = _newer(live, packed.last_day)
        source = _sources([packed.source, *(bar.source for bar in tail)]) or self._sources.name
        if interval is Interval.D1:
            return History(symbol, interval, adjusted, tail, source, packed)
        daily = [*self._cache.unpack(symbol, Interval.D1, packed), *tail]
        return History(symbol, interval, adjusted, resample(daily, interval), source)

    async def _live_bar(self, symbol: str, first: date, last: date) -> Bar | None:
        """Today's bar so far, when the range reaches the live quote's trading day."""
        if last < self._clock.now().date() - timedelta(days=1):
            return None  # the range ends before today
        quote = await self._quotes.quote(symbol)
        return live_daily_bar(quote) if first <= trading_day_of(quote) <= last else None

    async def _stored(
        self, symbol: str, first: date, last: date, live: Bar | None, *, adjusted: bool
    ) -> PackedBars:
        """The stored bars of the range, packed; adjusted as part of a series ending with ``live``
        (an ex-date on the live day scales the stored bars), so the live day is part of the key."""
        live_day = live.start.date().isoformat() if live is not None else "-"
        key = f"{first.isoformat()}:{last.isoformat()}:{'adjusted' if adjusted else 'raw'}:{live_day}"
        cached = await self._cache.get(symbol, key)
        if cached is not None:
            return cached

        async def load() -> PackedBars:
            bars = await self._store.daily_bars(symbol, first, last)
            bars = bars or await self.fetch_daily(symbol, first, last)
            if adjusted and bars:
                tail = _newer(live, bars[-1].start.date())
                series = adjust_bars([*bars, *tail], await self._store.corporate_actions(symbol))
                bars = series[: len(bars)]
            return await self._cache.put(symbol, key, bars)

        return await self._flights.do((symbol, key), load)

    async def fetch_daily(self, symbol: str, first: date, last: date) -> list[Bar]:
        """Bars the store lacks, from the sources, checked and stored for next time (and the
        symbol's cached slices dropped, as some may hold none of these days)."""
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
        if good:
            await self._cache.invalidate(symbol)
        return good
