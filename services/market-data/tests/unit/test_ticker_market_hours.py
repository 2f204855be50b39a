"""The ticker consults the calendar on every step: in ``nyse`` mode (MARKET_DATA_CALENDAR_MODE=nyse)
it moves and publishes nothing outside NYSE sessions; in ``always`` mode it ticks at any hour."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import pytest

from eqr_market_data.adapters.calendar import NyseCalendar
from eqr_market_data.app.live import Ticker
from eqr_market_data.app.ports import Tick
from eqr_market_data.domain.model import Quote


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


class _Clock:
    def __init__(self) -> None:
        self.at = utc(2025, 7, 7, 15)

    def now(self) -> datetime:
        return self.at


class _Market:
    """Records when it was asked to move."""

    def __init__(self) -> None:
        self.advanced: list[datetime] = []

    def advance(self, now: datetime) -> Tick:
        self.advanced.append(now)
        return Tick(quotes=[Quote("AAPL", 200.0, 199.0, 201.0, 198.0, 199.5, 100, now, "simulated")])


class _Sink:
    def __init__(self) -> None:
        self.published: list[Quote] = []
        self.cached: list[Quote] = []
        self.markets = 0

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        self.cached += quotes

    async def publish_quotes(self, quotes: Sequence[Quote]) -> None:
        self.published += quotes

    async def publish_market(self, snapshot: Any) -> None:
        self.markets += 1

    async def save_quotes(self, quotes: Sequence[Quote]) -> None:
        pass

    # The live checks between the market and the sinks: everything passes.
    async def quotes(self, quotes: Sequence[Quote], now: datetime) -> list[Quote]:
        return list(quotes)

    async def minutes(self, bars: Sequence[Any]) -> list[Any]:
        return list(bars)

    async def store_days(self, bars: Sequence[Any]) -> None:
        pass


def _ticker(market: _Market, sink: _Sink, calendar: NyseCalendar, clock: _Clock) -> Ticker:
    async def snapshot() -> Any:
        return None

    live: Any = market
    fakes: Any = sink  # the quote cache, the publisher, the store and the live checks
    return Ticker(
        live,
        fakes,
        fakes,
        fakes,
        fakes,
        snapshot,
        calendar,
        clock,
        interval_seconds=1.0,
        store_every_seconds=3600,
        market_every_seconds=0.0,
    )


CLOSED = [
    utc(2025, 7, 5, 15),  # Saturday
    utc(2025, 7, 6, 18),  # Sunday
    utc(2025, 7, 4, 15),  # Independence Day
    utc(2025, 12, 25, 16),  # Christmas
    utc(2025, 7, 7, 13, 29),  # a minute before the open
    utc(2025, 7, 7, 20, 0),  # the close
    utc(2025, 7, 8, 2, 0),  # the night
    utc(2025, 11, 28, 18, 0),  # after the 13:00 early close
    utc(2025, 3, 7, 13, 45),  # before the open, in winter time
]
OPEN = [
    utc(2025, 7, 7, 13, 30),
    utc(2025, 7, 7, 19, 59),
    utc(2025, 11, 28, 17, 59),
    utc(2025, 3, 10, 13, 45),  # the first Monday of summer time: open at 13:30 UTC
]


@pytest.mark.parametrize("moment", CLOSED)
async def test_in_nyse_mode_nothing_ticks_outside_a_session(moment: datetime) -> None:
    market, sink, clock = _Market(), _Sink(), _Clock()
    clock.at = moment
    ticker = _ticker(market, sink, NyseCalendar(always_open=False), clock)
    await ticker.step(asyncio.get_running_loop().time())
    assert market.advanced == []
    assert (sink.published, sink.cached, sink.markets) == ([], [], 0)


@pytest.mark.parametrize("moment", OPEN)
async def test_in_nyse_mode_a_session_minute_ticks(moment: datetime) -> None:
    market, sink, clock = _Market(), _Sink(), _Clock()
    clock.at = moment
    ticker = _ticker(market, sink, NyseCalendar(always_open=False), clock)
    await ticker.step(asyncio.get_running_loop().time())
    assert market.advanced == [moment]
    assert [q.symbol for q in sink.published] == ["AAPL"]
    assert sink.markets == 1


async def test_in_always_mode_every_moment_ticks() -> None:
    market, sink, clock = _Market(), _Sink(), _Clock()
    ticker = _ticker(market, sink, NyseCalendar(always_open=True), clock)
    for moment in [*CLOSED, *OPEN]:
        clock.at = moment
        await ticker.step(asyncio.get_running_loop().time())
    assert market.advanced == [*CLOSED, *OPEN]
    assert len(sink.published) == len(CLOSED) + len(OPEN)


async def test_a_running_ticker_resumes_when_the_session_opens() -> None:
    """Across an open: the steps before it do nothing, the ones after it tick."""
    market, sink, clock = _Market(), _Sink(), _Clock()
    ticker = _ticker(market, sink, NyseCalendar(), clock)
    moments = [utc(2025, 7, 7, 13, minute) for minute in range(25, 36)]
    for moment in moments:
        clock.at = moment
        await ticker.step(asyncio.get_running_loop().time())
    assert market.advanced == [m for m in moments if m.minute >= 30]
