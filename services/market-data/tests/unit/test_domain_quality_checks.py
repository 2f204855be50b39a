import math
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_market_data.domain.model import ActionKind, Bar, CorporateAction, Interval, Quote
from eqr_market_data.domain.quality import QualityIssue, Severity
from eqr_market_data.domain.quality_checks import Check, QualityPolicy, check_bars, check_quotes

FIRST_DAY = date(2024, 1, 2)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)


def bar(day: date, price: float = 100.0, **changes: float) -> Bar:
    values: dict[str, float] = {"open": price, "high": price * 1.01, "low": price * 0.99, "close": price}
    values.update(changes)
    volume = int(changes.get("volume", 1000))
    return Bar("XYZ", Interval.D1, day_start(day), values["open"], values["high"], values["low"],
               values["close"], volume, "import")  # fmt: skip


def weekdays(count: int, first: date = FIRST_DAY) -> list[date]:
    days, day = [], first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += timedelta(days=1)
    return days


def series(closes: list[float]) -> list[Bar]:
    return [bar(day, close) for day, close in zip(weekdays(len(closes)), closes, strict=True)]


def random_walk(count: int, sigma: float = 0.01, seed: int = 7) -> list[float]:
    steps = np.random.default_rng(seed).normal(0.0, sigma, count - 1)
    return [100.0, *(100.0 * np.exp(np.cumsum(steps))).tolist()]


def checks(issues: list[QualityIssue]) -> list[tuple[str, Severity, str]]:
    return [(issue.check, issue.severity, issue.field) for issue in issues]


def test_clean_bars_pass_untouched() -> None:
    bars = series(random_walk(30))
    good, issues = check_bars(bars, expected_days=weekdays(30))
    assert good == bars
    assert issues == []


@pytest.mark.parametrize(
    ("broken", "expected"),
    [
        ({"close": 0.0, "low": 0.0}, [("non_positive_price", "low"), ("non_positive_price", "close")]),
        ({"open": -5.0}, [("non_positive_price", "open")]),
        ({"high": math.nan}, [("non_positive_price", "high")]),
        ({"close": math.inf}, [("non_positive_price", "close")]),
        ({"high": 98.0, "low": 99.0}, [("high_below_low", "high")]),
        ({"open": 120.0}, [("open_outside_range", "open")]),
        ({"close": 50.0, "open": 100.0}, [("close_outside_range", "close")]),
        ({"open": 50.0, "close": 150.0}, [("open_outside_range", "open"), ("close_outside_range", "close")]),
        ({"volume": -1}, [("negative_volume", "volume")]),
    ],
)
def test_impossible_bars_are_rejected(broken: dict[str, float], expected: list[tuple[str, str]]) -> None:
    bars = series([100.0, 100.5, 101.0])
    bars[1] = bar(bars[1].start.date(), 100.5, **broken)
    good, issues = check_bars(bars, lines=[2, 3, 4])
    assert good == [bars[0], bars[2]]
    assert [(issue.check, issue.field) for issue in issues] == expected
    assert {issue.severity for issue in issues} == {Severity.REJECTED}
    assert {issue.line for issue in issues} == {3}
    assert {issue.observed_at for issue in issues} == {bars[1].start}


def test_zero_volume_is_flagged_not_rejected_unless_turned_off() -> None:
    bars = series([100.0, 100.5])
    bars[1] = bar(bars[1].start.date(), 100.5, volume=0)
    good, issues = check_bars(bars)
    assert good == bars
    assert checks(issues) == [("zero_volume", Severity.FLAGGED, "volume")]
    assert check_bars(bars, policy=QualityPolicy(flag_zero_volume=False))[1] == []


def test_a_duplicate_start_keeps_the_first_bar_and_rejects_the_rest() -> None:
    bars = series([100.0, 101.0, 102.0])
    copy, conflicting = bars[1], bar(bars[1].start.date(), 105.0)
    good, issues = check_bars([*bars, copy, conflicting], lines=[2, 3, 4, 5, 6])
    assert good == bars
    assert [(i.check, i.severity, i.line) for i in issues] == [
        (Check.DUPLICATE_BAR, Severity.REJECTED, 5),
        (Check.DUPLICATE_BAR, Severity.REJECTED, 6),
    ]
    assert "line 3 (identical)" in issues[0].message
    assert "(different values)" in issues[1].message


