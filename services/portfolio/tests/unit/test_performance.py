from __future__ import annotations

import calendar
import math
from dataclasses import astuple
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.performance import (
    Period,
    ReturnSeries,
    ValuePoint,
    benchmark_returns,
    compare_range,
    compare_with_benchmark,
    monthly_returns,
    period_returns,
    range_return,
    time_weighted_returns,
    yearly_returns,
)


def d(text: str) -> date:
    return date.fromisoformat(text)


def series_of(*rows: tuple[str, float, float]) -> ReturnSeries:
    return time_weighted_returns([ValuePoint(d(day), value, flow) for day, value, flow in rows])


def every_day(first: str, last: str, daily_return: float) -> ReturnSeries:
    """A series with a point on every calendar day and the same return each day, so a period's
    return is ``(1 + daily_return) ** n - 1`` where ``n`` counts the days after its base close."""
    start, end = d(first), d(last)
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    return ReturnSeries.from_daily_returns(start - timedelta(days=1), days, [daily_return] * len(days))


def violated_fields(error: pytest.ExceptionInfo[ValidationFailed]) -> list[str]:
    return [v.field for v in error.value.violations]


# --- daily TWR ---------------------------------------------------------------------------------


def test_flows_do_not_change_the_twr() -> None:
    # One share class priced 100, 110, 99, 108.9: daily moves 0 %, +10 %, -10 %, +10 %.
    # Without flows: 10 shares, values 1000, 1100, 990, 1089 -> TWR 1089/1000 - 1 = 8.9 %.
    steady = series_of(
        ("2024-01-02", 1000, 1000), ("2024-01-03", 1100, 0), ("2024-01-04", 990, 0), ("2024-01-05", 1089, 0)
    )
    # With flows: 1000 more deposited at the start of 3 Jan (20 shares at 100 -> 2200 at 110):
    #   (2200 + 0) / (1000 + 1000) = 1.10.
    # 990 (10 shares at 99) withdrawn at the end of 4 Jan, 990 left:
    #   (990 + 990) / (2200 + 0) = 0.90.
    # 5 Jan: 10 shares at 108.9 = 1089: 1089 / 990 = 1.10.
    # TWR = 1.10 x 0.90 x 1.10 - 1 = 8.9 %, although the money-weighted picture is different.
    flowing = series_of(
        ("2024-01-02", 1000, 1000),
        ("2024-01-03", 2200, 1000),
        ("2024-01-04", 990, -990),
        ("2024-01-05", 1089, 0),
    )
    assert steady.daily_returns == pytest.approx([0.0, 0.1, -0.1, 0.1])
    assert flowing.daily_returns == pytest.approx(steady.daily_returns)
    assert flowing.cumulative == pytest.approx(0.089)
    assert steady.cumulative == pytest.approx(0.089)


def test_inflows_count_at_the_start_and_outflows_at_the_end_of_the_day() -> None:
    # Portfolio Performance's worked example: 10 000 held, then
    #   day 1: +5 000 in, close 15 300 -> 15 300 / (10 000 + 5 000)   = 1.02
    #   day 2: -2 000 out, close 13 000 -> (13 000 + 2 000) / 15 300  = 0.980392...
    #   day 3: close 13 390             -> 13 390 / 13 000            = 1.03
    # 1.02 x 15 000/15 300 = 1 exactly, so the TWR is 3 %.
    twr = series_of(
        ("2024-03-01", 10_000, 10_000),
        ("2024-03-04", 15_300, 5_000),
        ("2024-03-05", 13_000, -2_000),
        ("2024-03-06", 13_390, 0),
    )
    assert twr.daily_returns == pytest.approx([0.0, 0.02, 15_000 / 15_300 - 1, 0.03])
    assert twr.cumulative == pytest.approx(0.03)
    assert twr.index == pytest.approx([1.0, 1.02, 1.0, 1.03])


def test_the_first_day_deposit_is_that_days_capital() -> None:
    # Nothing before 2 Jan; 1000 deposited and worth 1010 at the close: 1010 / (0 + 1000) = 1 %.
    twr = series_of(("2024-01-02", 1010, 1000))
    assert twr.start == d("2024-01-01")
    assert twr.daily_returns == pytest.approx([0.01])


