"""Turning a history request (interval, from/to or a range token) into a ``HistoryRange``.

Bounds are inclusive. A ``from`` date starts at 00:00 UTC, a ``to`` date ends at the last
instant of its day, naive datetimes are UTC, and ``to`` is capped at ``now``. Range tokens
count back from ``now`` in calendar days, months or years (``ytd``: from 1 January; ``max``:
as far as the interval allows). Daily and longer intervals start at 00:00 UTC of their
first day. Intraday history reaches back 30 days (1m: 7 days; a ``1mo`` token is clamped to
that); daily and longer history spans at most 50 years. Errors name the request field:
``interval``, ``from``, ``to`` or ``range``.
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, time, timedelta

from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import HistoryRange, Interval

MAX_DAILY_SPAN_YEARS = 50
EARLIEST_YEAR = 1900
INTRADAY_REACH = {
    Interval.M1: timedelta(days=7),
    Interval.M5: timedelta(days=30),
    Interval.M15: timedelta(days=30),
    Interval.H1: timedelta(days=30),
}
RANGE_TOKENS = ("1d", "5d", "1mo", "3mo", "6mo", "ytd", "1y", "2y", "5y", "10y", "max")
_INTRADAY_RANGES = {
    Interval.M1: ("1d", "5d", "max"),
    Interval.M5: ("1d", "5d", "1mo", "max"),
    Interval.M15: ("1d", "5d", "1mo", "max"),
    Interval.H1: ("1d", "5d", "1mo", "max"),
}
_DEFAULT_RANGE = "1y"

Bound = str | date | datetime | None
"""An ISO 8601 date or datetime as text, a date, a datetime, or absent."""


def parse_interval(raw: str) -> Interval:
    try:
        return Interval(raw.strip())
    except ValueError:
        raise InvalidRequest("interval", f"must be one of {', '.join(Interval)}") from None


def resolve_history_range(
    interval: str | Interval,
    start: Bound = None,
    end: Bound = None,
    *,
    now: datetime,
    range_token: str | None = None,
    adjusted: bool = False,
    latest_session_open: datetime | None = None,
) -> HistoryRange:
    """The validated range of a history request.

    Give ``start``/``end`` (the API's ``from``/``to``) or ``range_token``, not both. With
    neither: the last year for daily and longer intervals; for intraday ones, from
    ``latest_session_open`` (the caller knows the trading calendar) or the last day.
    """
    resolved = interval if isinstance(interval, Interval) else parse_interval(interval)
    if range_token is not None and (start is not None or end is not None):
        raise InvalidRequest("range", "give either range or from/to, not both")
    if range_token is None and start is None and end is None:
        if not resolved.is_intraday:
            range_token = _DEFAULT_RANGE
        elif latest_session_open is not None:
            start = latest_session_open
        else:
            range_token = "1d"
    if range_token is not None:
        first, last = _from_token(range_token.strip(), resolved, now), now
    else:
        last = min(_bound(end, "to", end_of_day=True), now) if end is not None else now
        first = (
            _bound(start, "from", end_of_day=False)
            if start is not None
            else _default_start(resolved, last, now)
        )
    if not resolved.is_intraday:
        first = datetime.combine(first.date(), time(), tzinfo=UTC)
    _validate(first, last, resolved, now)
    return HistoryRange(start=first, end=last, interval=resolved, adjusted=adjusted)


def _default_start(interval: Interval, last: datetime, now: datetime) -> datetime:
    reach = INTRADAY_REACH.get(interval)
    if reach is None:
        return _months_before(last, 12)
    if last < now - reach:
        raise InvalidRequest("to", f"{interval} bars reach back {reach.days} days")
    return now - reach


def _from_token(token: str, interval: Interval, now: datetime) -> datetime:
    if token not in RANGE_TOKENS:
        raise InvalidRequest("range", f"must be one of {', '.join(RANGE_TOKENS)}")
    reach = INTRADAY_REACH.get(interval)
    if reach is not None:
        if token not in _INTRADAY_RANGES[interval]:
            allowed = ", ".join(_INTRADAY_RANGES[interval])
            raise InvalidRequest(
                "interval",
                f"{interval} bars reach back {reach.days} days; use range {allowed} or a daily interval",
            )
        return max(_token_start(token, now), now - reach)
    return _token_start(token, now)


def _token_start(token: str, now: datetime) -> datetime:
    if token == "max":
        return _months_before(now, 12 * MAX_DAILY_SPAN_YEARS)
    if token == "ytd":
        return datetime(now.year, 1, 1, tzinfo=UTC)
    if token.endswith("d"):
        return now - timedelta(days=int(token[:-1]))
    if token.endswith("mo"):
        return _months_before(now, int(token[:-2]))
    return _months_before(now, 12 * int(token[:-1]))


def _months_before(moment: datetime, months: int) -> datetime:
    year, month = divmod(moment.year * 12 + moment.month - 1 - months, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def _bound(value: str | date | datetime, field: str, *, end_of_day: bool) -> datetime:
    if isinstance(value, str):
        value = _parsed(value.strip(), field)
    try:
        if isinstance(value, datetime):
            bound = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        else:
            bound = datetime.combine(value, time.max if end_of_day else time(), tzinfo=UTC)
    except OverflowError:
        raise InvalidRequest(field, "is out of range") from None
    if bound.year < EARLIEST_YEAR:
        raise InvalidRequest(field, f"must be in {EARLIEST_YEAR} or later")
    return bound


def _parsed(text: str, field: str) -> date | datetime:
    if len(text) <= 10:
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise InvalidRequest(field, "must be an ISO 8601 date (2024-01-31) or datetime") from None


def _validate(first: datetime, last: datetime, interval: Interval, now: datetime) -> None:
    if first > now:
        raise InvalidRequest("from", "is in the future")
    if first > last:
        raise InvalidRequest("from", "must not be after 'to'")
    reach = INTRADAY_REACH.get(interval)
    if reach is not None and first < now - reach:
        raise InvalidRequest("from", f"{interval} bars reach back {reach.days} days")
    if reach is None and first.date() < _months_before(last, 12 * MAX_DAILY_SPAN_YEARS).date():
        raise InvalidRequest("from", f"the range may span at most {MAX_DAILY_SPAN_YEARS} years")


def resolve_close_days(start: date | None, end: date | None, *, today: date, field: str) -> tuple[date, date]:
    """The inclusive days of a daily-closes query, ``end`` capped at ``today``; errors name
    ``<field>.start`` or ``<field>.end``."""
    if start is None:
        raise InvalidRequest(f"{field}.start", "is required")
    if start.year < EARLIEST_YEAR:
        raise InvalidRequest(f"{field}.start", f"must be in {EARLIEST_YEAR} or later")
    if start > today:
        raise InvalidRequest(f"{field}.start", "is in the future")
    last = today if end is None else min(end, today)
    if start > last:
        raise InvalidRequest(f"{field}.start", "must not be after end")
    if start < _months_before(datetime.combine(last, time(), tzinfo=UTC), 12 * MAX_DAILY_SPAN_YEARS).date():
        raise InvalidRequest(f"{field}.start", f"the range may span at most {MAX_DAILY_SPAN_YEARS} years")
    return start, last