def test_out_of_order_bars_are_sorted_and_flagged() -> None:
    a, b, c, d = series([100.0, 101.0, 102.0, 103.0])
    good, issues = check_bars([a, c, b, d], lines=[2, 3, 4, 5])
    assert good == [a, b, c, d]
    assert [(i.check, i.severity, i.line) for i in issues] == [(Check.OUT_OF_ORDER, Severity.FLAGGED, 4)]


def test_missing_trading_days_are_flagged_as_runs() -> None:
    calendar = weekdays(10)
    present = [day for n, day in enumerate(calendar) if n not in (2, 5, 6, 7)]
    good, issues = check_bars([bar(day) for day in present], expected_days=calendar)
    assert len(good) == 6
    assert checks(issues) == [("calendar_gap", Severity.FLAGGED, "date")] * 2
    assert issues[0].message == f"no bar for 1 trading day: {calendar[2]}"
    assert issues[1].message == f"no bar for 3 trading days: {calendar[5]} to {calendar[7]}"
    assert issues[1].observed_at == day_start(calendar[5])


def test_a_holiday_is_not_a_gap_but_a_bar_on_it_is_flagged() -> None:
    calendar = [day for day in weekdays(10) if day != date(2024, 1, 15)]  # Martin Luther King Jr. Day
    good, issues = check_bars([bar(day) for day in weekdays(10)], expected_days=calendar)
    assert len(good) == 10
    assert checks(issues) == [("non_trading_day", Severity.FLAGGED, "date")]
    assert issues[0].observed_at == day_start(date(2024, 1, 15))


def test_calendar_checks_need_the_calendar() -> None:
    bars = [bar(day) for n, day in enumerate(weekdays(10)) if n != 4]
    assert check_bars(bars)[1] == []


def test_an_outlier_jump_is_flagged_not_rejected() -> None:
    closes = random_walk(40)
    closes[30:] = [close * 1.5 for close in closes[30:]]
    bars = series(closes)
    good, issues = check_bars(bars)
    assert good == bars
    assert checks(issues) == [("outlier_jump", Severity.FLAGGED, "close")]
    assert issues[0].observed_at == bars[30].start
    assert "+5" in issues[0].message  # about +50%


def test_a_known_split_does_not_trip_the_outlier_check_but_an_unknown_one_does() -> None:
    closes = random_walk(40)
    closes[25:] = [close / 4 for close in closes[25:]]
    bars = series(closes)
    ex_date = bars[25].start.date()
    assert checks(check_bars(bars)[1]) == [("outlier_jump", Severity.FLAGGED, "close")]
    split = CorporateAction("XYZ", ex_date, ActionKind.SPLIT, split_ratio=4.0)
    assert check_bars(bars, actions=[split])[1] == []


def test_a_known_special_dividend_does_not_trip_the_outlier_check() -> None:
    closes = random_walk(40)
    cash = closes[19] * 0.3
    closes[20:] = [close - cash for close in closes[20:]]
    bars = series(closes)
    assert checks(check_bars(bars)[1]) == [("outlier_jump", Severity.FLAGGED, "close")]
    special = CorporateAction("XYZ", bars[20].start.date(), ActionKind.DIVIDEND, dividend=cash)
    assert check_bars(bars, actions=[special])[1] == []


def test_the_sigma_floor_keeps_a_flat_series_from_flagging_ordinary_moves() -> None:
    closes = [100.0] * 30 + [104.0]  # zero dispersion, then a 4% move: under 8 x 1%
    assert check_bars(series(closes))[1] == []
    closes = [100.0] * 30 + [110.0]  # a 10% move: over 8 x 1%
    assert checks(check_bars(series(closes))[1]) == [("outlier_jump", Severity.FLAGGED, "close")]


