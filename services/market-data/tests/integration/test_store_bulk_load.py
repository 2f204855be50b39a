"""Ten years of daily bars for 130 symbols load in seconds; one symbol's ten years read in milliseconds."""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.domain.model import Bar, Interval, Source

SYMBOLS = [f"SYM{i:03d}" for i in range(130)]
FIRST = date(2015, 1, 1)


def _trading_days(count: int) -> list[date]:
    days: list[date] = []
    day = FIRST
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


DAYS = _trading_days(2_520)


def _history(symbol: str, offset: int) -> list[Bar]:
    bars = []
    for i, day in enumerate(DAYS):
        close = 50.0 + offset + (i % 97) * 0.25
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        bars.append(
            Bar(
                symbol,
                Interval.D1,
                start,
                close - 0.5,
                close + 1,
                close - 1,
                close,
                1_000 + i,
                Source.SIMULATED,
            )
        )
    return bars


async def test_ten_years_of_130_symbols_load_fast_and_read_fast(
    store: SqlMarketStore, market_engine: AsyncEngine
) -> None:
    bars = [bar for offset, symbol in enumerate(SYMBOLS) for bar in _history(symbol, offset)]

    started = time.perf_counter()
    written = await store.save_daily_bars(bars)
    load_seconds = time.perf_counter() - started

    assert written == len(bars) == 327_600
    assert load_seconds < 15

    started = time.perf_counter()
    rewritten = await store.save_daily_bars(bars)
    reload_seconds = time.perf_counter() - started
    assert rewritten == len(bars)

    async with market_engine.begin() as conn:
        await conn.execute(text("ANALYZE market_data.daily_bars"))

    read_ms = []
    for _ in range(20):
        started = time.perf_counter()
        history = await store.daily_bars("SYM064", DAYS[0], DAYS[-1])
        read_ms.append((time.perf_counter() - started) * 1000)
    assert len(history) == len(DAYS)
    assert history[0].start.date() == DAYS[0]

    async with market_engine.connect() as conn:
        plan = (
            await conn.execute(
                text(
                    "EXPLAIN (ANALYZE, FORMAT JSON) SELECT * FROM market_data.daily_bars "
                    "WHERE symbol = :symbol AND day BETWEEN :start AND :end ORDER BY day"
                ),
                {"symbol": "SYM064", "start": DAYS[0], "end": DAYS[-1]},
            )
        ).scalar_one()
    explained = plan if isinstance(plan, list) else json.loads(plan)
    db_ms = explained[0]["Execution Time"]
    assert "pk_daily_bars" in json.dumps(explained)
    assert db_ms < 50

    print(
        f"\nbulk load {written} daily bars: {load_seconds:.2f} s first load, {reload_seconds:.2f} s upsert "
        f"of the same rows; ten years of one symbol: {db_ms:.2f} ms in the database, "
        f"{statistics.median(read_ms):.2f} ms median through the store"
    )
