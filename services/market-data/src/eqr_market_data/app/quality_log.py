"""Findings into the store once each.

The same finding can be met many times: a provider's intraday bars are checked on every
request for them, a quote that stays out of band is checked on every tick. Each is recorded
(stored, and counted in the metric) the first time; a bounded memory of recent keys keeps the
repeats out.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence

from eqr_market_data.app.ports import MarketStore
from eqr_market_data.domain.quality import QualityIssue

DEFAULT_MEMORY = 100_000


def finding_key(issue: QualityIssue) -> Hashable:
    """A finding about one row: the same check of the same field at the same moment."""
    return (issue.symbol, issue.check, issue.field, issue.observed_at)


class QualityLog:
    def __init__(self, store: MarketStore, *, memory: int = DEFAULT_MEMORY) -> None:
        self._store = store
        self._memory = memory
        self._seen: OrderedDict[Hashable, None] = OrderedDict()

    async def record(
        self, issues: Sequence[QualityIssue], key: Callable[[QualityIssue], Hashable] = finding_key
    ) -> list[QualityIssue]:
        """Stores the findings not recorded before; returns them."""
        fresh: dict[Hashable, QualityIssue] = {}
        for issue in issues:
            seen = key(issue)
            if seen in self._seen:
                self._seen.move_to_end(seen)
            else:
                fresh.setdefault(seen, issue)
        if not fresh:
            return []
        self._seen.update(dict.fromkeys(fresh))
        try:
            await self._store.record_quality_issues(list(fresh.values()))
        except BaseException:
            for seen in fresh:
                self._seen.pop(seen, None)
            raise
        while len(self._seen) > self._memory:
            self._seen.popitem(last=False)
        return list(fresh.values())