def test_a_short_history_uses_the_generous_warmup_sigma() -> None:
    assert check_bars(series([100.0, 101.0, 130.0]))[1] == []  # +26% < 8 x 5%
    assert checks(check_bars(series([100.0, 101.0, 160.0]))[1]) == [
        ("outlier_jump", Severity.FLAGGED, "close")
    ]


def test_the_policy_must_allow_a_history_within_the_window() -> None:
    with pytest.raises(ValueError, match="outlier_min_history"):
        QualityPolicy(outlier_window=5, outlier_min_history=10)


def test_lines_must_match_the_bars() -> None:
    with pytest.raises(ValueError, match="one line per bar"):
        check_bars(series([100.0, 101.0]), lines=[2])


@given(st.lists(st.floats(0.0, 0.03), min_size=2, max_size=150), st.integers(0, 2**32 - 1))
def test_an_ordinary_random_walk_is_never_flagged(sigmas: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    sigma = max(sigmas)
    steps = np.clip(rng.normal(0.0, sigma, len(sigmas) - 1), -4 * sigma, 4 * sigma)
    closes = (100.0 * np.exp(np.concatenate([[0.0], np.cumsum(steps)]))).tolist()
    bars = series(closes)
    good, issues = check_bars(bars, expected_days=weekdays(len(bars)))
    assert good == bars
    assert issues == []


@given(st.lists(st.integers(0, 20), min_size=1, max_size=40))
def test_good_bars_are_sorted_unique_and_every_dropped_bar_is_explained(order: list[int]) -> None:
    calendar = weekdays(21)
    bars = [bar(calendar[n], 100.0 + n / 10) for n in order]
    good, issues = check_bars(bars, lines=list(range(2, len(bars) + 2)))
    starts = [b.start for b in good]
    assert starts == sorted(set(starts))
    rejected = [issue for issue in issues if issue.severity is Severity.REJECTED]
    assert len(good) + len(rejected) == len(bars)


NOW = datetime(2024, 6, 3, 15, 0, tzinfo=UTC)


def quote(price: float = 100.0, age: timedelta = timedelta(seconds=5), previous_close: float = 99.0) -> Quote:
    return Quote("XYZ", price, 99.5, 101.0, 98.0, previous_close, 12345, NOW - age, "simulated")


def test_a_fresh_sane_quote_passes() -> None:
    assert check_quotes([quote()], now=NOW) == ([quote()], [])


def test_a_stale_quote_is_flagged() -> None:
    old = quote(age=timedelta(hours=2))
    good, issues = check_quotes([old], now=NOW)
    assert good == [old]
    assert checks(issues) == [("stale_quote", Severity.FLAGGED, "timestamp")]
    assert "2:00:00" in issues[0].message


def test_the_maximum_quote_age_is_a_policy() -> None:
    old = quote(age=timedelta(hours=2))
    assert check_quotes([old], now=NOW, policy=QualityPolicy(max_quote_age=timedelta(days=3)))[1] == []


def test_a_quote_far_from_the_previous_close_is_flagged() -> None:
    wild = quote(price=160.0, previous_close=100.0)
    good, issues = check_quotes([wild], now=NOW)
    assert good == [wild]
    assert checks(issues) == [("price_out_of_band", Severity.FLAGGED, "price")]


def test_the_band_reference_can_come_from_the_store() -> None:
    moved = quote(price=100.0, previous_close=100.0)
    issues = check_quotes([moved], now=NOW, previous_closes={"XYZ": 40.0})[1]
    assert checks(issues) == [("price_out_of_band", Severity.FLAGGED, "price")]


def test_a_quote_without_a_previous_close_skips_the_band_check() -> None:
    assert check_quotes([quote(previous_close=0.0)], now=NOW)[1] == []


@pytest.mark.parametrize("price", [0.0, -1.0, math.nan])
def test_a_quote_without_a_positive_price_is_rejected(price: float) -> None:
    good, issues = check_quotes([quote(price=price)], now=NOW)
    assert good == []
    assert checks(issues) == [("non_positive_price", Severity.REJECTED, "price")]