@pytest.mark.filterwarnings("error")
def test_a_fully_withdrawn_then_refunded_portfolio_chains_only_invested_days() -> None:
    # 2 Jan: deposit 1000, close 1000                    -> 0 %
    # 3 Jan: close 1050                                  -> 1050/1000       = +5 %
    # 4 Jan: grew 2 % to 1071, all 1071 withdrawn at end -> (0 + 1071)/1050 = +2 %
    # 5 Jan: nothing held, nothing moved                 -> no capital: 0 % (not 0/0)
    # 8 Jan: deposit 500, close 510                      -> 510/(0 + 500)   = +2 %
    # 9 Jan: close 561                                   -> 561/510         = +10 %
    # TWR = 1.05 x 1.02 x 1.02 x 1.10 - 1 = 0.201662
    twr = series_of(
        ("2024-01-02", 1000, 1000),
        ("2024-01-03", 1050, 0),
        ("2024-01-04", 0, -1071),
        ("2024-01-05", 0, 0),
        ("2024-01-08", 510, 500),
        ("2024-01-09", 561, 0),
    )
    assert twr.daily_returns == pytest.approx([0.0, 0.05, 0.02, 0.0, 0.02, 0.10])
    assert twr.cumulative == pytest.approx(0.201662)


def test_value_without_capital_earns_nothing() -> None:
    # A day that starts with no capital has no return, whatever its close (as in PP).
    twr = series_of(("2024-01-02", 0, 0), ("2024-01-03", 25, 0))
    assert twr.daily_returns == (0.0, 0.0)


def test_decimal_and_float_amounts_give_the_same_returns() -> None:
    rows = [("2024-01-02", "1000.00", "1000.00"), ("2024-01-03", "1234.56", "200.00")]
    decimals = time_weighted_returns([ValuePoint(d(day), Decimal(v), Decimal(f)) for day, v, f in rows])
    floats = time_weighted_returns([ValuePoint(d(day), float(v), float(f)) for day, v, f in rows])
    assert decimals == floats


def test_bad_points_are_rejected_naming_each_field() -> None:
    with pytest.raises(ValidationFailed) as error:
        time_weighted_returns(
            [
                ValuePoint(d("2024-01-03"), 100, 100),
                ValuePoint(d("2024-01-02"), -5, 0),
                ValuePoint(d("2024-01-04"), Decimal("NaN"), float("inf")),
            ]
        )
    assert violated_fields(error) == [
        "points[1].day",
        "points[1].value",
        "points[2].value",
        "points[2].net_flow",
    ]
    with pytest.raises(ValidationFailed) as empty:
        time_weighted_returns([])
    assert violated_fields(empty) == ["points"]
    with pytest.raises(ValidationFailed) as signalling:  # float() raises on it: still named
        time_weighted_returns(
            [ValuePoint(d("2024-01-02"), 100, 100), ValuePoint(d("2024-01-03"), Decimal("sNaN"))]
        )
    assert violated_fields(signalling) == ["points[1].value"]


def test_a_return_series_checks_what_it_is_built_from() -> None:
    with pytest.raises(ValidationFailed):
        ReturnSeries.from_daily_returns(d("2024-01-01"), [d("2024-01-01")], [0.0])
    with pytest.raises(ValidationFailed):
        ReturnSeries.from_daily_returns(d("2024-01-01"), [d("2024-01-02")], [0.0, 0.1])


# --- periods -----------------------------------------------------------------------------------

GROWTH = 0.0001
LONG = every_day("2019-01-01", "2024-05-31", GROWTH)


def grown(days: int) -> float:
    return (1 + GROWTH) ** days - 1


@pytest.mark.parametrize(
    ("as_of", "period", "first_day", "days_after_base"),
    [
        # 1M back from 31 March 2024 is 29 February (clamped, leap year): 31 days.
        ("2024-03-31", Period.ONE_MONTH, "2024-03-01", 31),
        # 3M back from 31 March is 31 December: January 31 + February 29 + March 31 = 91.
        ("2024-03-31", Period.THREE_MONTHS, "2024-01-01", 91),
        ("2024-03-31", Period.YEAR_TO_DATE, "2024-01-01", 91),
        # 31 March 2023 -> 31 March 2024 spans 29 February: 366 days.
        ("2024-03-31", Period.ONE_YEAR, "2023-04-01", 366),
        ("2024-03-31", Period.ONE_DAY, "2024-03-31", 1),
        ("2024-03-31", Period.ONE_WEEK, "2024-03-25", 7),
        # 29 February 2024 - 1Y = 28 February 2023 (clamped): 366 days.
        ("2024-02-29", Period.ONE_YEAR, "2023-03-01", 366),
        # 29 February - 1M = 29 January: 31 days.
        ("2024-02-29", Period.ONE_MONTH, "2024-01-30", 31),
        # 31 March 2023 - 1M = 28 February 2023 (no leap day): 31 days.
        ("2023-03-31", Period.ONE_MONTH, "2023-03-01", 31),
        # 31 May - 3M = 29 February 2024: March 31 + April 30 + May 31 = 92 days.
        ("2024-05-31", Period.THREE_MONTHS, "2024-03-01", 92),
        # YTD on 1 January is the one day after 31 December.
        ("2024-01-01", Period.YEAR_TO_DATE, "2024-01-01", 1),
        # Since inception: from the close before 1 January 2019.
        ("2024-05-31", Period.SINCE_INCEPTION, "2019-01-01", (date(2024, 5, 31) - date(2018, 12, 31)).days),
    ],
)
def test_periods_start_after_the_close_the_calendar_points_to(
    as_of: str, period: Period, first_day: str, days_after_base: int
) -> None:
    result = period_returns(LONG, d(as_of))[period]
    assert result is not None
    assert (result.first_day, result.last_day) == (d(first_day), d(as_of))
    assert result.cumulative == pytest.approx(grown(days_after_base), rel=1e-12)


