"""Which bars a history request asks for: ``from``/``to``, or a ``range`` back from now.

The gRPC request carries only start and end, so a range is resolved here; ``from``/``to``
pass through as given. With none of the three both stay unset and the service applies its
default: a year of daily (and longer) bars, the latest session of intraday ones.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from eqr_gateway.problems import invalid_field
from eqr_gateway.schemas.market import HistoryRange, Interval

# How far back the service serves each interval (eqr_market_data.domain.ranges): a range
# reaching further is clamped, a minute short so that the service's later "now" still admits it.
INTRADAY_REACH: dict[Interval, timedelta] = {
    "1m": timedelta(days=7),
    "5m": timedelta(days=30),
    "15m": timedelta(days=30),
    "1h": timedelta(days=30),
}
MAX_DAILY_YEARS = 50
_REACH_MARGIN = timedelta(minutes=1)
_RANGE_DAYS: dict[HistoryRange, int] = {"1d": 1, "5d": 5}
_RANGE_MONTHS: dict[HistoryRange, int] = {
    "1mo": 1,
    "3mo": 3,
    "6mo": 6,
    "1y": 12,
    "2y": 24,
    "5y": 60,
    "10y": 120,
    "max": 12 * MAX_DAILY_YEARS,
}


@dataclass(frozen=True)
class Window:
    start: datetime | None
    end: datetime | None
    # The REST parameter the start came from: what a service complaint about it names.
    start_field: str


def _months_before(moment: datetime, months: int) -> datetime:
    year, month_index = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    month = month_index + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def range_start(span: HistoryRange, interval: Interval, now: datetime) -> datetime:
    if span == "ytd":
        start = datetime(now.year, 1, 1, tzinfo=UTC)
    elif span in _RANGE_DAYS:
        start = now - timedelta(days=_RANGE_DAYS[span])
    else:
        start = _months_before(now, _RANGE_MONTHS[span])
    reach = INTRADAY_REACH.get(interval)
    return start if reach is None else max(start, now - reach + _REACH_MARGIN)


def history_window(
    interval: Interval,
    start: datetime | None,
    end: datetime | None,
    span: HistoryRange | None,
    now: datetime,
) -> Window:
    if span is not None:
        if start is not None or end is not None:
            raise invalid_field("query.range", "give either range or from/to, not both")
        return Window(range_start(span, interval, now), None, "query.range")
    if start is not None and start > (end or now):
        raise invalid_field("query.from", "must not be later than to (or now, when to is not given)")
    return Window(start, end, "query.from")
