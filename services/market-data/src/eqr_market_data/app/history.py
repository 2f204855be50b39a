"""Price history: stored daily bars (fetched from the sources when not current), the live bar,
intraday bars from the sources; checked, adjusted and resampled.

Daily history comes from the store, where the simulator's back-fill, source fetches and file
imports put it; ``DailySupply`` asks the sources first when the stored bars are not current
for the primary source. Today's bar is built from the live quote until the day is over.
Intraday history is the sources' one-minute bars, checked (findings recorded once), adjusted
on request with the factors of the daily series up to today, and resampled.

Stored daily bars are cached packed (as the reply carries them), raw or adjusted, so a
cached request for ten years is a cache read and the live bar: no object per stored bar.
A miss loads once however many callers wait for the same slice (single flight).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from eqr_market_data.app.bar_actions import actions_for
from eqr_market_data.app.daily_ingest import INTRADAY_POLICY, policy_for
from eqr_market_data.app.daily_supply import DailySupply
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.ports import (
    Clock,
    HistoryCache,
    MarketDataSource,
    MarketStore,
    PackedBars,
    SingleFlight,
)
from eqr_market_data.app.quality_log import QualityLog
from eqr_market_data.app.quotes import QuoteService
from eqr_market_data.domain.adjustment import adjust_bars, adjustment_factors, apply_factors
from eqr_market_data.domain.model import Bar, Instrument, Interval, Quote
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
        directory: InstrumentDirectory,
        store: MarketStore,
        sources: MarketDataSource,
        daily: DailySupply,
        quotes: QuoteService,
        cache: HistoryCache,
        flights: SingleFlight[tuple[str, str], PackedBars],
        quality: QualityLog,
        clock: Clock,
    ) -> None:
        self._directory = directory
        self._store = store
        self._sources = sources
        self._daily = daily
        self._quotes = quotes
        self._cache = cache
        self._flights = flights
        self._quality = quality
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
        instrument = await self._directory.get(normalise_symbol(raw_symbol))
        symbol = instrument.symbol
        span = resolve_history_range(interval, start, end, now=self._clock.now())
        if interval.is_intraday:
            return await self._intraday(instrument, interval, span.start, span.end, adjusted=adjusted)
        first, last = span.start.date(), span.end.date()
        live = await self._live_bar(symbol, first, last)
        packed = await self._stored(instrument, first, last, live, adjusted=adjusted)
        tail = _newer(live, packed.last_day)
        source = _sources([packed.source, *(bar.source for bar in tail)]) or self._sources.name
        if interval is Interval.D1:
            return History(symbol, interval, adjusted, tail, source, packed)
        daily = [*self._cache.unpack(symbol, Interval.D1, packed), *tail]
        return History(symbol, interval, adjusted, resample(daily, interval), source)

    async def _intraday(
        self, instrument: Instrument, interval: Interval, start: datetime, end: datetime, *, adjusted: bool
    ) -> History:
        symbol = instrument.symbol
        minutes = await self._sources.intraday_bars(symbol, Interval.M1, start, end)
        # A month of minutes takes a couple of hundred milliseconds to check: off the event loop.
        good, issues = await asyncio.to_thread(check_bars, minutes, policy=INTRADAY_POLICY)
        if issues:
            await self._quality.record(issues)
        if adjusted:
            good = await self._adjusted_intraday(symbol, good)
        bars = resample(good, interval)
        return History(
            symbol, interval, adjusted, bars, _sources([b.source for b in bars]) or self._sources.name
        )

    async def _adjusted_intraday(self, symbol: str, bars: list[Bar]) -> list[Bar]:
        """Scaled by the factors of the series up to today (stored days, these bars, the live
        bar), so they line up with adjusted daily history even for ex-dates after the window."""
        if not bars:
            return bars
        first_day = bars[0].start.date()
        actions = [a for a in await self._store.corporate_actions(symbol) if a.ex_date > first_day]
        if not actions:
            return bars
        today = self._clock.now().date()
        covered = {bar.start.date() for bar in bars}
        daily = [
            bar
            for bar in await self._store.daily_bars(symbol, first_day, today)
            if bar.start.date() not in covered
        ]
        live = await self._live_bar(symbol, first_day, today)
        if live is not None and live.start.date() not in covered:
            daily.append(live)
        series = sorted([*daily, *bars], key=lambda bar: bar.start)
        return apply_factors(bars, adjustment_factors(series, actions_for(series, actions)))

    async def _live_bar(self, symbol: str, first: date, last: date) -> Bar | None:
        """Today's bar so far, when the range reaches the live quote's trading day."""
        if last < self._clock.now().date() - timedelta(days=1):
            return None  # the range ends before today
        quote = await self._quotes.quote(symbol)
        return live_daily_bar(quote) if first <= trading_day_of(quote) <= last else None

    async def _stored(
        self, instrument: Instrument, first: date, last: date, live: Bar | None, *, adjusted: bool
    ) -> PackedBars:
        """The stored bars of the range, packed; adjusted as part of a series ending with ``live``
        (an ex-date on the live day scales the stored bars), so the live day is part of the key."""
        symbol = instrument.symbol
        live_day = live.start.date() if live is not None else None
        key = f"{first.isoformat()}:{last.isoformat()}:{'adjusted' if adjusted else 'raw'}:{live_day or '-'}"
        cached = await self._cache.get(symbol, key)
        if cached is not None:
            return cached

        async def load() -> PackedBars:
            bars = await self._daily.bars(
                symbol, first, last, live_day=live_day, policy=policy_for(instrument)
            )
            if adjusted and bars:
                series = [*bars, *_newer(live, bars[-1].start.date())]
                actions = actions_for(series, await self._store.corporate_actions(symbol))
                bars = adjust_bars(series, actions)[: len(bars)]
            return await self._cache.put(symbol, key, bars)

        return await self._flights.do((symbol, key), load)
