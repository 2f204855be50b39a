"""Aggregation of bars into longer ones: open first, high max, low min, close last, volume sum.

Intraday buckets are aligned to the session open in the exchange's time zone (for NYSE the
hourly bars of a regular day are 09:30-10:30, ..., 14:30-15:30, 15:30-16:00). Weekly bars
group ISO weeks and monthly bars calendar months; each starts at its first trading day's
bar. A bucket takes the symbol and source of its first bar.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from eqr_market_data.domain.model import Bar, Interval

NEW_YORK = ZoneInfo("America/New_York")
NYSE_OPEN = time(9, 30)


def resample(
    bars: Sequence[Bar], target: Interval, *, session_open: time = NYSE_OPEN, tz: tzinfo = NEW_YORK
) -> list[Bar]:
    """``bars`` of one or more symbols aggregated to ``target``, ordered by start then symbol.

    Intraday targets take intraday bars whose length divides the target's; weekly and monthly
    targets take daily bars. Anything else is a programming error (``ValueError``).
    """
    if not bars:
        return []
    source_intervals = {bar.interval for bar in bars}
    if len(source_intervals) != 1:
        raise ValueError("bars of mixed intervals")
    source = source_intervals.pop()
    if source is target:
        return sorted(bars, key=lambda bar: (bar.start, bar.symbol))
    if target.is_intraday and source.is_intraday and target.minutes % source.minutes == 0:
        return _aggregate(bars, target, _session_bucket(target.minutes, session_open, tz))
    if target is Interval.W1 and source is Interval.D1:
        return _aggregate(bars, target, _iso_week)
    if target is Interval.MO1 and source is Interval.D1:
        return _aggregate(bars, target, _calendar_month)
    raise ValueError(f"cannot resample {source} bars to {target}")


Bucketing = Callable[[datetime], datetime]
"""A bar's start -> the key of its bucket (for intraday targets, the bucket's start)."""


def _session_bucket(minutes: int, session_open: time, tz: tzinfo) -> Bucketing:
    def bucket(start: datetime) -> datetime:
        local = start.astimezone(tz)
        opened = datetime.combine(local.date(), session_open, tzinfo=tz)
        elapsed = (local - opened) // timedelta(minutes=1)
        return (opened + timedelta(minutes=minutes * (elapsed // minutes))).astimezone(UTC)

    return bucket


def _iso_week(start: datetime) -> datetime:
    monday = start - timedelta(days=start.weekday())
    return monday.replace(hour=0, minute=0, second=0, microsecond=0)


def _calendar_month(start: datetime) -> datetime:
    return start.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _aggregate(bars: Sequence[Bar], target: Interval, bucket_of: Bucketing) -> list[Bar]:
    """Bars grouped by (symbol, bucket); an intraday bucket starts at its key, a longer one at
    its first bar."""
    groups: dict[tuple[str, datetime], list[Bar]] = {}
    for bar in sorted(bars, key=lambda bar: bar.start):
        groups.setdefault((bar.symbol, bucket_of(bar.start)), []).append(bar)
    aggregated = []
    for (_, key), members in groups.items():
        first, last = members[0], members[-1]
        aggregated.append(
            Bar(
                symbol=first.symbol,
                interval=target,
                start=key if target.is_intraday else first.start,
                open=first.open,
                high=max(bar.high for bar in members),
                low=min(bar.low for bar in members),
                close=last.close,
                volume=sum(bar.volume for bar in members),
                source=first.source,
            )
        )
    return sorted(aggregated, key=lambda bar: (bar.start, bar.symbol))
