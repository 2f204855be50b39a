"""When stored daily bars are served as they are, and when the sources are asked again.

Stored bars are current when the newest of them comes from the primary source (or from a
file import) and they reach the last session of the range that has closed (the live day is
the live quote's, so its session is not required). The oldest must reach the range's first
session, unless the sources were already asked for the range in this process (a listing
younger than the range has nothing earlier anywhere). Anything else asks the sources again:
bars a fallback served while the primary failed are replaced once it answers, and a day that
closed since is fetched.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date, datetime
from functools import lru_cache

from eqr_market_data.app.ports import Clock, TradingCalendar
from eqr_market_data.domain.model import Bar


class DailyFreshness:
    def __init__(self, calendar: TradingCalendar, clock: Clock, rank: Callable[[str], int]) -> None:
        self._clock = clock
        self._rank = rank
        self._asked_from: dict[str, date] = {}
        # A batch of closes asks about hundreds of ranges, mostly the same few: the calendar
        # (exchange-calendars underneath) is asked once per range and once per day.
        self._sessions: Callable[[date, date], tuple[date, ...]] = lru_cache(maxsize=512)(
            lambda first, last: tuple(calendar.sessions(first, last))
        )
        self._close: Callable[[date], datetime] = lru_cache(maxsize=4096)(
            lambda day: calendar.session_bounds(day)[1]
        )

    def needs_fetch(
        self, symbol: str, stored: Sequence[Bar], first: date, last: date, live_day: date | None
    ) -> bool:
        closed = self._closed(first, last, live_day)
        if closed is None:
            return False  # no session of the range has closed: no source can have a bar yet
        if not stored:
            return True
        first_session, last_closed = closed
        newest, oldest = stored[-1], stored[0]
        if self._rank(newest.source) > 0 or newest.start.date() < last_closed:
            return True
        return oldest.start.date() > first_session and self._asked_from.get(symbol, date.max) > first

    def last_closed(self, first: date, last: date, live_day: date | None) -> date | None:
        """The range's last session that has closed, not counting the live day's: a source's
        bar for a later day is a day still trading, and is not stored."""
        closed = self._closed(first, last, live_day)
        return closed[1] if closed else None

    def asked(self, symbol: str, first: date) -> None:
        """The sources were asked for the symbol's bars from ``first`` on."""
        self._asked_from[symbol] = min(first, self._asked_from.get(symbol, date.max))

    def _closed(self, first: date, last: date, live_day: date | None) -> tuple[date, date] | None:
        """The range's first session and its last closed one (the live day's aside), if any."""
        sessions = self._sessions(first, last)
        now = self._clock.now()
        index = len(sessions) - 1
        while index >= 0 and (
            (live_day is not None and sessions[index] >= live_day) or self._close(sessions[index]) > now
        ):
            index -= 1
        return (sessions[0], sessions[index]) if index >= 0 else None
