"""What the live market produces is checked before it leaves the ticker: quotes screened,
one-minute bars checked after the symbol's previous minutes, closed days against the stored
days before them; every finding recorded (ADR 16)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from eqr_market_data.app.daily_ingest import DailyIngest
from eqr_market_data.app.live import Ticker
from eqr_market_data.app.live_checks import LiveChecks
from eqr_market_data.app.ports import Tick
from eqr_market_data.app.quality_log import QualityLog
from eqr_market_data.app.quote_quality import QuoteScreen
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.model import AssetClass, Bar, Instrument, Interval, Quote
from eqr_market_data.domain.quality import QualityIssue, Severity

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


def _quote(symbol: str, price: float, previous: float = 100.0) -> Quote:
    return Quote(
        symbol, price, previous, max(price, previous), min(price, previous), previous, 10, NOW, "simulated"
    )


def _minute(symbol: str, minute: int, close: float) -> Bar:
    start = NOW + timedelta(minutes=minute)
    return Bar(symbol, Interval.M1, start, close, close + 0.05, close - 0.05, close, 10, "simulated")


def _day(symbol: str, day: date, close: float) -> Bar:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return Bar(symbol, Interval.D1, start, close, close * 1.005, close * 0.995, close, 1_000, "simulated")


@dataclass
class Store:
    minutes: list[Bar] = field(default_factory=list)
    days: dict[str, dict[date, Bar]] = field(default_factory=lambda: defaultdict(dict))
    issues: list[QualityIssue] = field(default_factory=list)

    async def save_intraday_bars(self, bars: Sequence[Bar]) -> int:
        self.minutes += bars
        return len(bars)

    async def record_quality_issues(self, issues: Sequence[QualityIssue]) -> None:
        self.issues += issues

    async def daily_bars_many(self, ranges: Sequence[tuple[str, date, date]]) -> list[list[Bar]]:
        return [[self.days[s][d] for d in sorted(self.days[s]) if a <= d <= b] for s, a, b in ranges]

    async def save_daily_bars(
        self, bars: Sequence[Bar], issues: Sequence[QualityIssue] = (), event: BarsImported | None = None
    ) -> int:
        for bar in bars:
            self.days[bar.symbol][bar.start.date()] = bar
        self.issues += issues
        return len(bars)

    async def save_quotes(self, quotes: Sequence[Quote]) -> None:
        return None


@dataclass
class Sinks:
    published: list[Quote] = field(default_factory=list)
    cached: list[Quote] = field(default_factory=list)
    invalidated: list[str] = field(default_factory=list)

    async def publish_quotes(self, quotes: Sequence[Quote]) -> None:
        self.published += quotes

    async def publish_market(self, snapshot: Any) -> None:
        return None

    async def put_many(self, quotes: Sequence[Quote]) -> None:
        self.cached += quotes

    async def invalidate(self, symbol: str) -> None:
        self.invalidated.append(symbol)


@dataclass
class Market:
    ticks: list[Tick]

    def advance(self, now: datetime) -> Tick:
        return self.ticks.pop(0)


class Open:
    def is_open(self, at: datetime) -> bool:
        return True

    def sessions(self, start: date, end: date) -> list[date]:
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        return [d for d in days if d.weekday() < 5]


class Clock:
    def now(self) -> datetime:
        return NOW


UNIVERSE = Universe(
    [
        Instrument("AAA", "A", "NYSE", "USD", AssetClass.EQUITY),
        Instrument("BBB", "B", "NYSE", "USD", AssetClass.EQUITY),
        Instrument("^IDX", "Index", "INDEX", "USD", AssetClass.INDEX),
    ]
)


def _ticker(ticks: list[Tick], store: Store, sinks: Sinks) -> Ticker:
    log = QualityLog(store)  # type: ignore[arg-type]
    screen = QuoteScreen(log, max_age=timedelta(seconds=60))
    ingest = DailyIngest(store, sinks, Open(), lambda source: 0)  # type: ignore[arg-type]

    async def snapshot() -> Any:
        return None

    return Ticker(
        Market(ticks),
        sinks,
        sinks,
        store,  # type: ignore[arg-type]
        LiveChecks(UNIVERSE, screen, log, ingest),
        snapshot,
        Open(),  # type: ignore[arg-type]
        Clock(),
        interval_seconds=1.0,
        store_every_seconds=60,
        market_every_seconds=60,
    )


async def _steps(ticker: Ticker, count: int) -> None:
    for _ in range(count):
        await ticker.step(asyncio.get_running_loop().time())


async def test_a_bad_tick_is_not_sent_and_an_out_of_band_one_goes_out_marked_stale() -> None:
    store, sinks = Store(), Sinks()
    tick = Tick(quotes=[_quote("AAA", 101.0), _quote("BBB", 0.0), _quote("^IDX", 170.0)])
    await _steps(_ticker([tick, tick], store, sinks), 2)
    assert [(q.symbol, q.stale) for q in sinks.published] == [("AAA", False), ("^IDX", True)] * 2
    assert [q.symbol for q in sinks.cached] == ["AAA", "^IDX"] * 2
    assert [(i.symbol, i.check, i.severity) for i in store.issues] == [
        ("BBB", "non_positive_price", Severity.REJECTED),
        ("^IDX", "price_out_of_band", Severity.FLAGGED),
    ]  # once a day, not once a tick


async def test_finished_minutes_are_checked_after_the_symbols_previous_ones() -> None:
    store, sinks = Store(), Sinks()
    quiet = [_minute("AAA", i, 100.0 + 0.01 * (i % 3)) for i in range(12)]
    jump = _minute("AAA", 12, 130.0)
    broken = replace(_minute("AAA", 13, 100.0), high=99.0)
    ticks = [Tick(quotes=[], finished_minutes=[bar]) for bar in [*quiet, jump, broken]]
    await _steps(_ticker(ticks, store, sinks), len(ticks))
    assert store.minutes == [*quiet, jump]
    assert [(i.check, i.severity, i.observed_at) for i in store.issues] == [
        ("outlier_jump", Severity.FLAGGED, jump.start),
        ("high_below_low", Severity.REJECTED, broken.start),
    ]


async def test_a_closed_day_is_checked_against_the_stored_days_before_it() -> None:
    store, sinks = Store(), Sinks()
    days = [date(2026, 2, 2) + timedelta(days=i) for i in range(30)]
    sessions = [d for d in days if d.weekday() < 5]
    for i, day in enumerate(sessions):
        store.days["AAA"][day] = _day("AAA", day, 100.0 + 0.2 * (i % 4))
        store.days["^IDX"][day] = replace(_day("^IDX", day, 5000.0), volume=0)
    closed = date(2026, 3, 4)
    tick = Tick(
        quotes=[],
        finished_days=[_day("AAA", closed, 160.0), replace(_day("^IDX", closed, 5001.0), volume=0)],
    )
    await _steps(_ticker([tick], store, sinks), 1)
    assert store.days["AAA"][closed].close == 160.0
    # Index days have no volume of their own: only the member's jump is a finding.
    assert [(i.symbol, i.check, i.severity) for i in store.issues] == [
        ("AAA", "outlier_jump", Severity.FLAGGED)
    ]
    assert sorted(sinks.invalidated) == ["AAA", "^IDX"]