def test_multi_year_periods_are_annualised_over_their_nominal_years() -> None:
    returns = period_returns(LONG, d("2024-05-31"))
    three, five, one = returns[Period.THREE_YEARS], returns[Period.FIVE_YEARS], returns[Period.ONE_YEAR]
    assert three is not None
    assert five is not None
    assert one is not None
    # 31 May 2021 -> 31 May 2024 is 1096 days (one leap day); annualised over exactly 3 years.
    assert three.cumulative == pytest.approx(grown(1096), rel=1e-12)
    assert three.annualised == pytest.approx((1 + grown(1096)) ** (1 / 3) - 1, rel=1e-12)
    assert five.annualised == pytest.approx((1 + grown(1827)) ** (1 / 5) - 1, rel=1e-12)
    assert one.annualised == one.cumulative
    short = returns[Period.THREE_MONTHS]
    assert short is not None
    assert short.annualised is None


def test_since_inception_is_annualised_actual_over_365_from_a_year_on() -> None:
    year = every_day("2023-01-01", "2023-12-31", GROWTH)  # 365 days
    full = period_returns(year, d("2023-12-31"))[Period.SINCE_INCEPTION]
    assert full is not None
    assert full.annualised == pytest.approx(full.cumulative)
    longer = period_returns(year, d("2024-12-31"))[Period.SINCE_INCEPTION]
    # The last close carries to 31 December 2024: 365 days of growth over 731 days.
    assert longer is not None
    assert longer.cumulative == pytest.approx(grown(365))
    assert longer.annualised == pytest.approx((1 + grown(365)) ** (365 / 731) - 1)
    shorter = period_returns(year, d("2023-12-30"))[Period.SINCE_INCEPTION]
    assert shorter is not None
    assert shorter.annualised is None


def test_a_period_longer_than_the_history_is_not_available() -> None:
    # History starts 1 January 2019, so its base close is 31 December 2018.
    assert period_returns(LONG, d("2023-12-30"))[Period.FIVE_YEARS] is None
    exactly = period_returns(LONG, d("2023-12-31"))
    five, inception = exactly[Period.FIVE_YEARS], exactly[Period.SINCE_INCEPTION]
    assert five is not None
    assert inception is not None
    assert five.cumulative == pytest.approx(inception.cumulative)
    young = every_day("2024-03-04", "2024-05-31", GROWTH)
    available = {period for period, result in period_returns(young, d("2024-05-31")).items() if result}
    assert available == {
        Period.ONE_DAY,
        Period.ONE_WEEK,
        Period.ONE_MONTH,
        Period.SINCE_INCEPTION,
    }


def test_periods_on_trading_days_take_the_last_close_before_a_gap() -> None:
    # Friday 5 Jan close 1100, Monday 8 Jan close 1210.
    twr = series_of(("2024-01-04", 1000, 1000), ("2024-01-05", 1100, 0), ("2024-01-08", 1210, 0))
    monday = period_returns(twr, d("2024-01-08"))
    one_day = monday[Period.ONE_DAY]
    assert one_day is not None
    assert astuple(one_day) == (d("2024-01-08"), d("2024-01-08"), pytest.approx(0.1), None)
    # As of Sunday the day before holds Saturday's = Friday's close: no change.
    sunday = period_returns(twr, d("2024-01-07"))[Period.ONE_DAY]
    assert sunday is not None
    assert sunday.cumulative == 0.0


