"""The NYSE calendar adapter: trading days, session hours (early closes, both sides of the
clock changes) and whether the market is open, in ``nyse`` and ``always`` mode."""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import exchange_calendars
import pandas as pd
import pytest
from pydantic import ValidationError

from eqr_market_data.adapters.calendar import NyseCalendar
from eqr_market_data.settings import MarketDataSettings

NEW_YORK = ZoneInfo("America/New_York")
NYSE = NyseCalendar()
ALWAYS = NyseCalendar(always_open=True)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


def test_a_regular_week_has_five_sessions_from_half_past_nine_to_four_in_new_york() -> None:
    week = NYSE.sessions(date(2025, 6, 9), date(2025, 6, 15))
    assert week == [date(2025, 6, 9) + timedelta(days=n) for n in range(5)]
    for day in week:
        session_open, session_close = NYSE.session_bounds(day)
        assert (session_open.tzinfo, session_close.tzinfo) == (UTC, UTC)
        assert session_open.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(
            day.year, day.month, day.day, 9, 30
        )
        assert session_close - session_open == timedelta(hours=6, minutes=30)


def test_a_weekend_has_no_session_and_the_market_is_closed_all_of_it() -> None:
    assert NYSE.sessions(date(2025, 7, 12), date(2025, 7, 13)) == []
    saturday_noon = datetime(2025, 7, 12, 12, tzinfo=NEW_YORK)
    for hours in range(0, 48, 3):
        assert not NYSE.is_open(saturday_noon - timedelta(hours=12) + timedelta(hours=hours))


@pytest.mark.parametrize(
    ("holiday", "name"),
    [
        (date(2025, 1, 1), "New Year's Day"),
        (date(2025, 1, 9), "the national day of mourning for President Carter"),
        (date(2025, 4, 18), "Good Friday"),
        (date(2025, 7, 4), "Independence Day"),
        (date(2025, 11, 27), "Thanksgiving"),
        (date(2025, 12, 25), "Christmas"),
    ],
)
def test_a_nyse_holiday_is_not_a_session(holiday: date, name: str) -> None:
    around = NYSE.sessions(holiday - timedelta(days=7), holiday + timedelta(days=7))
    assert holiday not in around, name
    assert len(around) >= 8
    assert not NYSE.is_open(datetime.combine(holiday, datetime.min.time(), NEW_YORK) + timedelta(hours=11))
    with pytest.raises(ValueError, match="not a session"):
        NYSE.session_bounds(holiday)


def test_independence_and_christmas_weeks_of_2025() -> None:
    assert NYSE.sessions(date(2025, 6, 30), date(2025, 7, 8)) == [
        date(2025, 6, 30),
        date(2025, 7, 1),
        date(2025, 7, 2),
        date(2025, 7, 3),
        date(2025, 7, 7),
        date(2025, 7, 8),
    ]
    assert NYSE.sessions(date(2025, 12, 22), date(2025, 12, 31)) == [
        date(2025, 12, 22),
        date(2025, 12, 23),
        date(2025, 12, 24),
        date(2025, 12, 26),
        date(2025, 12, 29),
        date(2025, 12, 30),
        date(2025, 12, 31),
    ]


@pytest.mark.parametrize("day", [date(2025, 7, 3), date(2025, 11, 28), date(2025, 12, 24)])
def test_an_early_close_ends_the_session_at_one_in_the_afternoon(day: date) -> None:
    session_open, session_close = NYSE.session_bounds(day)
    local_close = session_close.astimezone(NEW_YORK)
    assert (local_close.hour, local_close.minute) == (13, 0)
    assert session_close - session_open == timedelta(hours=3, minutes=30)
    assert NYSE.is_open(session_close - timedelta(minutes=1))
    assert not NYSE.is_open(session_close)
    assert not NYSE.is_open(session_close + timedelta(hours=2))  # a regular day would still trade


def test_black_friday_2025_closes_at_six_utc() -> None:
    assert NYSE.session_bounds(date(2025, 11, 28)) == (utc(2025, 11, 28, 14, 30), utc(2025, 11, 28, 18))
    assert NYSE.is_open(utc(2025, 11, 28, 17, 59))
    assert not NYSE.is_open(utc(2025, 11, 28, 18))


@pytest.mark.parametrize(
    ("before", "after", "utc_open_before", "utc_open_after"),
    [
        # Clocks went forward on Sunday 9 March 2025: the open moves an hour earlier in UTC.
        (date(2025, 3, 7), date(2025, 3, 10), 14, 13),
        # Clocks went back on Sunday 2 November 2025: an hour later in UTC.
        (date(2025, 10, 31), date(2025, 11, 3), 13, 14),
    ],
)
def test_the_session_stays_at_half_past_nine_new_york_time_across_the_clock_change(
    before: date, after: date, utc_open_before: int, utc_open_after: int
) -> None:
    assert NYSE.sessions(before, after) == [before, after]
    for day, hour in ((before, utc_open_before), (after, utc_open_after)):
        session_open, session_close = NYSE.session_bounds(day)
        assert session_open == utc(day.year, day.month, day.day, hour, 30)
        assert session_close == utc(day.year, day.month, day.day, hour + 7)
        assert not NYSE.is_open(session_open - timedelta(minutes=1))
        assert NYSE.is_open(session_open)
    # The same UTC minute is before the open on one side of the change and inside it on the other.
    earlier_side = min(utc_open_before, utc_open_after)
    assert NYSE.is_open(utc(before.year, before.month, before.day, earlier_side, 45)) == (
        utc_open_before == earlier_side
    )
    assert NYSE.is_open(utc(after.year, after.month, after.day, earlier_side, 45)) == (
        utc_open_after == earlier_side
    )


