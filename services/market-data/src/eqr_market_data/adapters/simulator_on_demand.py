"""The simulator as a fallback: a source asked on demand like any other.

When the simulator is not first in ``MARKET_DATA_SOURCES`` there is no live simulated market:
no ticker, no quotes published, nothing back-filled into the service's store. The source
generates its market on first use (the history the live one would store, in memory, in a
worker thread; ``run`` starts that at start-up so the first fallback does not wait) and its
prices take one step whenever quotes are asked while the market is open. What it serves is
stored by the service like any source's answer, and marked ``simulated``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date, datetime

from eqr_market_data.adapters.simulator import SimulatorSource
from eqr_market_data.adapters.simulator_memory import MemoryHistory
from eqr_market_data.app.ports import Clock, NotFoundAtSource, TradingCalendar
from eqr_market_data.domain.model import (
    Bar,
    CorporateAction,
    Financials,
    Instrument,
    Interval,
    NewsItem,
    Period,
    Quote,
)
from eqr_market_data.domain.simulator.market import SimulatedMarket


class OnDemandSimulator:
    def __init__(
        self, market: SimulatedMarket, calendar: TradingCalendar, clock: Clock, *, years: int
    ) -> None:
        self._history = MemoryHistory()
        self._simulator = SimulatorSource(market, self._history, calendar, years=years)
        self._calendar = calendar
        self._clock = clock
        self._known = {instrument.symbol for instrument in market.instruments}
        self._ready: asyncio.Future[None] | None = None
        self._last_step: datetime | None = None

    @property
    def name(self) -> str:
        return self._simulator.name

    @property
    def instruments(self) -> list[Instrument]:
        return self._simulator.instruments

    async def prepare(self) -> None:
        """Generates the market once (callers arriving meanwhile wait for the same run)."""
        if self._ready is None:
            self._ready = asyncio.ensure_future(asyncio.to_thread(self._generate, self._clock.now()))
        await asyncio.shield(self._ready)

    async def run(self, stop: asyncio.Event) -> None:
        """A background task: prepares at start-up, then waits for the service to stop."""
        await self.prepare()
        await stop.wait()

    def _generate(self, now: datetime) -> None:
        # The history store is in memory, so the back-fill runs on a loop of the worker's own.
        asyncio.run(self._simulator.backfill(now))
        self._last_step = now  # the back-fill opens the live day at this moment

    async def instrument(self, symbol: str) -> Instrument:
        return await self._simulator.instrument(symbol)

    async def search(self, query: str, limit: int) -> list[Instrument]:
        return await self._simulator.search(query, limit)

    async def quotes(self, symbols: Sequence[str]) -> list[Quote]:
        await self.prepare()
        now = self._clock.now()
        if self._calendar.is_open(now) and (self._last_step is None or now > self._last_step):
            self._last_step = now
            tick = self._simulator.advance(now)
            if tick.finished_days:
                await self._history.save_daily_bars(tick.finished_days)
        return await self._simulator.quotes(symbols)

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        self._require(symbol)
        await self.prepare()
        return await self._history.daily_bars(symbol, start, end)

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]:
        await self.prepare()
        return await self._simulator.intraday_bars(symbol, interval, start, end)

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        self._require(symbol)
        await self.prepare()
        return await self._history.corporate_actions(symbol)

    async def fundamentals(self, symbol: str, period: Period) -> list[Financials]:
        await self.prepare()
        return await self._simulator.fundamentals(symbol, period)

    async def news(self, symbol: str | None, limit: int) -> list[NewsItem]:
        if symbol is not None:
            self._require(symbol)
        await self.prepare()
        return await self._simulator.news(symbol, limit)

    def _require(self, symbol: str) -> None:
        if symbol not in self._known:
            raise NotFoundAtSource(symbol)
