from __future__ import annotations

import math
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from scipy.optimize import brentq  # type: ignore[import-untyped]

from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.performance import ValuePoint
from eqr_portfolio.domain.xirr import CashFlow, NoRateReason, XirrResult, money_weighted_return, xirr

D0 = date(2020, 1, 1)


def d(text: str) -> date:
    return date.fromisoformat(text)


def discounted(rate: float, flows: list[CashFlow]) -> list[float]:
    """Written apart from the module: plain Actual/365 discounting in rate space."""
    first = min(f.day for f in flows)
    return [float(f.amount) * math.pow(1 + rate, -(f.day - first).days / 365) for f in flows]


def npv(rate: float, flows: list[CashFlow]) -> float:
    return math.fsum(discounted(rate, flows))


def test_excels_documented_example() -> None:
    flows = [
        CashFlow(d("2008-01-01"), -10_000),
        CashFlow(d("2008-03-01"), 2_750),
        CashFlow(d("2008-10-30"), 4_250),
        CashFlow(d("2009-02-15"), 3_250),
        CashFlow(d("2009-04-01"), 2_750),
    ]
    result = xirr(flows)
    assert result.reason is None
    # Excel shows 0.373362535 and promises 0.000001 % (1e-8); the exact root, from a 50-digit
    # Decimal evaluation of the NPV (about 1e-12 there, -8.6e-6 at Excel's figure), is 0.3733625335188.
    assert result.rate == pytest.approx(0.373362535, abs=1e-8)
    assert result.rate == pytest.approx(0.3733625335188, abs=1e-12)


def test_one_year_at_ten_percent() -> None:
    # 2021 has 365 days: 1100 / 1000 = 1.1 ** (365/365).
    assert xirr(
        [CashFlow(d("2021-01-01"), Decimal(-1000)), CashFlow(d("2022-01-01"), Decimal(1100))]
    ).rate == (pytest.approx(0.1, abs=1e-12))


def test_a_rate_beyond_newtons_reach_is_bracketed() -> None:
    # 100 -> 1000 in 10 days: 1 + r = 10 ** (365/10), about 3.2e36.
    result = xirr([CashFlow(D0, -100), CashFlow(D0 + timedelta(days=10), 1000)])
    assert result.rate == pytest.approx(10 ** (365 / 10) - 1, rel=1e-9)
    # A near-total loss: 100 -> 1 in a year is -99 %.
    loss = xirr([CashFlow(d("2021-01-01"), -100), CashFlow(d("2022-01-01"), 1)])
    assert loss.rate == pytest.approx(-0.99, abs=1e-12)


def test_with_two_roots_newton_keeps_the_one_at_its_guess() -> None:
    # -100, +230, -132 a year apart: (1 + r)^2 x -100 + 230 (1 + r) - 132 = 0 has roots 10 % and 20 %.
    flows = [CashFlow(d("2021-01-01"), -100), CashFlow(d("2022-01-01"), 230), CashFlow(d("2023-01-01"), -132)]
    assert xirr(flows).rate == pytest.approx(0.1, abs=1e-12)


@pytest.mark.parametrize(
    ("flows", "reason"),
    [
        ([], NoRateReason.TOO_FEW_DATES),
        ([CashFlow(D0, -100), CashFlow(D0, 110)], NoRateReason.TOO_FEW_DATES),
        ([CashFlow(D0, -100), CashFlow(D0 + timedelta(days=30), 0)], NoRateReason.TOO_FEW_DATES),
        ([CashFlow(D0, 100), CashFlow(D0 + timedelta(days=30), 110)], NoRateReason.NO_SIGN_CHANGE),
        ([CashFlow(D0, -100), CashFlow(D0 + timedelta(days=30), -110)], NoRateReason.NO_SIGN_CHANGE),
        # -100 + 50 a - 100 a^2 with a = (1 + r)^-1 peaks at a = 1/4 at -93.75: never zero.
        (
            [CashFlow(d("2021-01-01"), -100), CashFlow(d("2022-01-01"), 50), CashFlow(d("2023-01-01"), -100)],
            NoRateReason.NO_ROOT,
        ),
    ],
)
def test_no_rate_comes_with_its_reason(flows: list[CashFlow], reason: NoRateReason) -> None:
    assert xirr(flows) == XirrResult(None, reason)


def test_non_finite_amounts_are_rejected() -> None:
    with pytest.raises(ValidationFailed) as error:
        xirr([CashFlow(D0, -100), CashFlow(D0, Decimal("Infinity")), CashFlow(D0, float("nan"))])
    assert [v.field for v in error.value.violations] == ["flows[1].amount", "flows[2].amount"]


amounts = st.floats(min_value=1, max_value=1e6)


@given(
    invested=amounts,
    returned=st.lists(st.tuples(st.integers(1, 3650), amounts), min_size=1, max_size=12),
)
def test_conventional_flows_match_an_independent_brent_solve(
    invested: float, returned: list[tuple[int, float]]
) -> None:
    # One payment in, then only money back: one sign change, so exactly one rate (Descartes).
    flows = [CashFlow(D0, -invested), *(CashFlow(D0 + timedelta(days=n), a) for n, a in returned)]
    low, high = -0.95, 100.0
    assume(npv(low, flows) > 0 > npv(high, flows))
    expected = brentq(npv, low, high, args=(flows,), xtol=1e-14, rtol=1e-14)
    assert xirr(flows).rate == pytest.approx(expected, rel=1e-8, abs=1e-10)


