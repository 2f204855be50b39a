"""End-of-day files into the store, through the same checks as every other daily ingest
(``DailyIngest``: against the stored days before them; a stored day whose values the file
changes is a ``replaced_bar`` finding)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date

from eqr_market_data.app.daily_ingest import DailyIngest, Incoming, policy_for
from eqr_market_data.app.instruments import InstrumentDirectory
from eqr_market_data.app.ports import Clock, MarketStore
from eqr_market_data.domain.eod_files import parse_eod_file
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.model import Source
from eqr_market_data.domain.quality import QualityIssue, Severity
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
        self, directory: InstrumentDirectory, store: MarketStore, daily: DailyIngest, clock: Clock
    ) -> None:
        self._directory = directory
        self._store = store
        self._daily = daily
        self._clock = clock

    async def import_bars(
        self, raw_symbol: str, file_format: str, content: bytes, *, dry_run: bool
    ) -> ImportReport:
        """Every bad row is reported with its line; nothing is stored on a dry run."""
        instrument = await self._directory.get(normalise_symbol(raw_symbol))
        symbol = instrument.symbol
        parsed = parse_eod_file(content, file_format, symbol=symbol)
        bars = [replace(bar, source=Source.IMPORT) for bar in parsed.bars]
        incoming = Incoming(
            symbol,
            bars,
            actions=await self._store.corporate_actions(symbol),
            lines=parsed.lines,
            policy=policy_for(instrument),
        )
        [checked] = await self._daily.check([incoming])
        good = checked.accepted
        issues = [*parsed.issues, *checked.issues]
        if not dry_run and (good or issues):
            event = BarsImported(symbol, len(good), Source.IMPORT, self._clock.now()) if good else None
            recorded = replace(checked, recorded=[*parsed.issues, *checked.recorded])
            await self._daily.save([recorded], event=event)
        rejected = {(i.line, i.observed_at) for i in issues if i.severity is Severity.REJECTED}
        return ImportReport(
            accepted=len(good),
            rejected=len(rejected),
            flagged=sum(1 for i in issues if i.severity is Severity.FLAGGED),
            issues=issues,
            first_date=good[0].start.date() if good else None,
            last_date=good[-1].start.date() if good else None,
        )
