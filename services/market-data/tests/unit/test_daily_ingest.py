"""DailyIngest: new daily bars checked against the stored days before them, a fallback never
overwriting the primary's days, and a replaced day always a finding."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from eqr_market_data.app.daily_ingest import DailyIngest, Incoming
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.model import Bar, Interval
from eqr_market_data.domain.quality import QualityIssue, Severity

RANKS = {"import": -1, "alphavantage": 0, "simulated": 1}


def _weekdays(first: date, count: int) -> list[date]:
    days: list[date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


DAYS = _weekdays(date(2026, 1, 5), 40)


def _bar(day: date, close: float, source: str = "alphavantage", volume: int = 1_000) -> Bar:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Bar("KO", Interval.D1, start, close, close * 1.01, close * 0.99, close, volume, source)


def _wiggle(index: int) -> float:
    return 60.0 * (1 + 0.004 * ((index * 7) % 5 - 2))


@dataclass
class MemoryStore:
    bars: dict[str, dict[date, Bar]] = field(default_factory=lambda: defaultdict(dict))
    issues: list[QualityIssue] = field(default_factory=list)
    written: list[list[Bar]] = field(default_factory=list)
    events: list[BarsImported] = field(default_factory=list)

    async def daily_bars_many(self, ranges: Sequence[tuple[str, date, date]]) -> list[list[Bar]]:
        return [
            [self.bars[s][d] for d in sorted(self.bars[s]) if first <= d <= last] for s, first, last in ranges
        ]

    async def save_daily_bars(
        self, bars: Sequence[Bar], issues: Sequence[QualityIssue] = (), event: BarsImported | None = None
    ) -> int:
        self.written.append(list(bars))
        for bar in bars:
            self.bars[bar.symbol][bar.start.date()] = bar
        self.issues += issues
        if event is not None:
            self.events.append(event)
        return len(bars)

    async def save_corporate_actions(self, actions: Sequence[object]) -> None:
        return None


class Cache:
    def __init__(self) -> None:
        self.invalidated: list[str] = []

    async def invalidate(self, symbol: str) -> None:
        self.invalidated.append(symbol)


class Weekdays:
    def sessions(self, start: date, end: date) -> list[date]:
        return [
            start + timedelta(days=i)
            for i in range((end - start).days + 1)
            if (start + timedelta(days=i)).weekday() < 5
        ]


def _ingest(store: MemoryStore, cache: Cache | None = None) -> DailyIngest:
    return DailyIngest(store, cache or Cache(), Weekdays(), lambda source: RANKS.get(source, 9))  # type: ignore[arg-type]


def _stored(count: int, source: str = "alphavantage", volume: int = 1_000) -> MemoryStore:
    store = MemoryStore()
    for i, day in enumerate(DAYS[:count]):
        store.bars["KO"][day] = _bar(day, _wiggle(i), source, volume)
    return store


async def test_one_new_day_is_checked_against_the_stored_days_before_it() -> None:
    store = _stored(30)
    jump = _bar(DAYS[30], 90.0)  # +50% after thirty quiet days: an outlier only history can show
    [checked] = await _ingest(store).check([Incoming("KO", [jump])])
    assert checked.writes == [jump]
    assert [(i.check, i.severity, i.observed_at) for i in checked.recorded] == [
        ("outlier_jump", Severity.FLAGGED, jump.start)
    ]


async def test_findings_about_the_stored_days_are_not_repeated() -> None:
    store = _stored(30)
    del store.bars["KO"][DAYS[10]]  # an old gap, recorded when it was stored
    store.bars["KO"][DAYS[20]] = _bar(DAYS[20], 200.0)  # an old outlier
    [checked] = await _ingest(store).check([Incoming("KO", [_bar(DAYS[30], _wiggle(30))])])
    assert checked.issues == []


async def test_a_gap_between_the_stored_days_and_the_new_ones_is_found() -> None:
    store = _stored(30)
    [checked] = await _ingest(store).check([Incoming("KO", [_bar(DAYS[33], _wiggle(33))])])
    assert [(i.check, i.observed_at) for i in checked.recorded] == [
        ("calendar_gap", datetime(DAYS[30].year, DAYS[30].month, DAYS[30].day, tzinfo=UTC))
    ]


async def test_an_import_replacing_stored_days_is_one_finding_naming_them() -> None:
    store, cache = _stored(30), Cache()
    changed = [_bar(DAYS[5], 61.0, "import"), _bar(DAYS[6], 62.0, "import")]
    same_values = _bar(DAYS[7], _wiggle(7), "import")
    [checked] = await _ingest(store, cache).check([Incoming("KO", [*changed, same_values], lines=[2, 3, 4])])
    [replaced] = [i for i in checked.recorded if i.check == "replaced_bar"]
    assert (replaced.severity, replaced.line, replaced.observed_at) == (
        Severity.FLAGGED,
        2,
        changed[0].start,
    )
    assert replaced.message == (
        f"2 stored days replaced with different values ({DAYS[5]} to {DAYS[6]}); they came from alphavantage"
    )
    assert checked.writes == [*changed, same_values]  # the same values, now the import's
    await _ingest(store, cache).save([checked])
    assert store.bars["KO"][DAYS[5]].close == 61.0
    assert cache.invalidated == ["KO"]


async def test_a_fallback_never_overwrites_the_primarys_days_but_fills_what_is_missing() -> None:
    store = _stored(30)
    fallback = [_bar(day, 10.0 + i, "simulated") for i, day in enumerate(DAYS[28:32])]
    [checked] = await _ingest(store).check([Incoming("KO", fallback)])
    assert [b.start.date() for b in checked.writes] == DAYS[30:32]
    assert not any(i.check == "replaced_bar" for i in checked.issues)


async def test_the_primary_replaces_a_fallbacks_days() -> None:
    store = _stored(30, source="simulated")
    primary = [_bar(day, _wiggle(i) + 1, "alphavantage") for i, day in enumerate(DAYS[:30])]
    [checked] = await _ingest(store).check([Incoming("KO", primary)])
    assert len(checked.writes) == 30
    [replaced] = [i for i in checked.recorded if i.check == "replaced_bar"]
    assert replaced.message.startswith("30 stored days replaced")
    assert replaced.message.endswith("simulated")


async def test_asking_again_for_the_same_days_writes_and_records_nothing() -> None:
    store = _stored(30, volume=0)  # zero volume: flagged when they were stored
    again = [_bar(day, _wiggle(i), volume=0) for i, day in enumerate(DAYS[:30])]
    [checked] = await _ingest(store).check([Incoming("KO", [*again, _bar(DAYS[30], -1.0)])])
    assert checked.writes == []
    assert [(i.check, i.severity) for i in checked.recorded] == [
        ("non_positive_price", Severity.REJECTED)
    ] * 4
    assert len([i for i in checked.issues if i.check == "zero_volume"]) == 30  # reported, not recorded


async def test_several_symbols_are_read_in_one_query() -> None:
    store = _stored(30)
    reads: list[int] = []
    original = store.daily_bars_many

    async def counting(ranges: Sequence[tuple[str, date, date]]) -> list[list[Bar]]:
        reads.append(len(ranges))
        return await original(ranges)

    store.daily_bars_many = counting  # type: ignore[method-assign]
    other = Bar("PEP", Interval.D1, _bar(DAYS[30], 1.0).start, 170.0, 171.0, 169.0, 170.5, 10, "simulated")
    checked = await _ingest(store).check([Incoming("KO", [_bar(DAYS[30], 60.0)]), Incoming("PEP", [other])])
    assert reads == [2]
    assert [c.symbol for c in checked] == ["KO", "PEP"]
