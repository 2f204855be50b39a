"""Daily bars into the store, checked against the bars already stored.

Every daily ingest (a source's answer, a closed live day, a file import) goes through here:

- The checks see the stored bars before the new ones (``CONTEXT_DAYS``), so an outlier
  jump or a gap is found even when a single new day arrives; findings about the stored bars
  themselves are not repeated.
- A new bar for a day already stored replaces it only when its source ranks at least as
  high as the stored bar's (``SourceChain.rank``: an import, then the configured order): a
  fallback never overwrites the primary's days, an import overwrites anything.
- A replacement that changes the stored values is recorded as one ``replaced_bar`` finding
  per ingest (how many days, which, and what they came from); unchanged days are not
  written again.
- What is recorded: every rejection, and the flags of the bars written now (a day stored
  before had its flags recorded then, so asking a source again does not repeat them).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from eqr_market_data.app.ports import HistoryCache, MarketStore, TradingCalendar
from eqr_market_data.domain.events import BarsImported
from eqr_market_data.domain.model import AssetClass, Bar, CorporateAction, Instrument
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_market_data.domain.quality_checks import DEFAULT_POLICY, Check, QualityPolicy, check_bars

CONTEXT_DAYS = 100
"""Calendar days of stored bars read before the first new one: more than the outlier window's
sixty trading days."""

INTRADAY_POLICY = QualityPolicy(flag_zero_volume=False)
"""A minute without trades is ordinary."""


def policy_for(instrument: Instrument) -> QualityPolicy:
    """Zero volume is a finding for a day of anything but an index (which has no volume of its own)."""
    return QualityPolicy(flag_zero_volume=instrument.asset_class != AssetClass.INDEX)


@dataclass(frozen=True)
class Incoming:
    """One symbol's new daily bars, as a source or a file gave them."""

    symbol: str
    bars: Sequence[Bar]
    actions: Sequence[CorporateAction] = ()
    lines: Sequence[int] | None = None
    """Each bar's line in an imported file."""
    policy: QualityPolicy = DEFAULT_POLICY


@dataclass(frozen=True)
class Checked:
    symbol: str
    accepted: list[Bar]
    """The bars that passed the checks, oldest first."""
    writes: list[Bar]
    """The accepted bars that are new or change a stored day (and may replace it)."""
    issues: list[QualityIssue] = field(default_factory=list)
    """Every finding about the new bars (an import's report lists them all)."""
    recorded: list[QualityIssue] = field(default_factory=list)
    """The findings to store with the writes."""


def _day(bar: Bar) -> date:
    return bar.start.date()


def _values(bar: Bar) -> tuple[float, float, float, float, int]:
    return bar.open, bar.high, bar.low, bar.close, bar.volume


class DailyIngest:
    def __init__(
        self,
        store: MarketStore,
        cache: HistoryCache,
        calendar: TradingCalendar,
        rank: Callable[[str], int],
    ) -> None:
        self._store = store
        self._cache = cache
        self._calendar = calendar
        self._rank = rank

    async def check(self, batches: Sequence[Incoming]) -> list[Checked]:
        """Each batch checked against its symbol's stored bars (read in one query)."""
        wanted = [b for b in batches if b.bars]
        spans = [(b.symbol, min(map(_day, b.bars)), max(map(_day, b.bars))) for b in wanted]
        stored = await self._store.daily_bars_many(
            [(symbol, first - timedelta(days=CONTEXT_DAYS), last) for symbol, first, last in spans]
        )
        checked = {
            id(batch): self._check(batch, first, stored_bars)
            for batch, (_, first, _), stored_bars in zip(wanted, spans, stored, strict=True)
        }
        return [checked.get(id(b)) or Checked(b.symbol, [], []) for b in batches]

    async def save(
        self,
        checked: Sequence[Checked],
        actions: Sequence[CorporateAction] = (),
        event: BarsImported | None = None,
    ) -> int:
        """Stores the writes and findings (one transaction), then the actions; drops the
        cached slices of every symbol that got new bars. Returns the bars written."""
        writes = [bar for c in checked for bar in c.writes]
        issues = [issue for c in checked for issue in c.recorded]
        if actions:
            await self._store.save_corporate_actions(actions)
        written = await self._store.save_daily_bars(writes, issues, event) if writes or issues or event else 0
        for symbol in dict.fromkeys(c.symbol for c in checked if c.writes):
            await self._cache.invalidate(symbol)
        return written

    def _check(self, batch: Incoming, first: date, stored: Sequence[Bar]) -> Checked:
        before = [bar for bar in stored if _day(bar) < first][-(batch.policy.outlier_window + 1) :]
        on_days = {_day(bar): bar for bar in stored if _day(bar) >= first}
        last = max(map(_day, batch.bars))
        lines = [0] * len(before) + list(batch.lines) if batch.lines is not None else None
        good, issues = check_bars(
            [*before, *batch.bars],
            expected_days=self._calendar.sessions(_day(before[0]) if before else first, last),
            actions=batch.actions,
            lines=lines,
            policy=batch.policy,
        )
        cutoff = before[-1].start if before else datetime.min.replace(tzinfo=batch.bars[0].start.tzinfo)
        issues = [i for i in issues if i.observed_at is None or i.observed_at > cutoff]
        accepted = [bar for bar in good if _day(bar) >= first]
        writes: list[Bar] = []
        replaced: list[tuple[Bar, Bar]] = []
        for bar in accepted:
            current = on_days.get(_day(bar))
            if current is None:
                writes.append(bar)
            elif self._rank(bar.source) <= self._rank(current.source) and (
                _values(bar) != _values(current) or bar.source != current.source
            ):
                writes.append(bar)
                if _values(bar) != _values(current):
                    replaced.append((bar, current))
        if replaced:
            issues.append(_replacement(batch, replaced))
        return Checked(batch.symbol, accepted, writes, issues, _worth_recording(issues, writes))


def _worth_recording(issues: Sequence[QualityIssue], writes: Sequence[Bar]) -> list[QualityIssue]:
    written = {bar.start for bar in writes}

    def worth(issue: QualityIssue) -> bool:
        if issue.severity is Severity.REJECTED:
            return True
        if issue.check == Check.CALENDAR_GAP:
            return bool(written)
        return issue.observed_at in written

    return [issue for issue in issues if worth(issue)]


def _replacement(batch: Incoming, replaced: Sequence[tuple[Bar, Bar]]) -> QualityIssue:
    days = [_day(new) for new, _ in replaced]
    sources = ", ".join(dict.fromkeys(old.source for _, old in replaced))
    span = f"{days[0]}" if len(days) == 1 else f"{days[0]} to {days[-1]}"
    first = replaced[0][0]
    line = 0
    if batch.lines is not None:
        line = next((ln for bar, ln in zip(batch.bars, batch.lines, strict=True) if bar is first), 0)
    return QualityIssue(
        batch.symbol,
        Check.REPLACED_BAR,
        Severity.FLAGGED,
        f"{len(days)} stored day{'s' if len(days) > 1 else ''} replaced with different values ({span}); "
        f"they came from {sources}",
        field="date",
        line=line,
        observed_at=first.start,
    )