def test_a_custom_range_includes_both_days() -> None:
    result = range_return(LONG, d("2024-02-01"), d("2024-02-29"))
    assert result is not None
    assert astuple(result) == (d("2024-02-01"), d("2024-02-29"), pytest.approx(grown(29)), None)
    assert range_return(LONG, d("2019-01-01"), d("2019-01-01")) is not None
    assert range_return(LONG, d("2018-12-31"), d("2019-01-01")) is None
    with pytest.raises(ValidationFailed) as error:
        range_return(LONG, d("2024-02-02"), d("2024-02-01"))
    assert violated_fields(error) == ["last_day"]


def test_as_of_must_be_within_or_after_the_history() -> None:
    with pytest.raises(ValidationFailed) as error:
        period_returns(LONG, d("2018-12-31"))
    assert violated_fields(error) == ["as_of"]


# --- calendar ----------------------------------------------------------------------------------


def test_calendar_months_chain_to_the_year() -> None:
    # 28 Dec 2023: deposit 1000, close 1000; 29 Dec: 1100 (+10 %)
    # 31 Jan 2024: 990 (-10 %); 29 Feb: 1089 (+10 %); 1 Mar: 1089 (0 %).
    twr = series_of(
        ("2023-12-28", 1000, 1000),
        ("2023-12-29", 1100, 0),
        ("2024-01-31", 990, 0),
        ("2024-02-29", 1089, 0),
        ("2024-03-01", 1089, 0),
    )
    # (first day, last day, return, partial)
    assert [astuple(month) for month in monthly_returns(twr)] == [
        (d("2023-12-28"), d("2023-12-31"), pytest.approx(0.10), True),
        (d("2024-01-01"), d("2024-01-31"), pytest.approx(-0.10), False),
        (d("2024-02-01"), d("2024-02-29"), pytest.approx(0.10), False),
        (d("2024-03-01"), d("2024-03-01"), 0.0, True),
    ]
    # 2024 so far: 0.90 x 1.10 x 1.00 - 1 = -1 %.
    assert [astuple(year) for year in yearly_returns(twr)] == [
        (d("2023-12-28"), d("2023-12-31"), pytest.approx(0.10), True),
        (d("2024-01-01"), d("2024-03-01"), pytest.approx(-0.01), True),
    ]


@given(st.lists(st.floats(min_value=-0.2, max_value=0.2), min_size=1, max_size=800), st.integers(0, 400))
def test_months_compound_to_their_years_and_years_to_the_whole(returns: list[float], offset: int) -> None:
    first = date(2019, 1, 1) + timedelta(days=offset)
    days = [first + timedelta(days=i) for i in range(len(returns))]
    series = ReturnSeries.from_daily_returns(first - timedelta(days=1), days, returns)
    months, years = monthly_returns(series), yearly_returns(series)
    for year in years:
        inside = [m.cumulative for m in months if m.first_day.year == year.first_day.year]
        assert math.prod(1 + m for m in inside) - 1 == pytest.approx(year.cumulative, abs=1e-9)
    assert math.prod(1 + y.cumulative for y in years) - 1 == pytest.approx(series.cumulative, abs=1e-9)
    assert months[0].first_day == first
    for month in months:
        month_days = calendar.monthrange(month.first_day.year, month.first_day.month)[1]
        assert month.partial == (month.first_day.day != 1 or month.last_day.day != month_days)


# --- benchmark ---------------------------------------------------------------------------------


def test_the_benchmark_is_forward_filled_onto_the_portfolios_days() -> None:
    twr = series_of(("2024-01-02", 100, 100), ("2024-01-03", 101, 0), ("2024-01-04", 102, 0))
    # No close on 3 Jan (a benchmark holiday): it keeps 2 Jan's 202 and catches up on 4 Jan.
    closes: dict[date, Decimal | float] = {
        d("2023-12-29"): 200.0,
        d("2024-01-02"): 202.0,
        d("2024-01-04"): Decimal("212.1"),
    }
    bench = benchmark_returns(closes, aligned_to=twr)
    assert bench.start == d("2024-01-01")  # 29 Dec's close stands for 1 Jan
    assert bench.days == twr.days
    assert bench.daily_returns == pytest.approx([0.01, 0.0, 0.05])


def test_a_benchmark_younger_than_the_portfolio_starts_at_its_first_close() -> None:
    twr = series_of(("2024-01-02", 100, 100), ("2024-01-03", 101, 0), ("2024-01-04", 102, 0))
    bench = benchmark_returns({d("2024-01-03"): 50.0, d("2024-01-04"): 51.0}, aligned_to=twr)
    assert (bench.start, bench.days) == (d("2024-01-03"), (d("2024-01-04"),))
    compared = compare_with_benchmark(twr, bench, d("2024-01-04"))
    assert compared[Period.SINCE_INCEPTION] is None
    assert compared[Period.ONE_DAY] is not None


