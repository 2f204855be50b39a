"""End-of-day files into the store, through the same quality checks as every other ingest."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from eqr_market_data.app.ports import Clock, HistoryCache, MarketStore, TradingCalendar
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.eod_files import parse_eod_file
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.model import Source
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_market_data.domain.quality_checks import check_bars
from eqr_market_data.domain.symbols import normalise_symbol


@dataclass(frozen=True)
class ImportReport:
    accepted: int
    rejected: int
    flagged: int
    issues: list[QualityIssue] = field(default_factory=list)
    first_date: date | None = None
    last_date: date | None = None


class BarImporter:
    def __init__(
        self,
        universe: Universe,
        store: MarketStore,
        cache: HistoryCache,
        calendar: TradingCalendar,
        clock: Clock,
    ) -> None:
        self._universe = universe
        self._store = store
        self._cache = cache
        self._calendar = calendar
        self._clock = clock

    async def import_bars(
        self, raw_symbol: str, file_format: str, content: bytes, *, dry_run: bool
    ) -> ImportReport:
        """Every bad row is reported with its line; nothing is stored on a dry run."""
        symbol = normalise_symbol(raw_symbol)
        self._universe.get(symbol)
        parsed = parse_eod_file(content, file_format, symbol=symbol)
        bars = [replace(bar, source=Source.IMPORT) for bar in parsed.bars]
        expected = self._calendar.sessions(bars[0].start.date(), bars[-1].start.date()) if bars else None
        good, found = check_bars(
            bars,
            expected_days=expected,
            actions=await self._store.corporate_actions(symbol),
            lines=parsed.lines,
        )
        issues = [*parsed.issues, *found]
        if not dry_run and (good or issues):
            event = BarsImported(symbol, len(good), Source.IMPORT, self._clock.now()) if good else None
            await self._store.save_daily_bars(good, issues, event)
            await self._cache.invalidate(symbol)
        rejected = {(i.line, i.observed_at) for i in issues if i.severity is Severity.REJECTED}
        return ImportReport(
            accepted=len(good),
            rejected=len(rejected),
            flagged=sum(1 for i in issues if i.severity is Severity.FLAGGED),
            issues=issues,
            first_date=good[0].start.date() if good else None,
            last_date=good[-1].start.date() if good else None,
        )
