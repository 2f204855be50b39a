"""Quotes checked on every ingest (a source's answer, a tick of the live market).

Rejected quotes (a price that is not a positive number) are dropped; flagged ones (stale, or
further from the previous close than the band allows) are kept but marked ``stale``, so they
are never served as fresh and the fallback chain asks the next source. Findings are recorded
once per symbol, check and day: a quote stuck out of band is one finding, not one per tick.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from eqr_market_data.app.quality_log import QualityLog
from eqr_market_data.domain.model import Quote
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_market_data.domain.quality_checks import DEFAULT_POLICY, QualityPolicy, check_quotes


def _per_day(issue: QualityIssue) -> Hashable:
    return (issue.symbol, issue.check, issue.observed_at.date() if issue.observed_at else None)


class QuoteScreen:
    def __init__(
        self, log: QualityLog, *, max_age: timedelta, band: float = DEFAULT_POLICY.quote_band
    ) -> None:
        self._log = log
        self._policy = QualityPolicy(max_quote_age=max_age, quote_band=band)

    async def screen(self, quotes: Sequence[Quote], *, as_of: datetime) -> list[Quote]:
        """The quotes fit to serve, flagged ones marked stale; ``as_of`` is the moment their age
        is measured to (the last close while the market is shut)."""
        good, issues = check_quotes(quotes, now=as_of, policy=self._policy)
        if not issues:
            return good
        await self._log.record(issues, key=_per_day)
        flagged = {issue.symbol for issue in issues if issue.severity is Severity.FLAGGED}
        return [replace(q, stale=True) if q.symbol in flagged and not q.stale else q for q in good]