def test_bad_benchmark_closes_are_rejected() -> None:
    twr = series_of(("2024-01-02", 100, 100))
    with pytest.raises(ValidationFailed) as error:
        benchmark_returns({d("2024-01-01"): 0.0, d("2024-01-02"): float("nan")}, aligned_to=twr)
    assert violated_fields(error) == ["benchmark[2024-01-01]", "benchmark[2024-01-02]"]
    with pytest.raises(ValidationFailed) as late:
        benchmark_returns({d("2024-01-03"): 10.0}, aligned_to=twr)
    assert violated_fields(late) == ["benchmark"]


def test_excess_return_and_tracking_error_by_hand() -> None:
    start = d("2024-01-01")
    days = [d("2024-01-02"), d("2024-01-03"), d("2024-01-04")]
    ours = ReturnSeries.from_daily_returns(start, days, [0.01, 0.02, -0.01])
    theirs = ReturnSeries.from_daily_returns(start, days, [0.00, 0.01, 0.00])
    compared = compare_range(ours, theirs, days[0], days[-1])
    assert compared is not None
    # Cumulative: 1.01 x 1.02 x 0.99 - 1 = 0.019898 against 1.01 - 1 = 0.01.
    assert compared.portfolio.cumulative == pytest.approx(0.019898)
    assert compared.benchmark.cumulative == pytest.approx(0.01)
    assert compared.excess_return == pytest.approx(0.009898)
    # Daily differences 0.01, 0.01, -0.01: mean 1/300, squared deviations (2/300)^2 x 2 + (4/300)^2
    # = 24/90 000, over n - 1 = 2: sample variance 1.333e-4 = (4/3) x 0.01^2.
    # Tracking error = 0.01 x sqrt(4/3 x 252) = 0.01 x sqrt(336) = 0.183303.
    assert compared.tracking_error == pytest.approx(0.01 * math.sqrt(336))
    assert compared.tracking_difference is None  # three days are not a year


def test_tracking_difference_is_the_gap_between_annualised_returns() -> None:
    ours, theirs = (
        every_day("2022-01-01", "2023-12-31", 0.0003),
        every_day("2022-01-01", "2023-12-31", 0.0001),
    )
    compared = compare_with_benchmark(ours, theirs, d("2023-12-31"))[Period.SINCE_INCEPTION]
    assert compared is not None
    # 730 days, Actual/365: exactly two years, so annualised = (1 + g) ** 365 - 1.
    assert compared.tracking_difference == pytest.approx(1.0003**365 - 1.0001**365)
    assert compared.tracking_error == pytest.approx(0.0, abs=1e-12)


def test_a_window_from_the_first_day_of_the_calendar_is_not_available() -> None:
    # The close before 1 January of year 1 is before any history (and before the calendar).
    assert LONG.window(date.min, d("2019-01-31")) is None
    assert range_return(LONG, date.min, d("2019-01-31")) is None


def test_a_series_cannot_start_on_the_first_day_of_the_calendar() -> None:
    # Its index grows from the close of the day before, which does not exist.
    with pytest.raises(ValidationFailed) as error:
        series_of(("0001-01-01", 100, 100), ("0001-01-02", 101, 0))
    assert violated_fields(error) == ["points[0].day"]


def test_the_calendar_stops_at_the_last_day_of_year_9999() -> None:
    twr = series_of(("9999-12-30", 100, 100), ("9999-12-31", 110, 0))
    assert [(r.first_day, r.cumulative) for r in yearly_returns(twr)] == [
        (d("9999-12-30"), pytest.approx(0.1))
    ]
    assert len(monthly_returns(twr)) == 1


def test_periods_reaching_back_before_the_calendar_are_not_available() -> None:
    twr = series_of(("0001-01-02", 100, 100), ("0001-01-03", 110, 0))
    returns = period_returns(twr, d("0001-01-03"))
    inception, one_day = returns[Period.SINCE_INCEPTION], returns[Period.ONE_DAY]
    assert inception is not None
    assert inception.cumulative == pytest.approx(0.1)
    assert one_day is not None
    assert {p for p, r in returns.items() if r is None} == {
        Period.ONE_WEEK,
        Period.ONE_MONTH,
        Period.THREE_MONTHS,
        Period.YEAR_TO_DATE,
        Period.ONE_YEAR,
        Period.THREE_YEARS,
        Period.FIVE_YEARS,
    }
