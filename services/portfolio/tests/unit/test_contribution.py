from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_portfolio.domain.contribution import contribution_by_holding, contribution_of_arrays
from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.performance import ValuePoint, time_weighted_returns

DAY_1, DAY_2 = date(2024, 1, 2), date(2024, 1, 3)

# Day 1: 1000 deposited; 600 buys A, 300 buys B, 100 stays cash. A closes +10 % at 660, B -10 % at
#        270. Portfolio 660 + 270 + 100 = 1030 on capital 1000: +3 %.
#        A: (660 - 0 - 600) / 1000 = +6 %; B: (270 - 0 - 300) / 1000 = -3 %; cash 0.
# Day 2: A +10 % to 726; B +10 % to 297 and sold at the close (297 flows out of B into cash);
#        cash earns 3 of interest: 100 + 297 + 3 = 400. Portfolio 726 + 400 = 1126 on capital 1030.
#        A: 66 / 1030; B: (0 - 270 + 297) / 1030 = 27 / 1030; cash: 3 / 1030.
# Linked with the portfolio's growth before each day (1 on day 1, 1.03 on day 2):
#        A = 0.06 + 1.03 x 66/1030 = 0.126; B = -0.03 + 1.03 x 27/1030 = -0.003;
#        cash = 1.03 x 3/1030 = 0.003; together 0.126 = 1126/1000 - 1, the TWR.
PORTFOLIO = [ValuePoint(DAY_1, 1030, 1000), ValuePoint(DAY_2, 1126, 0)]
HOLDINGS = {
    "A": [ValuePoint(DAY_1, 660, 600), ValuePoint(DAY_2, 726, 0)],
    "B": [ValuePoint(DAY_1, 270, 300), ValuePoint(DAY_2, 0, -297)],
}


def test_contributions_by_hand() -> None:
    report = contribution_by_holding(PORTFOLIO, HOLDINGS, DAY_1, DAY_2)
    assert report is not None
    assert (report.first_day, report.last_day) == (DAY_1, DAY_2)
    assert report.portfolio_return == pytest.approx(0.126)
    assert [h.holding for h in report.holdings] == ["A", "B"]
    assert [h.contribution for h in report.holdings] == pytest.approx([0.126, -0.003])
    assert report.cash_and_other == pytest.approx(0.003)


def test_a_later_period_starts_from_its_own_capital() -> None:
    # Day 2 alone: A 66/1030, B 27/1030, cash 3/1030; the TWR is 96/1030.
    report = contribution_by_holding(PORTFOLIO, HOLDINGS, DAY_2, DAY_2)
    assert report is not None
    assert report.portfolio_return == pytest.approx(96 / 1030)
    assert [h.contribution for h in report.holdings] == pytest.approx([66 / 1030, 27 / 1030])
    assert report.cash_and_other == pytest.approx(3 / 1030)


def test_a_period_before_the_history_is_not_available() -> None:
    assert contribution_by_holding(PORTFOLIO, HOLDINGS, DAY_1 - timedelta(days=1), DAY_2) is None


def test_holding_days_must_be_portfolio_days() -> None:
    with pytest.raises(ValidationFailed) as error:
        contribution_by_holding(PORTFOLIO, {"A": [ValuePoint(date(2024, 1, 5), 1, 0)]}, DAY_1, DAY_2)
    assert [v.field for v in error.value.violations] == ["holdings[A][0].day"]
    with pytest.raises(ValidationFailed) as reversed_period:
        contribution_by_holding(PORTFOLIO, HOLDINGS, DAY_2, DAY_1)
    assert [v.field for v in reversed_period.value.violations] == ["last_day"]


def test_the_array_form_gives_the_same_report() -> None:
    days, values, flows = (DAY_1, DAY_2), np.array([1030.0, 1126.0]), np.array([1000.0, 0.0])
    holdings = {"A": (np.array([660.0, 726.0]), np.array([600.0, 0.0]))}
    holdings["B"] = (np.array([270.0, 0.0]), np.array([300.0, -297.0]))
    report = contribution_of_arrays(days, values, flows, holdings, DAY_1, DAY_2)
    assert report == contribution_by_holding(PORTFOLIO, HOLDINGS, DAY_1, DAY_2)
    with pytest.raises(ValidationFailed) as short:
        contribution_of_arrays(days, values, flows, {"A": (np.array([1.0]), np.array([0.0]))}, DAY_1, DAY_2)
    assert [v.field for v in short.value.violations] == ["holdings"]


def test_gains_without_capital_count_for_no_one() -> None:
    # Day 2 starts with nothing (all withdrawn at the end of day 1); a stray 5 shows up in A.
    portfolio = [ValuePoint(DAY_1, 0, 0), ValuePoint(DAY_2, 5, 0)]
    report = contribution_by_holding(portfolio, {"A": [ValuePoint(DAY_2, 5, 0)]}, DAY_1, DAY_2)
    assert report is not None
    assert report.portfolio_return == 0.0
    assert report.holdings[0].contribution == 0.0
    assert report.cash_and_other == 0.0


money = st.floats(min_value=1, max_value=10_000)
flow = st.floats(min_value=-5_000, max_value=5_000)


@given(
    st.integers(1, 25).flatmap(
        lambda days: st.tuples(
            st.lists(st.lists(st.tuples(money, flow), min_size=days, max_size=days), min_size=1, max_size=4),
            st.lists(st.tuples(money, flow), min_size=days, max_size=days),
            st.integers(0, days - 1),
        )
    )
)
def test_contributions_add_up_to_the_portfolios_twr(
    generated: tuple[list[list[tuple[float, float]]], list[tuple[float, float]], int],
) -> None:
    holdings_rows, cash_rows, skip = generated
    days = [DAY_1 + timedelta(days=i) for i in range(len(cash_rows))]
    holdings = {
        f"H{n}": [ValuePoint(day, value, net) for day, (value, net) in zip(days, rows, strict=True)]
        for n, rows in enumerate(holdings_rows)
    }
    # The portfolio is its holdings plus cash; its external flow is any made up number.
    portfolio = [
        ValuePoint(day, sum(rows[i][0] for rows in holdings_rows) + cash_rows[i][0], cash_rows[i][1])
        for i, day in enumerate(days)
    ]
    first_day = days[skip]
    report = contribution_by_holding(portfolio, holdings, first_day, days[-1])
    assert report is not None
    twr = time_weighted_returns(portfolio).window(first_day, days[-1])
    assert twr is not None
    assert report.portfolio_return == pytest.approx(twr.cumulative, rel=1e-9, abs=1e-9)
    parts = [h.contribution for h in report.holdings] + [report.cash_and_other]
    tolerance = 1e-9 * (1 + sum(abs(p) for p in parts))
    assert sum(parts) == pytest.approx(twr.cumulative, abs=tolerance)
    ranked = [h.contribution for h in report.holdings]
    assert ranked == sorted(ranked, reverse=True)
