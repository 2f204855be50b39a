"""The moment quotes are judged by: now while the exchange trades, else the close of its last
session. A quote from the close stays current all evening and all weekend, so a provider that
is first in the source order keeps serving when the market is shut, rather than handing over
to a source whose quotes are stamped later (the simulator, ticking at any hour)."""

from __future__ import annotations

from datetime import datetime, timedelta

from eqr_market_data.app.ports import Clock, TradingCalendar

_LOOK_BACK = timedelta(days=14)
"""Far enough back to find the last session across any run of holidays."""


class MarketHours:
    def __init__(self, calendar: TradingCalendar, clock: Clock) -> None:
        """``calendar``: the exchange's real hours (not the simulator's ``always`` mode)."""
        self._calendar = calendar
        self._clock = clock
        self._minute: datetime | None = None
        self._close: datetime | None = None

    def as_of(self) -> datetime:
        now = self._clock.now()
        minute = now.replace(second=0, microsecond=0)
        if minute != self._minute:
            self._minute = minute
            self._close = None if self._calendar.is_open(now) else self._last_close(now)
        return now if self._close is None else min(self._close, now)

    def _last_close(self, now: datetime) -> datetime:
        for day in reversed(self._calendar.sessions((now - _LOOK_BACK).date(), now.date())):
            close = self._calendar.session_bounds(day)[1]
            if close <= now:
                return close
        return now
