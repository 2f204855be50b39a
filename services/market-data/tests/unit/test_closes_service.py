"""ClosesService: many symbols' closes in one go (one store read for all misses), the live close
after the stored ones, cheap empty recent slices, fresh answers once new bars land, and every
bad query refused naming its field."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

import pytest

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_market_data.app.closes import MAX_TOTAL_SPAN_DAYS, ClosesQuery, ClosesService
from eqr_market_data.app.daily_freshness import DailyFreshness
from eqr_market_data.app.daily_supply import DailySupply
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.ports import CloseSlice, PackedCloses
from eqr_market_data.app.sources import DailyHistory
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import (
    ActionKind,
    AssetClass,
    Bar,
    CorporateAction,
    Instrument,
    Interval,
    Quote,
)
from eqr_market_data.wire import closes_to_pb, pack_closes, read_packed_closes
from eqr_platform.cache import SingleFlight

NOW = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # a Monday, 11:00 in New York: no session closed today
TODAY = NOW.date()
FRIDAY = date(2026, 3, 6)
SYMBOLS = [f"S{n:02d}" for n in range(26)]
EPOCH = date(1970, 1, 1)


def _bar(symbol: str, day: date, close: float) -> Bar:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return Bar(symbol, Interval.D1, start, close, close, close, close, 1_000, "simulated")


def _weekdays(first: date, last: date) -> list[date]:
    return [
        first + timedelta(days=i)
        for i in range((last - first).days + 1)
        if (first + timedelta(days=i)).weekday() < 5
    ]


STORED_DAYS = _weekdays(date(2026, 2, 2), FRIDAY)


@dataclass
class FakeStore:
    bars: dict[str, list[Bar]] = field(
        default_factory=lambda: {
            s: [_bar(s, d, 100.0 + i) for i, d in enumerate(STORED_DAYS)] for s in SYMBOLS
        }
    )
    actions: list[CorporateAction] = field(default_factory=list)
    reads: list[list[tuple[str, date, date]]] = field(default_factory=list)

    async def daily_bars_many(self, ranges: Sequence[tuple[str, date, date]]) -> list[list[Bar]]:
        self.reads.append(list(ranges))
        return [
            [b for b in self.bars.get(s, []) if first <= b.start.date() <= last] for s, first, last in ranges
        ]

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        return self.actions

    async def instruments(self) -> list[Instrument]:
        return []


@dataclass
class FakeSources:
    """The fallback chain behind ``DailySupply``: the sources have nothing more."""

    fetched: list[tuple[str, date, date]] = field(default_factory=list)

    async def daily_history(self, symbol: str, first: date, last: date) -> DailyHistory:
        self.fetched.append((symbol, first, last))
        return DailyHistory([], [], "simulated")

    def rank(self, source: str) -> int:
        return 0


@dataclass
class FakeQuotes:
    prices: dict[str, float] = field(default_factory=lambda: dict.fromkeys(SYMBOLS, 150.5))
    asked: list[list[str]] = field(default_factory=list)

    async def quotes(self, symbols: Sequence[str]) -> tuple[list[Quote], list[str]]:
        self.asked.append(list(symbols))
        found = [Quote(s, self.prices[s], 150.0, 151.0, 149.0, 149.5, 10, NOW, "simulated") for s in symbols]
        return found, []


class DictClosesCache:
    """The Redis adapter's packing and revisions, in dicts."""

    def __init__(self) -> None:
        self.entries: dict[CloseSlice, bytes] = {}
        self.generations: dict[str, int] = {}

    async def revisions(self, symbols: Sequence[str]) -> list[int]:
        return [self.generations.get(s, 0) for s in symbols]

    async def get_closes(self, slices: Sequence[CloseSlice]) -> list[PackedCloses | None]:
        return [read_packed_closes(self.entries[s]) if s in self.entries else None for s in slices]

    async def put_closes(self, slices: Sequence[tuple[CloseSlice, Sequence[Bar]]]) -> list[PackedCloses]:
        packed = [pack_closes(bars) for _, bars in slices]
        self.entries.update((s, p.data) for (s, _), p in zip(slices, packed, strict=True))
        return packed

    async def invalidate(self, symbol: str) -> None:
        self.generations[symbol] = self.generations.get(symbol, 0) + 1


