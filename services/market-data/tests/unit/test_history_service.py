"""HistoryService: stored days packed and cached, the live bar after them, one load per slice."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta

import pytest

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_market_data.app.daily_freshness import DailyFreshness
from eqr_market_data.app.daily_supply import DailySupply
from eqr_market_data.app.history import HistoryService
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.ports import PackedBars
from eqr_market_data.app.quality_log import QualityLog
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.model import (
    ActionKind,
    AssetClass,
    Bar,
    CorporateAction,
    Instrument,
    Interval,
    Quote,
)
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_market_data.wire import history_to_pb, pack_bars, read_packed, unpack_bars
from eqr_platform.cache import SingleFlight

NOW = datetime(2026, 3, 6, 15, 0, tzinfo=UTC)  # a Friday, 10:00 in New York
LIVE_DAY = date(2026, 3, 6)
STORED_DAYS = [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)]


def _day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def _bar(day: date, close: float, volume: int = 1_000) -> Bar:
    return Bar("JPM", Interval.D1, _day(day), close - 1, close + 2, close - 2, close, volume, "simulated")


STORED = [_bar(day, close) for day, close in zip(STORED_DAYS, [100.0, 101.0, 103.0, 102.0], strict=True)]
LIVE_QUOTE = Quote("JPM", 104.5, 102.5, 105.0, 101.0, 102.0, 700, NOW, "simulated")


@dataclass
class FakeStore:
    bars: list[Bar] = field(default_factory=lambda: list(STORED))
    actions: list[CorporateAction] = field(default_factory=list)
    reads: int = 0
    release: asyncio.Event | None = None

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        self.reads += 1
        if self.release is not None:
            await self.release.wait()
        return [bar for bar in self.bars if start <= bar.start.date() <= end]

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        return self.actions


@dataclass
class FakeQuotes:
    asked: int = 0

    async def quote(self, symbol: str) -> Quote:
        self.asked += 1
        return LIVE_QUOTE


class DictHistoryCache:
    """The Redis adapter's packing, kept in a dict."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str, str], bytes] = {}

    async def get(self, symbol: str, key: str) -> PackedBars | None:
        data = self.entries.get((symbol, key))
        return None if data is None else read_packed(data)

    async def put(self, symbol: str, key: str, bars: Sequence[Bar]) -> PackedBars:
        packed = pack_bars(bars)
        if bars:
            self.entries[(symbol, key)] = packed.data
        return packed

    def unpack(self, symbol: str, interval: Interval, packed: PackedBars) -> list[Bar]:
        return unpack_bars(symbol, interval, packed)

    async def invalidate(self, symbol: str) -> None:
        self.entries = {k: v for k, v in self.entries.items() if k[0] != symbol}


class FixedClock:
    def now(self) -> datetime:
        return NOW


class WeekdayCalendar:
    def sessions(self, start: date, end: date) -> list[date]:
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        return [d for d in days if d.weekday() < 5]

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        return _day(day) + timedelta(hours=14, minutes=30), _day(day) + timedelta(hours=21)

    def is_open(self, at: datetime) -> bool:
        return True


def _service(store: FakeStore, quotes: FakeQuotes, cache: DictHistoryCache) -> HistoryService:
    universe = Universe([Instrument("JPM", "JPMorgan Chase", "NYSE", "USD", AssetClass.EQUITY)])
    directory = InstrumentDirectory(
        universe,
        store,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        SingleFlight(),
        FixedClock(),
        refresh_every=timedelta(days=1),
    )
    freshness = DailyFreshness(WeekdayCalendar(), FixedClock(), lambda source: 0)
    # The store has every day asked for: no source is asked.
    daily = DailySupply(store, None, None, freshness)  # type: ignore[arg-type]
    return HistoryService(
        directory,
        store,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        daily,
        quotes,  # type: ignore[arg-type]
        cache,
        SingleFlight(),
        None,  # type: ignore[arg-type]
        FixedClock(),
    )


async def _reply(
    service: HistoryService,
    interval: Interval = Interval.D1,
    *,
    end: datetime = NOW,
    adjusted: bool = False,
) -> pb.GetHistoryResponse:
    history = await service.history("jpm", interval, _day(STORED_DAYS[0]), end, adjusted=adjusted)
    return history_to_pb(history)


def _closes(reply: pb.GetHistoryResponse) -> list[float]:
    return [bar.close for bar in reply.bars]


