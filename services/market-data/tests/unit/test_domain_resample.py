from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_market_data.domain.model import Bar, Interval
from eqr_market_data.domain.resample import resample

NEW_YORK = ZoneInfo("America/New_York")


def minute_bar(start: datetime, price: float = 100.0, volume: int = 10, symbol: str = "XYZ") -> Bar:
    return Bar(symbol, Interval.M1, start, price, price + 0.5, price - 0.5, price + 0.1, volume, "simulated")


def daily_bar(day: date, close: float = 100.0, volume: int = 1000) -> Bar:
    start = datetime.combine(day, time(), tzinfo=UTC)
    return Bar("XYZ", Interval.D1, start, close - 1, close + 2, close - 2, close, volume, "simulated")


def session(day: date) -> list[Bar]:
    """One-minute bars of a regular NYSE session, 09:30-16:00 New York time."""
    opened = datetime.combine(day, time(9, 30), tzinfo=NEW_YORK).astimezone(UTC)
    return [minute_bar(opened + timedelta(minutes=n), 100 + n / 100) for n in range(390)]


def local_times(bars: list[Bar]) -> list[str]:
    return [bar.start.astimezone(NEW_YORK).strftime("%H:%M") for bar in bars]


@pytest.mark.parametrize("day", [date(2024, 1, 10), date(2024, 7, 10)], ids=["winter", "summer"])
def test_hourly_buckets_of_an_nyse_day_start_at_the_open(day: date) -> None:
    hourly = resample(session(day), Interval.H1)
    assert local_times(hourly) == ["09:30", "10:30", "11:30", "12:30", "13:30", "14:30", "15:30"]
    assert [bar.volume for bar in hourly] == [600] * 6 + [300]
    assert all(bar.interval is Interval.H1 for bar in hourly)


def test_the_utc_start_follows_daylight_saving_time() -> None:
    winter = resample(session(date(2024, 1, 10)), Interval.H1)[0]
    summer = resample(session(date(2024, 7, 10)), Interval.H1)[0]
    assert winter.start == datetime(2024, 1, 10, 14, 30, tzinfo=UTC)
    assert summer.start == datetime(2024, 7, 10, 13, 30, tzinfo=UTC)


@pytest.mark.parametrize(("interval", "count"), [(Interval.M5, 78), (Interval.M15, 26)])
def test_five_and_fifteen_minute_buckets_tile_the_session(interval: Interval, count: int) -> None:
    bars = resample(session(date(2024, 1, 10)), interval)
    assert len(bars) == count
    assert local_times(bars)[:2] == ["09:30", f"09:{30 + interval.minutes}"]
    assert local_times(bars)[-1] == f"{(16 * 60 - interval.minutes) // 60}:{(60 - interval.minutes) % 60:02d}"


def test_a_bucket_takes_first_open_max_high_min_low_last_close_and_summed_volume() -> None:
    opened = datetime(2024, 1, 10, 14, 30, tzinfo=UTC)
    bars = [
        Bar("XYZ", Interval.M1, opened, 10.0, 11.0, 9.5, 10.5, 100, "simulated"),
        Bar("XYZ", Interval.M1, opened + timedelta(minutes=1), 10.5, 12.0, 10.0, 11.5, 50, "simulated"),
        Bar("XYZ", Interval.M1, opened + timedelta(minutes=2), 11.5, 11.8, 9.0, 9.2, 25, "simulated"),
    ]
    (five,) = resample(bars, Interval.M5)
    assert (five.start, five.open, five.high, five.low, five.close, five.volume) == (
        opened, 10.0, 12.0, 9.0, 9.2, 175
    )  # fmt: skip


def test_five_minute_bars_resample_to_an_hour() -> None:
    five = resample(session(date(2024, 1, 10)), Interval.M5)
    assert resample(five, Interval.H1) == resample(session(date(2024, 1, 10)), Interval.H1)


def test_weeks_are_iso_weeks_starting_on_their_first_trading_day() -> None:
    # Monday 2024-01-15 was a holiday (Martin Luther King Jr. Day).
    days = [date(2024, 1, d) for d in (10, 11, 12, 16, 17, 18, 19)]
    weekly = resample([daily_bar(day, close=100 + n) for n, day in enumerate(days)], Interval.W1)
    assert [bar.start.date() for bar in weekly] == [date(2024, 1, 10), date(2024, 1, 16)]
    assert [bar.close for bar in weekly] == [102, 106]
    assert [bar.volume for bar in weekly] == [3000, 4000]


def test_an_iso_week_spans_the_new_year() -> None:
    days = [date(2024, 12, 30), date(2024, 12, 31), date(2025, 1, 2), date(2025, 1, 3), date(2025, 1, 6)]
    weekly = resample([daily_bar(day) for day in days], Interval.W1)
    assert [bar.start.date() for bar in weekly] == [date(2024, 12, 30), date(2025, 1, 6)]


