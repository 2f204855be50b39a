"""Trading days and sessions: NYSE from exchange-calendars, or every hour ("always" mode).

``always`` keeps NYSE's trading days for history (a chart has no weekend bars) but treats
the market as open at any hour, so a newcomer sees prices move at midnight on a Sunday.

Whether the market is open is answered from the session of the moment's New York date (an
NYSE session neither crosses midnight nor pauses), not from exchange-calendars' index of every
trading minute since the calendar's start: the ticker asks on every step, and that index is
two million minutes built on first use.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

import exchange_calendars
import pandas as pd

NEW_YORK = ZoneInfo("America/New_York")


CALENDAR_START = "1970-01-02"
"""The first day the calendar knows. exchange-calendars' default starts 20 years back, which
left imports of older files without calendar checks; its NYSE rules are sound from 1970 (before
that it counts New Year's Day and Christmas as sessions). Earlier days have no sessions."""


@lru_cache(maxsize=1)
def _nyse() -> exchange_calendars.ExchangeCalendar:
    return exchange_calendars.get_calendar("XNYS", start=CALENDAR_START)


@lru_cache(maxsize=64)
def _session(day: date) -> tuple[datetime, datetime] | None:
    """The open and close (UTC) of ``day``'s session; None when ``day`` is not a trading day."""
    calendar = _nyse()
    session = pd.Timestamp(day)
    if not calendar.first_session <= session <= calendar.last_session or not calendar.is_session(session):
        return None
    return (
        calendar.session_open(session).to_pydatetime().astimezone(UTC),
        calendar.session_close(session).to_pydatetime().astimezone(UTC),
    )


class NyseCalendar:
    def __init__(self, *, always_open: bool = False) -> None:
        self._always_open = always_open

    def sessions(self, start: date, end: date) -> list[date]:
        calendar = _nyse()
        first = max(pd.Timestamp(start), calendar.first_session)
        last = min(pd.Timestamp(end), calendar.last_session)
        if first > last:
            return []
        return [ts.date() for ts in calendar.sessions_in_range(first, last)]

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        """Open and close of ``day``'s session in UTC (13:00 New York time on an early close);
        ``ValueError`` when ``day`` is not a trading day."""
        bounds = _session(day)
        if bounds is None:
            raise ValueError(f"{day} is not a session of the NYSE calendar")
        return bounds

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (timezone-aware) falls in a session: from its open, up to its close."""
        if self._always_open:
            return True
        bounds = _session(at.astimezone(NEW_YORK).date())
        return bounds is not None and bounds[0] <= at < bounds[1]
