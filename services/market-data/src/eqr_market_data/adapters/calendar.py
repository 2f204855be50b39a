"""Trading days and sessions: NYSE from exchange-calendars, or every hour ("always" mode).

``always`` keeps NYSE's trading days for history (a chart has no weekend bars) but treats
the market as open at any hour, so a newcomer sees prices move at midnight on a Sunday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from functools import lru_cache

import exchange_calendars
import pandas as pd


@lru_cache(maxsize=1)
def _nyse() -> exchange_calendars.ExchangeCalendar:
    return exchange_calendars.get_calendar("XNYS")


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
        calendar = _nyse()
        session = pd.Timestamp(day)
        return (
            calendar.session_open(session).to_pydatetime().astimezone(UTC),
            calendar.session_close(session).to_pydatetime().astimezone(UTC),
        )

    def is_open(self, at: datetime) -> bool:
        return self._always_open or bool(_nyse().is_open_on_minute(pd.Timestamp(at)))