class WeekdayCalendar:
    def sessions(self, start: date, end: date) -> list[date]:
        return _weekdays(start, end)

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        return datetime.combine(day, time(14, 30), UTC), datetime.combine(day, time(21), UTC)

    def is_open(self, at: datetime) -> bool:
        return False


class FixedClock:
    def now(self) -> datetime:
        return NOW


@dataclass
class World:
    store: FakeStore = field(default_factory=FakeStore)
    sources: FakeSources = field(default_factory=FakeSources)
    quotes: FakeQuotes = field(default_factory=FakeQuotes)
    cache: DictClosesCache = field(default_factory=DictClosesCache)

    def service(self, max_queries: int = 500) -> ClosesService:
        universe = Universe([Instrument(s, s, "NYSE", "USD", AssetClass.EQUITY) for s in SYMBOLS])
        directory = InstrumentDirectory(
            universe,
            self.store,  # type: ignore[arg-type]
            self.sources,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]  # no refresh: every symbol is described by the primary
            SingleFlight(),
            FixedClock(),
            refresh_every=timedelta(days=1),
        )
        freshness = DailyFreshness(WeekdayCalendar(), FixedClock(), self.sources.rank)
        daily = DailySupply(self.store, self.sources, None, freshness)  # type: ignore[arg-type]
        return ClosesService(
            directory,
            self.store,  # type: ignore[arg-type]
            daily,
            self.quotes,  # type: ignore[arg-type]
            self.cache,
            SingleFlight(),
            FixedClock(),
            max_queries=max_queries,
        )


def _raw(symbol: str, first: date | None, last: date | None = TODAY) -> ClosesQuery:
    return ClosesQuery(symbol, first, last, adjusted=False)


async def _replies(
    service: ClosesService, queries: Sequence[ClosesQuery]
) -> tuple[list[pb.DailyCloses], list[str]]:
    found, unknown = await service.closes(queries)
    return [closes_to_pb(c) for c in found], unknown


def _pairs(message: pb.DailyCloses) -> list[tuple[date, float]]:
    return [(EPOCH + timedelta(days=d), c) for d, c in zip(message.days, message.closes, strict=True)]


async def test_every_symbol_in_one_store_read_then_from_the_cache_with_the_live_close_last() -> None:
    world = World()
    service = world.service()
    queries = [_raw(s.lower(), STORED_DAYS[0]) for s in SYMBOLS]
    first, unknown = await _replies(service, [*queries[:3], _raw("NOPE", STORED_DAYS[0]), *queries[3:]])
    assert unknown == ["NOPE"]
    assert [m.symbol for m in first] == SYMBOLS
    assert _pairs(first[0]) == [(d, 100.0 + i) for i, d in enumerate(STORED_DAYS)] + [(TODAY, 150.5)]
    assert len(world.store.reads) == 1
    assert len(world.store.reads[0]) == len(SYMBOLS)
    assert len(world.quotes.asked) == 1  # the live closes: one batch of quotes
    world.quotes.prices["S00"] = 151.25  # the live price moves; the stored closes are cached
    again, _ = await _replies(service, queries)
    assert len(world.store.reads) == 1
    assert _pairs(again[0])[-1] == (TODAY, 151.25)
    assert again[1:] == first[1:]


async def test_an_empty_recent_slice_skips_the_sources_before_any_session_closed_and_is_cached() -> None:
    world = World()
    service = world.service()
    saturday = date(2026, 3, 7)
    for _ in range(3):
        replies, _ = await _replies(service, [_raw(s, saturday) for s in SYMBOLS])
        assert all(_pairs(m) == [(TODAY, 150.5)] for m in replies)  # only the live close
    assert len(world.store.reads) == 1
    assert world.sources.fetched == []  # Monday's session has not closed: no source can have its bar


