"""End-of-day files: checked against the stored days before them, and a stored day the file
changes is a finding in the report and in the store."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from eqr_market_data.app.daily_ingest import DailyIngest
from eqr_market_data.app.ingest import BarImporter
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.model import AssetClass, Bar, CorporateAction, Instrument, Interval
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_platform.cache import SingleFlight

NOW = datetime(2026, 3, 4, 15, 0, tzinfo=UTC)


class Clock:
    def now(self) -> datetime:
        return NOW


class Weekdays:
    def sessions(self, start: date, end: date) -> list[date]:
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        return [d for d in days if d.weekday() < 5]


@dataclass
class Store:
    bars: dict[date, Bar] = field(default_factory=dict)
    issues: list[QualityIssue] = field(default_factory=list)
    events: list[BarsImported] = field(default_factory=list)

    async def daily_bars_many(self, ranges: Sequence[tuple[str, date, date]]) -> list[list[Bar]]:
        return [[self.bars[d] for d in sorted(self.bars) if a <= d <= b] for _, a, b in ranges]

    async def save_daily_bars(
        self, bars: Sequence[Bar], issues: Sequence[QualityIssue] = (), event: BarsImported | None = None
    ) -> int:
        self.bars.update((b.start.date(), b) for b in bars)
        self.issues += issues
        self.events += [event] if event else []
        return len(bars)

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        return []


class Cache:
    async def invalidate(self, symbol: str) -> None:
        return None


def _importer(store: Store) -> BarImporter:
    universe = Universe([Instrument("KO", "Coca-Cola", "NYSE", "USD", AssetClass.EQUITY)])
    directory = InstrumentDirectory(
        universe,
        store,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        None,  # type: ignore[arg-type]
        SingleFlight(),
        Clock(),
        refresh_every=timedelta(days=1),
    )
    ingest = DailyIngest(store, Cache(), Weekdays(), lambda s: -1 if s == "import" else 0)  # type: ignore[arg-type]
    return BarImporter(directory, store, ingest, Clock())  # type: ignore[arg-type]


def _stored() -> Store:
    store = Store()
    for day in Weekdays().sessions(date(2026, 2, 2), date(2026, 2, 27)):
        start = datetime(day.year, day.month, day.day, tzinfo=UTC)
        store.bars[day] = Bar("KO", Interval.D1, start, 60.0, 61.0, 59.0, 60.5, 1_000, "simulated")
    return store


CSV = b"""Date,Open,High,Low,Close,Volume
2026-02-26,60,61,59,60.5,1000
2026-02-27,60,63,59,62.25,1200
2026-03-02,62,63,61,62.5,1100
"""


async def test_an_import_that_changes_a_stored_day_reports_and_records_it() -> None:
    store = _stored()
    report = await _importer(store).import_bars("ko", "csv", CSV, dry_run=False)
    assert (report.accepted, report.rejected, report.flagged) == (3, 0, 1)
    [replaced] = report.issues
    assert (replaced.check, replaced.severity, replaced.line) == ("replaced_bar", Severity.FLAGGED, 3)
    assert (
        replaced.message
        == "1 stored day replaced with different values (2026-02-27); they came from simulated"
    )
    assert store.issues == [replaced]
    assert store.bars[date(2026, 2, 27)].close == 62.25
    assert store.bars[date(2026, 2, 26)].source == "import"
    assert [e.bars for e in store.events] == [3]


async def test_a_dry_run_reports_the_replacement_and_stores_nothing() -> None:
    store = _stored()
    report = await _importer(store).import_bars("KO", "csv", CSV, dry_run=True)
    assert [i.check for i in report.issues] == ["replaced_bar"]
    assert store.bars[date(2026, 2, 27)].close == 60.5
    assert (store.issues, store.events) == ([], [])


async def test_an_outlier_in_a_one_day_file_is_measured_against_the_stored_days() -> None:
    store = _stored()
    one_day = b"Date,Open,High,Low,Close,Volume\n2026-03-02,95,96,94,95.5,1000\n"
    report = await _importer(store).import_bars("KO", "csv", one_day, dry_run=False)
    assert [(i.check, i.line) for i in report.issues] == [("outlier_jump", 2)]
