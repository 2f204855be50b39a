from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import HistoryRange, Interval
from eqr_market_data.domain.ranges import RANGE_TOKENS, parse_interval, resolve_history_range

NOW = datetime(2024, 5, 31, 18, 45, tzinfo=UTC)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def resolve(interval: str = "1d", **kwargs: Any) -> HistoryRange:
    return resolve_history_range(interval, now=NOW, **kwargs)


def invalid_field(interval: str = "1d", **kwargs: Any) -> str:
    with pytest.raises(InvalidRequest) as caught:
        resolve(interval, **kwargs)
    return caught.value.field


def test_dates_are_inclusive_whole_days_in_utc() -> None:
    history = resolve("1d", start="2024-01-02", end="2024-03-28", adjusted=True)
    assert history == HistoryRange(
        utc(2024, 1, 2), datetime(2024, 3, 28, 23, 59, 59, 999999, tzinfo=UTC), Interval.D1, adjusted=True
    )


def test_datetimes_are_converted_to_utc_and_naive_ones_are_utc() -> None:
    history = resolve("5m", start="2024-05-30T09:30:00-04:00", end="2024-05-30T16:00:00")
    assert (history.start, history.end) == (utc(2024, 5, 30, 13, 30), utc(2024, 5, 30, 16))
    assert resolve("1h", start="2024-05-30T13:30:00Z").start == utc(2024, 5, 30, 13, 30)


def test_date_and_datetime_objects_are_accepted() -> None:
    start = datetime(2024, 5, 30, 10, tzinfo=timezone(timedelta(hours=2)))
    history = resolve("15m", start=start, end=date(2024, 5, 30))
    assert (history.start, history.end.date()) == (utc(2024, 5, 30, 8), date(2024, 5, 30))


def test_the_end_is_capped_at_now() -> None:
    assert resolve("1d", start="2024-01-02", end="2030-01-01").end == NOW


def test_daily_and_longer_start_at_midnight() -> None:
    assert resolve("1wk", start="2024-01-02T15:00:00Z").start == utc(2024, 1, 2)


@pytest.mark.parametrize(
    ("token", "start"),
    [
        ("1d", utc(2024, 5, 30)),
        ("5d", utc(2024, 5, 26)),
        ("1mo", utc(2024, 4, 30)),  # 31 May -> 30 April (no 31st)
        ("3mo", utc(2024, 2, 29)),  # leap year
        ("6mo", utc(2023, 11, 30)),
        ("ytd", utc(2024, 1, 1)),
        ("1y", utc(2023, 5, 31)),
        ("2y", utc(2022, 5, 31)),
        ("5y", utc(2019, 5, 31)),
        ("10y", utc(2014, 5, 31)),
        ("max", utc(1974, 5, 31)),
    ],
)
def test_daily_range_tokens_count_back_from_now(token: str, start: datetime) -> None:
    history = resolve("1d", range_token=token)
    assert (history.start, history.end) == (start, NOW)


def test_intraday_range_tokens_keep_the_time_of_day() -> None:
    assert resolve("5m", range_token="5d").start == NOW - timedelta(days=5)
    assert resolve("1h", range_token="1mo").start == NOW - timedelta(days=30)  # within the 30-day reach
    assert resolve("1m", range_token="max").start == NOW - timedelta(days=7)
    assert resolve("15m", range_token="max").start == NOW - timedelta(days=30)


def test_defaults_are_a_year_of_daily_bars_or_the_latest_session() -> None:
    assert resolve("1d").start == utc(2023, 5, 31)
    assert resolve("1mo").start == utc(2023, 5, 31)
    assert resolve("1m").start == NOW - timedelta(days=1)
    opened = utc(2024, 5, 31, 13, 30)
    assert resolve("5m", latest_session_open=opened).start == opened


def test_only_an_end_gives_a_year_before_it_or_the_whole_intraday_reach() -> None:
    assert resolve("1d", end="2020-06-30").start == utc(2019, 6, 30)
    assert resolve("5m", end="2024-05-30").start == NOW - timedelta(days=30)


def test_from_after_to_names_from() -> None:
    assert invalid_field("1d", start="2024-03-01", end="2024-02-01") == "from"


def test_from_in_the_future_names_from() -> None:
    assert invalid_field("1d", start="2024-06-01") == "from"


@pytest.mark.parametrize(
    ("interval", "start"),
    [("1m", "2024-05-24T18:00:00Z"), ("5m", "2024-04-30"), ("1h", "2023-01-01")],
)
def test_intraday_history_beyond_its_reach_names_from(interval: str, start: str) -> None:
    assert invalid_field(interval, start=start) == "from"


def test_intraday_history_ending_beyond_its_reach_names_to() -> None:
    assert invalid_field("1m", end="2024-05-01") == "to"


def test_a_range_token_too_long_for_an_intraday_interval_names_interval() -> None:
    assert invalid_field("1m", range_token="1mo") == "interval"
    assert invalid_field("1h", range_token="1y") == "interval"


def test_a_span_over_fifty_years_names_from() -> None:
    assert invalid_field("1d", start="1960-01-01", end="2020-01-01") == "from"
    assert resolve("1mo", start="1970-01-01", end="2020-01-01").start == utc(1970, 1, 1)


@pytest.mark.parametrize("interval", ["", "2m", "1D", "daily", "../1d", "1d;DROP"])
def test_unknown_intervals_name_interval(interval: str) -> None:
    assert invalid_field(interval) == "interval"
    with pytest.raises(InvalidRequest):
        parse_interval(interval)


@pytest.mark.parametrize("token", ["", "2d", "1w", "MAX", "1mox"])
def test_unknown_range_tokens_name_range(token: str) -> None:
    assert invalid_field("1d", range_token=token) == "range"


def test_a_range_token_together_with_dates_names_range() -> None:
    assert invalid_field("1d", range_token="1y", start="2024-01-02") == "range"


@pytest.mark.parametrize(
    ("bound", "value"),
    [
        ("start", "yesterday"),
        ("start", "2024-02-30"),
        ("end", "2024/01/02"),
        ("end", "x" * 10_000),
        ("start", "1899-12-31"),
        ("end", "9999-12-31T23:59:59-05:00"),
    ],
)
def test_malformed_bounds_name_their_field(bound: str, value: str) -> None:
    expected = {"start": "from", "end": "to"}[bound]
    assert invalid_field("1d", **{bound: value}) == expected


def test_parse_interval_reads_every_interval() -> None:
    assert [parse_interval(i.value) for i in Interval] == list(Interval)


@given(
    st.sampled_from([i.value for i in Interval]),
    st.sampled_from(RANGE_TOKENS),
    st.datetimes(datetime(1990, 1, 1), datetime(2100, 1, 1), timezones=st.just(UTC)),
)
def test_every_resolved_range_is_ordered_and_ends_at_now(interval: str, token: str, now: datetime) -> None:
    intraday_tokens = {"1m": {"1d", "5d", "max"}, "5m": {"1d", "5d", "1mo", "max"}}
    allowed = intraday_tokens.get(interval, intraday_tokens["5m"] if interval in ("15m", "1h") else None)
    if allowed is not None and token not in allowed:
        with pytest.raises(InvalidRequest) as caught:
            resolve_history_range(interval, now=now, range_token=token)
        assert caught.value.field == "interval"
        return
    history = resolve_history_range(interval, now=now, range_token=token)
    assert history.start <= history.end == now
    if history.interval.is_intraday:
        assert history.span <= timedelta(days=30)
