"""When stored daily bars are served as they are and when the sources are asked again, and the
moment quote ages are measured to (ADR 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from eqr_market_data.app.daily_freshness import DailyFreshness
from eqr_market_data.app.market_hours import MarketHours
from eqr_market_data.domain.model import Bar, Interval

RANKS = {"import": -1, "alphavantage": 0, "simulated": 1}
MONDAY, FRIDAY = date(2026, 3, 9), date(2026, 3, 6)


class Weekdays:
    def __init__(self) -> None:
        self.calls = 0

    def sessions(self, start: date, end: date) -> list[date]:
        self.calls += 1
        days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
        return [d for d in days if d.weekday() < 5]

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
        return midnight + timedelta(hours=14, minutes=30), midnight + timedelta(hours=21)

    def is_open(self, at: datetime) -> bool:
        opens, closes = self.session_bounds(at.date())
        return at.weekday() < 5 and opens <= at < closes


class Clock:
    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def now(self) -> datetime:
        return self.moment


def _bars(first: date, last: date, source: str = "alphavantage") -> list[Bar]:
    days = Weekdays().sessions(first, last)
    return [
        Bar("KO", Interval.D1, datetime(d.year, d.month, d.day, tzinfo=UTC), 1, 1, 1, 1, 1, source)
        for d in days
    ]


def _freshness(at: datetime) -> DailyFreshness:
    return DailyFreshness(Weekdays(), Clock(at), lambda source: RANKS.get(source, 9))


MONDAY_MORNING = datetime(2026, 3, 9, 15, 0, tzinfo=UTC)  # Monday's session has not closed
MONDAY_EVENING = datetime(2026, 3, 9, 22, 0, tzinfo=UTC)


def test_the_primarys_bars_up_to_the_last_closed_session_are_current() -> None:
    freshness = _freshness(MONDAY_MORNING)
    stored = _bars(date(2026, 2, 2), FRIDAY)
    assert not freshness.needs_fetch("KO", stored, date(2026, 2, 2), MONDAY, live_day=MONDAY)
    assert freshness.last_closed(date(2026, 2, 2), MONDAY, live_day=MONDAY) == FRIDAY


def test_a_session_that_closed_since_asks_the_sources() -> None:
    stored = _bars(date(2026, 2, 2), FRIDAY)
    freshness = _freshness(MONDAY_EVENING)
    assert freshness.needs_fetch("KO", stored, date(2026, 2, 2), MONDAY, live_day=None)
    # ... unless it is the live quote's day, whose bar is the live one.
    assert not freshness.needs_fetch("KO", stored, date(2026, 2, 2), MONDAY, live_day=MONDAY)


@pytest.mark.parametrize("newest", ["simulated", "yahoo"])
def test_bars_of_a_fallback_or_a_source_no_longer_configured_ask_the_sources(newest: str) -> None:
    stored = [*_bars(date(2026, 2, 2), date(2026, 3, 5)), *_bars(FRIDAY, FRIDAY, newest)]
    assert _freshness(MONDAY_MORNING).needs_fetch("KO", stored, date(2026, 2, 2), MONDAY, live_day=MONDAY)


def test_imported_bars_are_current() -> None:
    stored = _bars(date(2026, 2, 2), FRIDAY, "import")
    assert not _freshness(MONDAY_MORNING).needs_fetch("KO", stored, date(2026, 2, 2), MONDAY, live_day=MONDAY)


def test_a_short_head_asks_the_sources_once() -> None:
    freshness = _freshness(MONDAY_MORNING)
    stored = _bars(date(2026, 2, 16), FRIDAY)  # a listing younger than the range, say
    assert freshness.needs_fetch("KO", stored, date(2026, 2, 2), MONDAY, live_day=MONDAY)
    freshness.asked("KO", date(2026, 2, 2))
    assert not freshness.needs_fetch("KO", stored, date(2026, 2, 2), MONDAY, live_day=MONDAY)
    assert not freshness.needs_fetch("KO", stored, date(2026, 2, 9), MONDAY, live_day=MONDAY)
    assert freshness.needs_fetch("KO", stored, date(2026, 1, 5), MONDAY, live_day=MONDAY)


def test_nothing_stored_asks_unless_no_session_has_closed() -> None:
    freshness = _freshness(MONDAY_MORNING)
    assert freshness.needs_fetch("KO", [], FRIDAY, MONDAY, live_day=None)
    assert not freshness.needs_fetch("KO", [], date(2026, 3, 7), MONDAY, live_day=None)  # weekend + today
    assert freshness.last_closed(date(2026, 3, 7), MONDAY, live_day=None) is None


def test_quote_ages_are_measured_to_now_while_open_and_to_the_last_close_while_shut() -> None:
    clock = Clock(MONDAY_MORNING)
    hours = MarketHours(Weekdays(), clock)
    assert hours.as_of() == MONDAY_MORNING
    clock.moment = MONDAY_EVENING
    assert hours.as_of() == datetime(2026, 3, 9, 21, 0, tzinfo=UTC)
    clock.moment = datetime(2026, 3, 8, 12, 0, tzinfo=UTC)  # Sunday
    assert hours.as_of() == datetime(2026, 3, 6, 21, 0, tzinfo=UTC)


def test_the_exchanges_hours_are_looked_up_once_a_minute() -> None:
    calendar = Weekdays()
    clock = Clock(datetime(2026, 3, 8, 12, 0, tzinfo=UTC))
    hours = MarketHours(calendar, clock)
    for second in range(30):
        clock.moment = datetime(2026, 3, 8, 12, 0, second, tzinfo=UTC)
        hours.as_of()
    assert calendar.calls == 1