async def test_the_stored_days_then_the_live_bar_and_a_second_read_skips_the_store() -> None:
    store, quotes, cache = FakeStore(), FakeQuotes(), DictHistoryCache()
    service = _service(store, quotes, cache)
    first = await _reply(service)
    second = await _reply(service)
    assert _closes(first) == [100.0, 101.0, 103.0, 102.0, 104.5]
    assert first.bars[-1].start.ToDatetime(tzinfo=UTC) == _day(LIVE_DAY)
    assert (first.bars[-1].open, first.bars[-1].high, first.bars[-1].low) == (102.5, 105.0, 101.0)
    assert (first.symbol, first.interval, first.source) == (
        "JPM",
        pb.GetHistoryRequest().interval or 5,
        "simulated",
    )
    assert second == first
    assert store.reads == 1
    assert quotes.asked == 2  # the live bar is fresh on every read


async def test_no_live_bar_when_the_stored_days_reach_its_day() -> None:
    closed_today = _bar(LIVE_DAY, 99.0)
    store = FakeStore(bars=[*STORED, closed_today])
    reply = await _reply(_service(store, FakeQuotes(), DictHistoryCache()))
    assert _closes(reply) == [100.0, 101.0, 103.0, 102.0, 99.0]


async def test_a_range_ending_before_yesterday_asks_no_quote() -> None:
    quotes = FakeQuotes()
    reply = await _reply(_service(FakeStore(), quotes, DictHistoryCache()), end=_day(date(2026, 3, 4)))
    assert _closes(reply) == [100.0, 101.0, 103.0]
    assert quotes.asked == 0


async def test_concurrent_misses_read_the_store_once() -> None:
    release = asyncio.Event()
    store = FakeStore(release=release)
    service = _service(store, FakeQuotes(), DictHistoryCache())
    readers = [asyncio.create_task(_reply(service)) for _ in range(12)]
    await asyncio.sleep(0.01)
    assert store.reads == 1
    release.set()
    replies = await asyncio.gather(*readers)
    assert all(reply == replies[0] for reply in replies)
    assert store.reads == 1


async def test_a_dividend_going_ex_on_the_live_day_scales_the_stored_days() -> None:
    # Worked by hand: D = 1.02 against the last close before the ex-date, 102.0, gives the factor
    # 1 - 1.02 / 102 = 0.99 for every stored day; the live day keeps its raw prices.
    dividend = CorporateAction("JPM", LIVE_DAY, ActionKind.DIVIDEND, dividend=1.02)
    store, cache = FakeStore(actions=[dividend]), DictHistoryCache()
    service = _service(store, FakeQuotes(), cache)
    adjusted = await _reply(service, adjusted=True)
    expected = [99.0, 99.99, 101.97, 100.98, 104.5]
    assert all(math.isclose(a, b, rel_tol=1e-12) for a, b in zip(_closes(adjusted), expected, strict=True))
    assert adjusted.bars[0].volume == 1_000
    raw = await _reply(service)
    assert _closes(raw) == [100.0, 101.0, 103.0, 102.0, 104.5]
    assert await _reply(service, adjusted=True) == adjusted
    assert store.reads == 2  # one per cached slice: raw and adjusted


async def test_weekly_bars_take_the_stored_days_and_the_live_one() -> None:
    reply = await _reply(_service(FakeStore(), FakeQuotes(), DictHistoryCache()), interval=Interval.W1)
    [week] = reply.bars
    assert week.start.ToDatetime(tzinfo=UTC) == _day(STORED_DAYS[0])
    assert (week.open, week.close) == (99.0, 104.5)
    assert week.high == 105.0  # Wednesday's 105 and the live day's 105
    assert week.low == 98.0
    assert week.volume == 4 * 1_000 + 700


@pytest.mark.parametrize("count", [0, 1, 2514])
def test_packing_keeps_every_bar_and_says_what_it_holds(count: int) -> None:
    bars = [_bar(date(2016, 1, 4) + timedelta(days=i), 50.0 + i / 100) for i in range(count)]
    packed = read_packed(pack_bars(bars).data)
    assert packed.last_day == (bars[-1].start.date() if bars else None)
    assert packed.source == ("simulated" if bars else "")
    assert unpack_bars("JPM", Interval.D1, packed) == bars


