"""The quality checks of what the live market produces, before anything leaves the ticker.

- Quotes: ``QuoteScreen`` (rejected ones are not published, flagged ones go out marked stale).
- One-minute bars: checked per symbol after the symbol's previous minutes (kept in memory),
  so an outlier jump is measured against the session so far; rejected ones are not stored.
- Closed days: ``DailyIngest``, against the stored days before them.

Findings are recorded (``QualityLog`` for quotes and minutes, with the bars for days).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict, deque
from collections.abc import Sequence
from datetime import datetime

from eqr_market_data.app.daily_ingest import INTRADAY_POLICY, DailyIngest, Incoming, policy_for
from eqr_market_data.app.quality_log import QualityLog
from eqr_market_data.app.quote_quality import QuoteScreen
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.model import Bar, Quote
from eqr_market_data.domain.quality import QualityIssue
from eqr_market_data.domain.quality_checks import DEFAULT_POLICY, QualityPolicy, check_bars

MINUTES_KEPT = DEFAULT_POLICY.outlier_min_history + 1
"""Previous minutes per symbol the next ones are checked after (enough for a robust sigma)."""


class LiveChecks:
    def __init__(self, universe: Universe, screen: QuoteScreen, log: QualityLog, daily: DailyIngest) -> None:
        self._universe = universe
        self._screen = screen
        self._log = log
        self._daily = daily
        self._minutes: dict[str, deque[Bar]] = defaultdict(lambda: deque(maxlen=MINUTES_KEPT))

    async def quotes(self, quotes: Sequence[Quote], now: datetime) -> list[Quote]:
        return await self._screen.screen(quotes, as_of=now)

    async def minutes(self, bars: Sequence[Bar]) -> list[Bar]:
        """The finished minutes fit to store; findings recorded. A minute's worth of every
        symbol takes tens of milliseconds to check: a worker thread does it, so the event loop
        keeps serving meanwhile."""
        good, issues = await asyncio.to_thread(self._check_minutes, bars)
        if issues:
            await self._log.record(issues)
        return good

    def _check_minutes(self, bars: Sequence[Bar]) -> tuple[list[Bar], list[QualityIssue]]:
        by_symbol: dict[str, list[Bar]] = defaultdict(list)
        for bar in bars:
            by_symbol[bar.symbol].append(bar)
        good: list[Bar] = []
        issues: list[QualityIssue] = []
        for symbol, new in by_symbol.items():
            previous = self._minutes[symbol]
            kept, found = check_bars([*previous, *new], policy=INTRADAY_POLICY)
            new_bars = {id(bar) for bar in new}
            new_starts = {bar.start for bar in new}
            fresh = [bar for bar in kept if id(bar) in new_bars]
            issues += [issue for issue in found if issue.observed_at in new_starts]
            good += fresh
            previous.extend(fresh)
        return good, issues

    async def store_days(self, bars: Sequence[Bar]) -> None:
        """Checks each symbol's closed day against its stored days and stores it."""
        by_symbol: dict[str, list[Bar]] = defaultdict(list)
        for bar in bars:
            by_symbol[bar.symbol].append(bar)
        checked = await self._daily.check(
            [Incoming(symbol, days, policy=self._policy(symbol)) for symbol, days in by_symbol.items()]
        )
        await self._daily.save(checked)

    def _policy(self, symbol: str) -> QualityPolicy:
        return policy_for(self._universe.get(symbol)) if symbol in self._universe else DEFAULT_POLICY