def test_open_and_close_minutes_of_a_regular_session() -> None:
    assert not NYSE.is_open(utc(2025, 7, 7, 13, 29, 59))
    assert NYSE.is_open(utc(2025, 7, 7, 13, 30))
    assert NYSE.is_open(utc(2025, 7, 7, 19, 59, 59))
    assert not NYSE.is_open(utc(2025, 7, 7, 20))
    # Any time zone: the same instant.
    assert NYSE.is_open(datetime(2025, 7, 7, 9, 30, tzinfo=NEW_YORK))
    assert not NYSE.is_open(datetime(2025, 7, 7, 16, 0, tzinfo=NEW_YORK))


def test_always_mode_is_open_at_any_hour_but_keeps_the_nyse_trading_days() -> None:
    for moment in (
        utc(2025, 7, 5, 3),  # a Saturday night
        utc(2025, 7, 4, 15),  # Independence Day
        utc(2025, 11, 28, 20),  # after an early close
        utc(2025, 7, 7, 2),  # before a regular session
    ):
        assert ALWAYS.is_open(moment)
        assert not NYSE.is_open(moment)
    assert ALWAYS.sessions(date(2025, 6, 30), date(2025, 7, 8)) == NYSE.sessions(
        date(2025, 6, 30), date(2025, 7, 8)
    )
    assert ALWAYS.session_bounds(date(2025, 11, 28)) == NYSE.session_bounds(date(2025, 11, 28))


def test_is_open_agrees_with_exchange_calendars_minute_by_minute() -> None:
    """Every 7 minutes through weeks with a holiday, early closes and both clock changes."""
    reference = exchange_calendars.get_calendar("XNYS")
    for first in (date(2025, 3, 3), date(2025, 6, 30), date(2025, 10, 27), date(2025, 11, 24)):
        moment = datetime.combine(first, datetime.min.time(), UTC)
        while moment < datetime.combine(first + timedelta(days=14), datetime.min.time(), UTC):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # pandas deprecations inside exchange-calendars
                expected = bool(reference.is_open_on_minute(pd.Timestamp(moment)))
            assert NYSE.is_open(moment) == expected, moment
            moment += timedelta(minutes=7)


def test_the_calendar_reaches_back_to_1970_for_imports_of_old_files() -> None:
    march_2005 = NYSE.sessions(date(2005, 3, 1), date(2005, 3, 31))
    assert len(march_2005) == 22  # 23 weekdays, less Good Friday
    assert date(2005, 3, 25) not in march_2005
    assert date(1987, 10, 19) in NYSE.sessions(date(1987, 10, 12), date(1987, 10, 23))  # Black Monday
    assert NYSE.sessions(date(2001, 9, 10), date(2001, 9, 18)) == [
        date(2001, 9, 10),
        date(2001, 9, 17),
        date(2001, 9, 18),
    ]
    assert NYSE.sessions(date(2012, 10, 29), date(2012, 10, 31)) == [date(2012, 10, 31)]  # Sandy
    assert NYSE.sessions(date(1970, 1, 1), date(1970, 1, 2)) == [date(1970, 1, 2)]
    assert NYSE.sessions(date(1969, 12, 1), date(1969, 12, 31)) == []
    with pytest.raises(ValueError, match="not a session"):
        NYSE.session_bounds(date(1969, 12, 30))
    assert not NYSE.is_open(utc(1969, 12, 30, 15))


def test_sessions_of_an_empty_or_inverted_range() -> None:
    assert NYSE.sessions(date(2025, 7, 8), date(2025, 7, 7)) == []
    assert NYSE.sessions(date(2025, 7, 4), date(2025, 7, 4)) == []
    assert NYSE.sessions(date(2025, 7, 7), date(2025, 7, 7)) == [date(2025, 7, 7)]


def test_the_simulator_epoch_is_inside_the_calendar() -> None:
    """The simulator generates from 4 January 2010: the calendar must know those days."""
    first_week = NYSE.sessions(date(2010, 1, 1), date(2010, 1, 8))
    assert first_week == [date(2010, 1, 4) + timedelta(days=n) for n in range(5)]


def test_the_calendar_mode_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MARKET_DATA_CALENDAR_MODE", raising=False)
    assert MarketDataSettings().calendar_mode == "always"
    monkeypatch.setenv("MARKET_DATA_CALENDAR_MODE", "nyse")
    assert MarketDataSettings().calendar_mode == "nyse"
    monkeypatch.setenv("MARKET_DATA_CALENDAR_MODE", "lse")
    with pytest.raises(ValidationError) as refused:
        MarketDataSettings()
    assert refused.value.errors()[0]["loc"] == ("calendar_mode",)