async def test_an_empty_slice_with_a_closed_session_asks_the_sources() -> None:
    world = World(store=FakeStore(bars={}))
    await world.service().closes([_raw("S00", FRIDAY, FRIDAY)])
    assert world.sources.fetched == [("S00", FRIDAY, FRIDAY)]


async def test_new_bars_landing_move_the_revision_and_are_read() -> None:
    world = World()
    service = world.service()
    saturday = date(2026, 3, 7)
    [before], _ = await _replies(service, [_raw("S00", saturday)])
    world.store.bars["S00"].append(_bar("S00", TODAY, 149.0))  # Monday closes and is stored...
    await world.cache.invalidate("S00")  # ...which moves the symbol's revision (ticker, import)
    [after], _ = await _replies(service, [_raw("S00", saturday)])
    assert after.revision == before.revision + 1
    assert _pairs(after) == [(TODAY, 149.0)]  # the stored close; the live bar is not added again
    assert len(world.store.reads) == 2


async def test_adjusted_closes_are_scaled_and_keyed_apart_from_raw_ones() -> None:
    # Worked by hand: a dividend of 1.36 going ex on the live day against Friday's close of 124.0
    # (the 25th stored day: 100 + 24) gives the factor 1 - 1.36 / 124 for every stored day.
    world = World()
    world.store.actions = [CorporateAction("S00", TODAY, ActionKind.DIVIDEND, dividend=1.36)]
    service = world.service()
    raw, adjusted = (
        await _replies(
            service, [_raw("S00", STORED_DAYS[0]), ClosesQuery("S00", STORED_DAYS[0], TODAY, True)]
        )
    )[0]
    factor = 1 - 1.36 / 124.0
    assert adjusted.adjusted
    assert not raw.adjusted
    assert all(
        math.isclose(a, r * factor, rel_tol=1e-12)
        for (_, a), (_, r) in zip(_pairs(adjusted)[:-1], _pairs(raw)[:-1], strict=True)
    )
    assert _pairs(adjusted)[-1] == _pairs(raw)[-1] == (TODAY, 150.5)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (_raw("../etc", date(2026, 1, 1)), "queries[1].symbol"),
        (_raw("A" * 100_000, date(2026, 1, 1)), "queries[1].symbol"),
        (_raw("S00\x00; DROP TABLE", date(2026, 1, 1)), "queries[1].symbol"),
        (_raw("S00", None), "queries[1].start"),
        (_raw("S00", date(2026, 3, 5), date(2026, 3, 4)), "queries[1].start"),
        (_raw("S00", date(2026, 3, 10)), "queries[1].start"),
        (_raw("S00", date(1899, 12, 31)), "queries[1].start"),
        (_raw("S00", date(1960, 1, 1)), "queries[1].start"),
    ],
)
async def test_a_bad_query_is_refused_naming_its_field(query: ClosesQuery, field: str) -> None:
    world = World()
    with pytest.raises(InvalidRequest) as refused:
        await world.service().closes([_raw("S00", date(2026, 1, 1)), query])
    assert refused.value.field == field
    assert "\x00" not in refused.value.message
    assert len(refused.value.message) < 200
    assert world.store.reads == []


async def test_too_many_queries_or_too_many_days_together_are_refused() -> None:
    service = World().service(max_queries=30)
    with pytest.raises(InvalidRequest) as none:
        await service.closes([])
    assert none.value.field == "queries"
    with pytest.raises(InvalidRequest) as many:
        await service.closes([_raw("S00", FRIDAY)] * 31)
    assert (many.value.field, many.value.message) == ("queries", "at most 30 queries per request")
    years = date(1980, 1, 1)
    spans = MAX_TOTAL_SPAN_DAYS // (TODAY - years).days + 1
    with pytest.raises(InvalidRequest) as long:
        await World().service(max_queries=spans).closes([_raw("S00", years)] * spans)
    assert long.value.field == "queries"