def test_months_start_on_their_first_trading_day() -> None:
    # Monday 2024-09-02 was Labor Day.
    days = [date(2024, 8, 29), date(2024, 8, 30), date(2024, 9, 3), date(2024, 9, 4)]
    monthly = resample([daily_bar(day) for day in days], Interval.MO1)
    assert [bar.start.date() for bar in monthly] == [date(2024, 8, 29), date(2024, 9, 3)]
    assert all(bar.interval is Interval.MO1 for bar in monthly)


def test_symbols_are_aggregated_separately() -> None:
    opened = datetime(2024, 1, 10, 14, 30, tzinfo=UTC)
    bars = [minute_bar(opened, symbol="AAA"), minute_bar(opened, symbol="BBB", volume=7)]
    assert [(bar.symbol, bar.volume) for bar in resample(bars, Interval.M5)] == [("AAA", 10), ("BBB", 7)]


def test_the_same_interval_comes_back_sorted() -> None:
    bars = session(date(2024, 1, 10))[:3]
    assert resample(list(reversed(bars)), Interval.M1) == bars


def test_nothing_in_nothing_out() -> None:
    assert resample([], Interval.H1) == []


@pytest.mark.parametrize(
    ("bars", "target"),
    [
        ([daily_bar(date(2024, 1, 10))], Interval.H1),
        (session(date(2024, 1, 10))[:1], Interval.W1),
        (resample(session(date(2024, 1, 10)), Interval.M15), Interval.M5),
        ([daily_bar(date(2024, 1, 10)), *session(date(2024, 1, 10))[:1]], Interval.W1),
    ],
    ids=["daily-to-hourly", "minute-to-weekly", "coarser-to-finer", "mixed"],
)
def test_impossible_resampling_is_a_programming_error(bars: list[Bar], target: Interval) -> None:
    with pytest.raises(ValueError, match=r"cannot resample|mixed intervals"):
        resample(bars, target)


@st.composite
def minute_bars(draw: st.DrawFn) -> list[Bar]:
    day = draw(st.dates(date(2020, 1, 1), date(2030, 12, 31)))
    offsets = draw(st.lists(st.integers(-60, 450), min_size=1, max_size=120, unique=True))
    opened = datetime.combine(day, time(9, 30), tzinfo=NEW_YORK).astimezone(UTC)
    bars = []
    for offset in offsets:
        low = draw(st.floats(1.0, 500.0))
        high = low + draw(st.floats(0.0, 5.0))
        bars.append(
            Bar(
                "XYZ",
                Interval.M1,
                opened + timedelta(minutes=offset),
                draw(st.floats(low, high)),
                high,
                low,
                draw(st.floats(low, high)),
                draw(st.integers(0, 10**6)),
                "simulated",
            )
        )
    return bars


@given(minute_bars(), st.sampled_from([Interval.M5, Interval.M15, Interval.H1]))
def test_intraday_aggregation_preserves_extremes_volume_and_ends(bars: list[Bar], target: Interval) -> None:
    out = resample(bars, target)
    ordered = sorted(bars, key=lambda bar: bar.start)
    assert sum(bar.volume for bar in out) == sum(bar.volume for bar in bars)
    assert max(bar.high for bar in out) == max(bar.high for bar in bars)
    assert min(bar.low for bar in out) == min(bar.low for bar in bars)
    assert out[0].open == ordered[0].open
    assert out[-1].close == ordered[-1].close
    length = timedelta(minutes=target.minutes)
    for bar in bars:
        (bucket,) = [b for b in out if b.start <= bar.start < b.start + length]
        assert bucket.low <= bar.low
        assert bar.high <= bucket.high
        opened = datetime.combine(bucket.start.astimezone(NEW_YORK).date(), time(9, 30), tzinfo=NEW_YORK)
        assert (bucket.start - opened) % length == timedelta(0)


@st.composite
def daily_bars(draw: st.DrawFn) -> list[Bar]:
    days = draw(st.lists(st.dates(date(2019, 12, 1), date(2021, 2, 1)), min_size=1, max_size=80, unique=True))
    return [
        daily_bar(day, close=draw(st.floats(5.0, 500.0)), volume=draw(st.integers(0, 10**7))) for day in days
    ]


@given(daily_bars(), st.sampled_from([Interval.W1, Interval.MO1]))
def test_weekly_and_monthly_aggregation_preserves_extremes_volume_and_ends(
    bars: list[Bar], target: Interval
) -> None:
    out = resample(bars, target)
    ordered = sorted(bars, key=lambda bar: bar.start)
    assert sum(bar.volume for bar in out) == sum(bar.volume for bar in bars)
    assert max(bar.high for bar in out) == max(bar.high for bar in bars)
    assert min(bar.low for bar in out) == min(bar.low for bar in bars)
    assert (out[0].open, out[-1].close) == (ordered[0].open, ordered[-1].close)
    assert {bar.start for bar in out} <= {bar.start for bar in bars}
    key = (lambda d: d.isocalendar()[:2]) if target is Interval.W1 else (lambda d: (d.year, d.month))
    assert len(out) == len({key(bar.start.date()) for bar in bars})