def test_packing_keeps_intraday_starts_to_the_microsecond() -> None:
    start = datetime(2026, 3, 2, 14, 30, 0, 250_001, tzinfo=UTC)
    bars = [replace(_bar(date(2026, 3, 2), 50.0), start=start + timedelta(minutes=i)) for i in range(3)]
    assert [b.start for b in unpack_bars("JPM", Interval.D1, read_packed(pack_bars(bars).data))] == [
        b.start for b in bars
    ]


# --- intraday: checked, and adjusted on request ----------------------------------------------


@dataclass
class MinuteSource:
    """One-minute bars of a source, as it gives them."""

    minutes: list[Bar]
    name: str = "simulated"

    async def intraday_bars(
        self, symbol: str, interval: Interval, start: datetime, end: datetime
    ) -> list[Bar]:
        return [bar for bar in self.minutes if start <= bar.start <= end]


@dataclass
class Findings:
    recorded: list[QualityIssue] = field(default_factory=list)

    async def record_quality_issues(self, issues: Sequence[QualityIssue]) -> None:
        self.recorded += issues


def _minute(day: date, minute: int, price: float, volume: int = 100) -> Bar:
    start = _day(day) + timedelta(hours=14, minutes=30 + minute)
    return Bar("JPM", Interval.M1, start, price, price + 0.5, price - 0.5, price, volume, "simulated")


def _intraday_service(store: FakeStore, source: MinuteSource, findings: Findings) -> HistoryService:
    service = _service(store, FakeQuotes(), DictHistoryCache())
    service._sources = source  # type: ignore[assignment]
    service._quality = QualityLog(findings)  # type: ignore[arg-type]
    return service


async def _intraday(service: HistoryService, *, adjusted: bool) -> pb.GetHistoryResponse:
    start = _day(date(2026, 3, 4))
    return history_to_pb(await service.history("JPM", Interval.M1, start, NOW, adjusted=adjusted))


async def test_adjusted_intraday_bars_are_scaled_across_a_split_inside_the_window() -> None:
    wednesday, thursday = date(2026, 3, 4), date(2026, 3, 5)
    minutes = [_minute(wednesday, i, 200.0 + i) for i in range(3)] + [
        _minute(thursday, i, 101.0 + i) for i in range(3)
    ]
    split = CorporateAction("JPM", thursday, ActionKind.SPLIT, split_ratio=2.0)
    store = FakeStore(actions=[split])
    service = _intraday_service(store, MinuteSource(minutes), Findings())
    raw = await _intraday(service, adjusted=False)
    adjusted = await _intraday(service, adjusted=True)
    assert [b.close for b in raw.bars] == [200.0, 201.0, 202.0, 101.0, 102.0, 103.0]
    assert [b.close for b in adjusted.bars] == [100.0, 100.5, 101.0, 101.0, 102.0, 103.0]
    assert [b.volume for b in adjusted.bars] == [200, 200, 200, 100, 100, 100]
    assert (adjusted.adjusted, raw.adjusted) == (True, False)


async def test_adjusted_intraday_bars_take_a_split_after_the_window_too() -> None:
    wednesday = date(2026, 3, 4)
    minutes = [_minute(wednesday, i, 200.0) for i in range(2)]
    split = CorporateAction("JPM", LIVE_DAY, ActionKind.SPLIT, split_ratio=4.0)  # ex today
    service = _intraday_service(FakeStore(actions=[split]), MinuteSource(minutes), Findings())
    start = _day(wednesday)
    reply = history_to_pb(
        await service.history("JPM", Interval.M1, start, start + timedelta(hours=20), adjusted=True)
    )
    assert [b.close for b in reply.bars] == [50.0, 50.0]  # in line with today's prices


async def test_a_sources_bad_intraday_bars_are_left_out_and_recorded_once() -> None:
    wednesday = date(2026, 3, 4)
    good = [_minute(wednesday, i, 200.0) for i in range(3)]
    inverted = replace(_minute(wednesday, 3, 200.0), high=199.0, low=201.0)
    repeated = replace(good[1], close=250.0, high=250.5)
    findings = Findings()
    service = _intraday_service(FakeStore(), MinuteSource([*good, inverted, repeated]), findings)
    for _ in range(2):
        reply = await _intraday(service, adjusted=False)
        assert [b.start.ToDatetime(tzinfo=UTC) for b in reply.bars] == [b.start for b in good]
    assert sorted((i.check, i.severity) for i in findings.recorded) == [
        ("duplicate_bar", Severity.REJECTED),
        ("high_below_low", Severity.REJECTED),
    ]
