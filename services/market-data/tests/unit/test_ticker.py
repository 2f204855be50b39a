"""The ticker's dissemination: all of a tick's quotes at once, or spread one symbol at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from eqr_market_data.app.live import Ticker
from eqr_market_data.app.ports import Tick
from eqr_market_data.domain.model import Quote

_TICK_AT = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def _quote(symbol: str) -> Quote:
    return Quote(symbol, 10.0, 10.0, 10.0, 10.0, 9.0, 100, _TICK_AT, "simulated")


class _Market:
    def advance(self, now: datetime) -> Tick:
        return Tick(quotes=[_quote(s) for s in ("AAA", "BBB", "CCC", "DDD")])


class _Sink:
    def __init__(self) -> None:
        self.published: list[tuple[float, Quote]] = []
        self.cached: list[Quote] = []

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        self.cached += quotes

    async def publish_quotes(self, quotes: Sequence[Quote]) -> None:
        now = asyncio.get_running_loop().time()
        self.published += [(now, quote) for quote in quotes]

    async def publish_market(self, snapshot: Any) -> None:
        pass

    async def save_quotes(self, quotes: Sequence[Quote]) -> None:
        pass


class _Unchecked:
    """Checks that pass everything (the dissemination is under test here)."""

    async def quotes(self, quotes: Sequence[Quote], now: datetime) -> list[Quote]:
        return list(quotes)


class _Clock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class _Open:
    def is_open(self, moment: datetime) -> bool:
        return True


def _ticker(sink: _Sink, spread: float) -> Ticker:
    async def snapshot() -> Any:
        return None

    return Ticker(
        _Market(),  # type: ignore[arg-type]
        sink,  # type: ignore[arg-type]
        sink,  # type: ignore[arg-type]
        sink,  # type: ignore[arg-type]
        _Unchecked(),  # type: ignore[arg-type]
        snapshot,
        _Open(),  # type: ignore[arg-type]
        _Clock(),
        interval_seconds=0.2,
        store_every_seconds=60,
        market_every_seconds=60,
        spread=spread,
    )


async def test_without_a_spread_a_tick_goes_out_at_once_stamped_with_the_tick() -> None:
    sink = _Sink()
    await _ticker(sink, 0.0).step(asyncio.get_running_loop().time())
    assert [q.symbol for _, q in sink.published] == ["AAA", "BBB", "CCC", "DDD"]
    assert {q.timestamp for _, q in sink.published} == {_TICK_AT}


async def test_a_spread_sends_one_symbol_at_a_time_each_stamped_when_sent() -> None:
    sink = _Sink()
    started = asyncio.get_running_loop().time()
    await _ticker(sink, 0.5).step(started)
    sent_at = [at - started for at, _ in sink.published]
    # Four quotes over half of a 0.2 s interval: 25 ms apart.
    for index, at in enumerate(sent_at):
        assert index * 0.025 - 0.001 <= at < index * 0.025 + 0.02
    stamps = [q.timestamp for _, q in sink.published]
    assert stamps == sorted(stamps)
    assert stamps[0] > _TICK_AT
    assert (stamps[-1] - stamps[0]).total_seconds() >= 0.07
    assert [q.symbol for q in sink.cached] == ["AAA", "BBB", "CCC", "DDD"]
