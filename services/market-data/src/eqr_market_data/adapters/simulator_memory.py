"""The simulator's history kept in memory, compactly: what a fallback simulator generates for
itself instead of writing it to the service's store (a few tens of bytes per bar, not an
object per bar)."""

from __future__ import annotations

from array import array
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime, time

from eqr_market_data.domain.model import Bar, CorporateAction, Instrument, Interval, NewsItem, Source
from eqr_market_data.domain.quality import QualityIssue


class _Series:
    """One symbol's bars, oldest first: days as ordinals, then open, high, low, close, volume."""

    def __init__(self) -> None:
        self.days: array[int] = array("l")
        self.prices: array[float] = array("d")
        self.volumes: array[int] = array("q")

    def replace_with(self, bars: Sequence[Bar]) -> None:
        self.days = array("l", (bar.start.date().toordinal() for bar in bars))
        self.prices = array("d", (p for bar in bars for p in (bar.open, bar.high, bar.low, bar.close)))
        self.volumes = array("q", (bar.volume for bar in bars))

    def bars(self, symbol: str, first: int, last: int) -> list[Bar]:
        start, stop = bisect_left(self.days, first), bisect_right(self.days, last)
        return [self.bar(symbol, i) for i in range(start, stop)]

    def bar(self, symbol: str, index: int) -> Bar:
        o, h, low, c = self.prices[4 * index : 4 * index + 4]
        day = date.fromordinal(self.days[index])
        start = datetime.combine(day, time(), tzinfo=UTC)
        return Bar(symbol, Interval.D1, start, o, h, low, c, self.volumes[index], Source.SIMULATED)


class MemoryHistory:
    """Daily bars and corporate actions by symbol; instruments and news are not kept."""

    def __init__(self) -> None:
        self._series: dict[str, _Series] = defaultdict(_Series)
        self._actions: dict[str, dict[tuple[date, str], CorporateAction]] = defaultdict(dict)

    async def upsert_instruments(self, instruments: Sequence[Instrument]) -> None:
        return None

    async def last_daily_dates(self) -> dict[str, date]:
        return {symbol: date.fromordinal(s.days[-1]) for symbol, s in self._series.items() if s.days}

    async def daily_bars(self, symbol: str, start: date, end: date) -> list[Bar]:
        series = self._series.get(symbol)
        return [] if series is None else series.bars(symbol, start.toordinal(), end.toordinal())

    async def save_daily_bars(self, bars: Sequence[Bar], issues: Sequence[QualityIssue] = ()) -> int:
        by_symbol: dict[str, list[Bar]] = defaultdict(list)
        for bar in bars:
            by_symbol[bar.symbol].append(bar)
        for symbol, new in by_symbol.items():
            series = self._series[symbol]
            merged = {
                b.start.date(): b for b in series.bars(symbol, date.min.toordinal(), date.max.toordinal())
            }
            merged.update((b.start.date(), b) for b in new)
            series.replace_with([merged[day] for day in sorted(merged)])
        return len(bars)

    async def save_corporate_actions(self, actions: Sequence[CorporateAction]) -> None:
        for action in actions:
            self._actions[action.symbol][(action.ex_date, action.kind)] = action

    async def corporate_actions(self, symbol: str) -> list[CorporateAction]:
        kept = self._actions.get(symbol, {})
        return [kept[key] for key in sorted(kept)]

    async def save_news(self, items: Sequence[NewsItem]) -> None:
        return None
