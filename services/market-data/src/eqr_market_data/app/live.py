"""The ticker: steps a live market, fans its quotes out, and keeps the store up to date.

It runs only when the simulator is the first source (ADR 16). Everything a step produces is
checked first (``LiveChecks``): quotes are screened, finished minutes checked against the
symbol's previous ones, closed days against the stored days before them. Quotes go to the
shared cache and to JetStream on every tick; PostgreSQL gets the latest quotes every few
seconds (it is the record, not the hot path), completed one-minute bars as they complete,
and a day's bars when the day closes.

With a ``spread``, a tick's quotes go out one symbol at a time across that fraction of the
interval, each stamped when it is sent, as a real feed delivers them: the market moves as
a whole, but the quotes of a hundred and seventy symbols do not all land in the same
millisecond. Sent at once, they arrive as one burst that every consumer (the gateway's
fan-out to thousands of sockets above all) must work through before the last of them is
delivered.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence

from eqr_market_data.app.live_checks import LiveChecks
from eqr_market_data.app.ports import (
    Clock,
    LiveMarket,
    MarketStore,
    QuoteCache,
    QuotePublisher,
    TradingCalendar,
)
from eqr_market_data.domain.market import MarketSnapshot
from eqr_market_data.domain.model import Quote

log = logging.getLogger(__name__)

_CACHE_BATCH = 10
"""Spread quotes reach the shared cache ten at a time (within a tenth of a tick of their event)."""


class Ticker:
    def __init__(
        self,
        live: LiveMarket,
        cache: QuoteCache,
        publisher: QuotePublisher,
        store: MarketStore,
        checks: LiveChecks,
        market_snapshot: Callable[[], Awaitable[MarketSnapshot]],
        calendar: TradingCalendar,
        clock: Clock,
        *,
        interval_seconds: float,
        store_every_seconds: float,
        market_every_seconds: float = 1.0,
        spread: float = 0.0,
    ) -> None:
        self._live = live
        self._cache = cache
        self._publisher = publisher
        self._store = store
        self._checks = checks
        self._market_snapshot = market_snapshot
        self._calendar = calendar
        self._clock = clock
        self._interval = interval_seconds
        self._store_every = store_every_seconds
        self._market_every = market_every_seconds
        self._spread = spread
        self._unsaved: dict[str, Quote] = {}
        self._last_store = float("-inf")
        self._last_market = float("-inf")

    async def run(self, stop: asyncio.Event) -> None:
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            started = loop.time()
            try:
                await self.step(started)
            except Exception:
                # A step that fails (NATS reconnecting, a database restart) is retried on the next tick.
                log.exception("ticker step failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), max(0.0, self._interval - (loop.time() - started)))
        await self._flush_quotes()

    async def step(self, monotonic_now: float) -> None:
        now = self._clock.now()
        if not self._calendar.is_open(now):
            return
        tick = self._live.advance(now)
        await self._disseminate(await self._checks.quotes(tick.quotes, now), monotonic_now)
        if tick.finished_minutes:
            minutes = await self._checks.minutes(tick.finished_minutes)
            if minutes:
                await self._store.save_intraday_bars(minutes)
        if tick.finished_days:
            await self._checks.store_days(tick.finished_days)
        if monotonic_now - self._last_store >= self._store_every:
            await self._flush_quotes()
            self._last_store = monotonic_now
        if monotonic_now - self._last_market >= self._market_every:
            await self._publisher.publish_market(await self._market_snapshot())
            self._last_market = monotonic_now

    async def _disseminate(self, quotes: Sequence[Quote], started: float) -> None:
        if self._spread <= 0 or len(quotes) < 2:
            await self._publisher.publish_quotes(quotes)
            await self._keep(quotes)
            return
        loop = asyncio.get_running_loop()
        gap = self._interval * self._spread / len(quotes)
        sent: list[Quote] = []
        for index, quote in enumerate(quotes):
            delay = started + index * gap - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            stamped = dataclasses.replace(quote, timestamp=self._clock.now())
            await self._publisher.publish_quotes([stamped])
            sent.append(stamped)
            # The cache follows in batches: a Redis write per quote cost more than the publish.
            if len(sent) == _CACHE_BATCH:
                await self._keep(sent)
                sent = []
        await self._keep(sent)

    async def _keep(self, quotes: Sequence[Quote]) -> None:
        if quotes:
            await self._cache.put_many(quotes)
            self._unsaved.update((quote.symbol, quote) for quote in quotes)

    async def _flush_quotes(self) -> None:
        if self._unsaved:
            pending, self._unsaved = list(self._unsaved.values()), {}
            await self._store.save_quotes(pending)
