"""Daily and one-minute bars: round-trips, inclusive ranges, upserts by (symbol, time)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone

from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.domain.model import Bar, Interval, Source


def _daily(symbol: str, day: date, close: float = 100.0, source: str = Source.SIMULATED) -> Bar:
    return Bar(
        symbol=symbol,
        interval=Interval.D1,
        start=datetime(day.year, day.month, day.day, tzinfo=UTC),
        open=close - 1,
        high=close + 2,
        low=close - 2,
        close=close,
        volume=1_000_000,
        source=source,
    )


def _minute(symbol: str, start: datetime, close: float = 50.0) -> Bar:
    return Bar(symbol, Interval.M1, start, close, close + 0.1, close - 0.1, close, 1_200, Source.SIMULATED)


DAYS = [date(2024, 1, 2) + timedelta(days=i) for i in range(10)]


async def test_daily_bars_round_trip_oldest_first(store: SqlMarketStore) -> None:
    bars = [_daily("AAPL", day, 100.0 + i) for i, day in enumerate(DAYS)]

    written = await store.save_daily_bars(list(reversed(bars)))

    assert written == len(bars)
    assert await store.daily_bars("AAPL", DAYS[0], DAYS[-1]) == bars


async def test_the_daily_range_includes_both_ends(store: SqlMarketStore) -> None:
    await store.save_daily_bars([_daily("AAPL", day) for day in DAYS])
    await store.save_daily_bars([_daily("MSFT", day) for day in DAYS])

    bars = await store.daily_bars("AAPL", DAYS[2], DAYS[4])

    assert [bar.start.date() for bar in bars] == DAYS[2:5]
    assert {bar.symbol for bar in bars} == {"AAPL"}
    assert await store.daily_bars("AAPL", DAYS[4], DAYS[2]) == []


async def test_many_daily_ranges_are_read_at_once_each_as_asked(store: SqlMarketStore) -> None:
    await store.save_daily_bars(
        [_daily(s, day, 100.0 + i) for s in ("AAPL", "MSFT") for i, day in enumerate(DAYS)]
    )

    found = await store.daily_bars_many(
        [
            ("MSFT", DAYS[5], DAYS[7]),
            ("AAPL", DAYS[0], DAYS[1]),
            ("NOPE", DAYS[0], DAYS[9]),
            ("AAPL", DAYS[8], DAYS[9]),
        ]
    )

    assert found == [
        await store.daily_bars("MSFT", DAYS[5], DAYS[7]),
        await store.daily_bars("AAPL", DAYS[0], DAYS[1]),
        [],
        await store.daily_bars("AAPL", DAYS[8], DAYS[9]),
    ]
    assert [bar.close for bar in found[3]] == [108.0, 109.0]
    assert await store.daily_bars_many([]) == []


async def test_a_daily_upsert_replaces_the_stored_bar(store: SqlMarketStore) -> None:
    await store.save_daily_bars([_daily("AAPL", day, 100.0) for day in DAYS[:3]])
    corrected = _daily("AAPL", DAYS[1], 150.0, source=Source.IMPORT)

    written = await store.save_daily_bars([corrected, _daily("AAPL", DAYS[3], 101.0)])

    assert written == 2
    stored = await store.daily_bars("AAPL", DAYS[0], DAYS[-1])
    assert [bar.close for bar in stored] == [100.0, 150.0, 100.0, 101.0]
    assert stored[1] == corrected


async def test_the_last_of_duplicate_daily_bars_in_one_call_wins(store: SqlMarketStore) -> None:
    written = await store.save_daily_bars([_daily("AAPL", DAYS[0], 1.0), _daily("AAPL", DAYS[0], 2.0)])

    assert written == 1
    assert [bar.close for bar in await store.daily_bars("AAPL", DAYS[0], DAYS[0])] == [2.0]


async def test_a_daily_bar_is_stored_under_its_utc_trading_day(store: SqlMarketStore) -> None:
    new_york = timezone(timedelta(hours=-5))
    bar = _daily("AAPL", DAYS[0])
    await store.save_daily_bars([replace(bar, start=bar.start.astimezone(new_york))])

    assert await store.daily_bars("AAPL", DAYS[0], DAYS[0]) == [bar]


async def test_saving_no_bars_writes_nothing(store: SqlMarketStore) -> None:
    assert await store.save_daily_bars([]) == 0
    assert await store.save_intraday_bars([]) == 0
    assert await store.last_daily_dates() == {}


async def test_last_daily_dates_per_symbol(store: SqlMarketStore) -> None:
    await store.save_daily_bars([_daily("AAPL", day) for day in DAYS])
    await store.save_daily_bars([_daily("MSFT", day) for day in DAYS[:4]])

    assert await store.last_daily_dates() == {"AAPL": DAYS[-1], "MSFT": DAYS[3]}


OPEN = datetime(2025, 3, 14, 13, 30, tzinfo=UTC)
MINUTES = [OPEN + timedelta(minutes=i) for i in range(30)]


async def test_intraday_bars_round_trip_oldest_first_with_inclusive_ends(store: SqlMarketStore) -> None:
    bars = [_minute("AAPL", start, 50.0 + i) for i, start in enumerate(MINUTES)]
    assert await store.save_intraday_bars(list(reversed(bars))) == len(bars)
    await store.save_intraday_bars([_minute("MSFT", start) for start in MINUTES])

    assert await store.intraday_bars("AAPL", MINUTES[0], MINUTES[-1]) == bars
    assert await store.intraday_bars("AAPL", MINUTES[5], MINUTES[7]) == bars[5:8]


async def test_an_intraday_upsert_replaces_the_minute(store: SqlMarketStore) -> None:
    await store.save_intraday_bars([_minute("AAPL", start) for start in MINUTES[:2]])
    corrected = _minute("AAPL", MINUTES[1], 60.0)

    assert await store.save_intraday_bars([corrected, corrected]) == 1

    stored = await store.intraday_bars("AAPL", MINUTES[0], MINUTES[-1])
    assert [bar.close for bar in stored] == [50.0, 60.0]


async def test_intraday_times_come_back_utc(store: SqlMarketStore) -> None:
    tokyo = timezone(timedelta(hours=9))
    await store.save_intraday_bars([_minute("AAPL", OPEN.astimezone(tokyo))])

    (stored,) = await store.intraday_bars("AAPL", OPEN, OPEN)

    assert stored.start == OPEN
    assert stored.start.tzinfo == UTC
