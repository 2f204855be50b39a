"""The simulator as a fallback: nothing running and nothing written until it is asked; then its
market generated once, in memory, and its prices moving only when quotes are asked while the
market is open (ADR 16)."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest

from eqr_market_data.adapters.simulator_on_demand import OnDemandSimulator
from eqr_market_data.app.ports import NotFoundAtSource, NotSupported
from eqr_market_data.domain.model import Interval
from eqr_market_data.domain.simulator.market import SimulatedMarket

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York


class Weekdays:
    """Weekdays of the last six weeks: enough history, generated in milliseconds."""

    def __init__(self) -> None:
        self.open = True

    def sessions(self, start: date, end: date) -> list[date]:
        first = max(start, date(2026, 1, 19))
        days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
        return [d for d in days if d.weekday() < 5]

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return midnight + timedelta(hours=14, minutes=30), midnight + timedelta(hours=21)

    def is_open(self, at: datetime) -> bool:
        return self.open


class Clock:
    def __init__(self) -> None:
        self.moment = NOW

    def now(self) -> datetime:
        return self.moment


def _simulator(calendar: Weekdays, clock: Clock) -> OnDemandSimulator:
    return OnDemandSimulator(SimulatedMarket(7), calendar, clock, years=1)


async def test_it_knows_its_listing_without_generating_anything() -> None:
    simulator = _simulator(Weekdays(), Clock())
    assert simulator.name == "simulated"
    assert (await simulator.instrument("AAPL")).name
    with pytest.raises(NotFoundAtSource):
        await simulator.instrument("NOPE")
    with pytest.raises(NotSupported):
        await simulator.search("apple", 5)


async def test_quotes_move_when_asked_while_the_market_is_open_and_not_while_it_is_shut() -> None:
    calendar, clock = Weekdays(), Clock()
    simulator = _simulator(calendar, clock)
    [first] = await simulator.quotes(["AAPL"])
    assert (first.source, first.timestamp, first.price) == ("simulated", NOW, first.previous_close)
    clock.moment += timedelta(seconds=5)
    [moved] = await simulator.quotes(["AAPL"])
    assert (moved.timestamp, moved.previous_close) == (clock.moment, first.previous_close)
    assert moved.price != first.price
    calendar.open = False
    clock.moment += timedelta(seconds=5)
    [shut] = await simulator.quotes(["AAPL"])
    assert (shut.price, shut.timestamp) == (moved.price, moved.timestamp)


async def test_daily_history_and_actions_come_from_its_own_memory() -> None:
    simulator = _simulator(Weekdays(), Clock())
    bars = await simulator.daily_bars("AAPL", date(2026, 2, 23), date(2026, 3, 4))
    assert [b.start.date() for b in bars] == Weekdays().sessions(date(2026, 2, 23), date(2026, 3, 3))
    assert {(b.source, b.interval) for b in bars} == {("simulated", Interval.D1)}
    [quote] = await simulator.quotes(["AAPL"])
    assert quote.previous_close == bars[-1].close
    assert all(a.symbol == "AGG" for a in await simulator.corporate_actions("AGG"))
    with pytest.raises(NotFoundAtSource):
        await simulator.daily_bars("NOPE", date(2026, 2, 23), date(2026, 3, 4))


async def test_concurrent_first_callers_share_one_generation() -> None:
    simulator = _simulator(Weekdays(), Clock())
    answers = await asyncio.gather(*(simulator.quotes(["MSFT"]) for _ in range(5)))
    assert len({quotes[0].price for quotes in answers}) == 1
