"""The simulator as a source: quotes exist right after the back-fill (closed market), the
live day continues from the stored closes, and a closed trading day is handed over."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from eqr_market_data.adapters.simulator import SimulatorSource
from eqr_market_data.domain.model import ActionKind, Bar, CorporateAction, Interval
from eqr_market_data.domain.simulator.market import SimulatedMarket

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)  # a Wednesday, 10:00 in New York


class WeekdayCalendar:
    """Weekdays of the last six weeks: enough history, generated in milliseconds."""

    def sessions(self, start: date, end: date) -> list[date]:
        first = max(start, date(2026, 1, 19))
        days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
        return [d for d in days if d.weekday() < 5]

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        return datetime(day.year, day.month, day.day, 14, 30, tzinfo=UTC), datetime(
            day.year, day.month, day.day, 21, tzinfo=UTC
        )

    def is_open(self, at: datetime) -> bool:
        return True


class MemoryStore:
    def __init__(self) -> None:
        self.bars: list[Bar] = []
        self.actions: list[CorporateAction] = []

    async def upsert_instruments(self, instruments: Sequence[Any]) -> None:
        return None

    async def last_daily_dates(self) -> dict[str, date]:
        return {}

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        return [b for b in self.bars if b.symbol == symbol and start <= b.start.date() <= end]

    async def save_corporate_actions(self, actions: Sequence[CorporateAction]) -> None:
        self.actions += actions

    async def save_daily_bars(
        self, bars: Sequence[Bar], issues: Sequence[Any] = (), event: Any = None
    ) -> int:
        self.bars += bars
        return len(bars)

    async def save_news(self, items: Sequence[Any]) -> None:
        return None


async def test_quotes_exist_before_the_first_tick_at_the_last_close() -> None:
    store = MemoryStore()
    source = SimulatorSource(SimulatedMarket(7), store, WeekdayCalendar(), years=1)  # type: ignore[arg-type]
    assert await source.backfill(NOW) > 0
    [quote] = await source.quotes(["AAPL"])
    last_close = [b for b in store.bars if b.symbol == "AAPL"][-1].close
    assert quote.price == quote.previous_close == last_close
    assert quote.source == "simulated"


async def test_ticks_move_prices_and_a_new_day_closes_the_old_one() -> None:
    store = MemoryStore()
    source = SimulatorSource(SimulatedMarket(7), store, WeekdayCalendar(), years=1)  # type: ignore[arg-type]
    await source.backfill(NOW)
    tick = source.advance(NOW + timedelta(seconds=1))
    moved = {q.symbol: q for q in tick.quotes}
    assert moved["AAPL"].price != moved["AAPL"].previous_close
    assert not tick.finished_days
    next_day = source.advance(NOW + timedelta(days=1))
    closed = [bar for bar in next_day.finished_days if bar.symbol == "AAPL"]
    assert len(closed) == 1
    assert closed[0].start.date() == date(2026, 3, 4)
    assert {q.symbol: q for q in next_day.quotes}["AAPL"].previous_close == closed[0].close


async def test_spy_and_agg_are_stored_quoted_paid_and_ticked_like_the_rest() -> None:
    store = MemoryStore()
    source = SimulatorSource(SimulatedMarket(7), store, WeekdayCalendar(), years=1)  # type: ignore[arg-type]
    await source.backfill(NOW)
    sessions = WeekdayCalendar().sessions(date(2026, 1, 19), date(2026, 3, 3))
    for symbol in ("SPY", "AGG"):
        assert [b.start.date() for b in store.bars if b.symbol == symbol] == sessions
    paid = {(a.symbol, a.ex_date) for a in store.actions if a.kind == ActionKind.DIVIDEND}
    assert {("AGG", date(2026, 2, 2)), ("AGG", date(2026, 3, 2))} <= paid
    before = {q.symbol: q.price for q in await source.quotes(["SPY", "AGG"])}
    moved = {q.symbol: q.price for q in source.advance(NOW + timedelta(seconds=1)).quotes}
    assert all(moved[s] != before[s] for s in ("SPY", "AGG"))
    daily = next(b for b in store.bars if b.symbol == "AGG" and b.start.date() == date(2026, 3, 3))
    minutes = await source.intraday_bars("AGG", Interval.M1, daily.start, daily.start + timedelta(days=1))
    assert len(minutes) == 390
    assert minutes[0].open == daily.open
    assert sum(b.volume for b in minutes) == daily.volume


class KeyedStore(MemoryStore):
    """Bars keyed by symbol and day, as the database keeps them: a day written again replaces it."""

    async def last_daily_dates(self) -> dict[str, date]:
        last: dict[str, date] = {}
        for bar in self.bars:
            last[bar.symbol] = max(last.get(bar.symbol, date.min), bar.start.date())
        return last

    async def save_daily_bars(
        self, bars: Sequence[Bar], issues: Sequence[Any] = (), event: Any = None
    ) -> int:
        kept = {(b.symbol, b.start): b for b in self.bars}
        kept.update({(b.symbol, b.start): b for b in bars})
        self.bars = sorted(kept.values(), key=lambda b: (b.symbol, b.start))
        return len(bars)


class FifteenMonths(WeekdayCalendar):
    """Weekdays back to December 2024: a quarter of history older than a one-year back-fill keeps."""

    def sessions(self, start: date, end: date) -> list[date]:
        first = max(start, date(2024, 12, 2))
        days = [first + timedelta(days=i) for i in range((end - first).days + 1)]
        return [d for d in days if d.weekday() < 5]


async def test_history_another_simulator_version_stored_is_generated_again() -> None:
    store = KeyedStore()
    source = SimulatorSource(SimulatedMarket(7), store, FifteenMonths(), years=1)  # type: ignore[arg-type]
    await source.backfill(NOW - timedelta(days=90))  # a store first filled three months ago
    old_first = min(b.start for b in store.bars if b.symbol == "AAPL")
    assert old_first.date() < date(2025, 3, 3)  # older than this year's back-fill would keep
    # An older simulator had AAPL at three times the price (before a 3-for-1 split it lacked) on
    # every day it wrote; one day was imported from a file since, and outranks the simulator.
    imported_day = datetime(2025, 6, 2, tzinfo=UTC)
    store.bars = [
        replace(b, close=123.45, source="import")
        if b.symbol == "AAPL" and b.start == imported_day
        else replace(b, close=b.close * 3)
        if b.symbol == "AAPL"
        else b
        for b in store.bars
    ]
    expected = {(b.symbol, b.start): b.close for b in store.bars if b.symbol != "AAPL"}

    again = SimulatorSource(SimulatedMarket(7), store, FifteenMonths(), years=1)  # type: ignore[arg-type]
    await again.backfill(NOW)

    generated = {
        b.start: b.close
        for b in again._market.generate(FifteenMonths().sessions(date.min, NOW.date() - timedelta(days=1)))[0]
        if b.symbol == "AAPL"
    }
    aapl = {b.start: b for b in store.bars if b.symbol == "AAPL"}
    assert aapl[imported_day].close == 123.45
    assert all(bar.close == generated[day] for day, bar in aapl.items() if day != imported_day)
    others = {(b.symbol, b.start): b.close for b in store.bars if b.symbol != "AAPL"}
    assert {key: others[key] for key in expected} == expected  # their stored days untouched
    [quote] = await again.quotes(["AAPL"])
    assert quote.previous_close == aapl[max(aapl)].close