@given(st.lists(st.tuples(st.integers(0, 3650), st.floats(min_value=-1e6, max_value=1e6)), max_size=10))
def test_any_rate_found_zeroes_the_npv(raw: list[tuple[int, float]]) -> None:
    flows = [CashFlow(D0 + timedelta(days=n), a) for n, a in raw]
    result = xirr(flows)
    moving = [f for f in flows if f.amount != 0]
    if result.rate is not None:
        assert result.rate > -1
        # The plain discounting above loses precision as 1 + r nears 0 or grows huge.
        assume(-0.99 < result.rate < 1e6)
        terms = discounted(result.rate, flows)
        assert abs(math.fsum(terms)) <= 1e-9 * sum(abs(term) for term in terms)
    elif result.reason is NoRateReason.TOO_FEW_DATES:
        assert len({f.day for f in moving}) < 2
    elif result.reason is NoRateReason.NO_SIGN_CHANGE:
        assert all(f.amount > 0 for f in moving) or all(f.amount < 0 for f in moving)


def test_money_weighted_return_of_a_single_deposit() -> None:
    # 1000 in on 1 Jan 2023, worth 1100 on 1 Jan 2024 (365 days later): 10 %.
    points = [ValuePoint(d("2023-01-01"), 1000, 1000), ValuePoint(d("2024-01-01"), 1100, 0)]
    assert money_weighted_return(points).rate == pytest.approx(0.1, abs=1e-12)


def test_money_weighted_return_is_xirr_of_the_flows_seen_by_the_investor() -> None:
    points = [
        ValuePoint(d("2023-01-02"), 1000, 1000),
        ValuePoint(d("2023-06-01"), 1600, 500),
        ValuePoint(d("2023-09-01"), 1300, -400),
        ValuePoint(d("2023-12-29"), 1450, 0),
    ]
    expected = xirr(
        [
            CashFlow(d("2023-01-02"), -1000),
            CashFlow(d("2023-06-01"), -500),
            CashFlow(d("2023-09-01"), 400),
            CashFlow(d("2023-12-29"), 1450),
        ]
    )
    assert money_weighted_return(points) == expected
    assert expected.rate is not None
    assert expected.rate > 0


def test_a_window_starts_with_the_value_at_the_close_before_it() -> None:
    # The value at the close of 2 July 2023 (1050) is paid in; 1155 taken out on 1 July 2024,
    # 365 days later (29 February 2024 lies between): 1155 / 1050 = 1.1.
    points = [
        ValuePoint(d("2023-01-02"), 1000, 1000),
        ValuePoint(d("2023-07-02"), 1050, 0),
        ValuePoint(d("2024-07-01"), 1155, 0),
    ]
    result = money_weighted_return(points, first_day=d("2023-07-03"), last_day=d("2024-07-01"))
    assert result.rate == pytest.approx(0.1, abs=1e-12)


def test_a_range_from_the_first_day_of_the_calendar_starts_with_nothing_invested() -> None:
    # The close before 1 January of year 1 does not exist; the value there is 0, so the range
    # is the whole history: 1000 in on 1 January 2021, 1100 out a year later.
    points = [ValuePoint(d("2021-01-01"), 1000, 1000), ValuePoint(d("2022-01-01"), 1100, 0)]
    assert money_weighted_return(points, date.min, d("2022-01-01")).rate == pytest.approx(0.1, abs=1e-12)
    assert money_weighted_return(points, date.min, date.min).reason is NoRateReason.TOO_FEW_DATES


def test_a_range_that_ends_before_it_starts_has_no_rate() -> None:
    points = [ValuePoint(d("2021-01-01"), 1000, 1000), ValuePoint(d("2022-01-01"), 1100, 0)]
    result = money_weighted_return(points, d("2021-06-02"), d("2021-06-01"))
    assert result.reason is NoRateReason.TOO_FEW_DATES


def test_the_return_over_the_span_is_the_rate_not_annualised() -> None:
    # 1000 -> 1010 in one day: an annual 1.01 ** 365 - 1 (3678 %), and the day's own 1 %.
    one_day = [CashFlow(D0, -1000), CashFlow(D0 + timedelta(days=1), 1010)]
    result = xirr(one_day)
    assert (result.days, result.rate) == (1, pytest.approx(1.01**365 - 1, rel=1e-9))
    assert xirr(one_day, over_span=True).rate == pytest.approx(0.01, rel=1e-9)
    # 1000 in, 500 more 100 days later, 1600 out 200 days after the start: the span is 200 days.
    flows = [
        CashFlow(D0, -1000),
        CashFlow(D0 + timedelta(days=100), -500),
        CashFlow(D0 + timedelta(days=200), 1600),
    ]
    annual, spanned = xirr(flows), xirr(flows, over_span=True)
    assert annual.rate is not None
    assert spanned.days == 200
    assert spanned.rate == pytest.approx((1 + annual.rate) ** (200 / 365) - 1, rel=1e-9)
    assert xirr([CashFlow(D0, -1000)], over_span=True).rate is None


@pytest.mark.parametrize("growth", [-0.99, -0.6, -0.1, 0.0, 2.0, 10.0, 1000.0])
@pytest.mark.parametrize("days", [1, 7])
def test_large_moves_over_a_short_span_are_their_own_return(growth: float, days: int) -> None:
    # A day's -10 % is an annual rate of -100 % to a double, a day's +1000 % an overflow: the
    # span's return must not pass through the annual rate.
    flows = [CashFlow(D0, -100), CashFlow(D0 + timedelta(days=days), 100 * (1 + growth))]
    assert xirr(flows, over_span=True).rate == pytest.approx(growth, rel=1e-9, abs=1e-12)
