from __future__ import annotations

import math
import statistics
from dataclasses import astuple
from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eqr_portfolio.domain.errors import ValidationFailed
from eqr_portfolio.domain.performance import ReturnSeries
from eqr_portfolio.domain.risk import (
    Drawdown,
    annualised_volatility,
    beta,
    correlation,
    max_drawdown,
    sharpe_ratio,
    sortino_ratio,
)

START = date(2024, 1, 1)


def series(*daily_returns: float) -> ReturnSeries:
    days = [START + timedelta(days=i + 1) for i in range(len(daily_returns))]
    return ReturnSeries.from_daily_returns(START, days, daily_returns)


def d(text: str) -> date:
    return date.fromisoformat(text)


# Returns 1 %, -1 %, 2 %, 0 %: mean 0.005; deviations 0.005, -0.015, 0.015, -0.005; squares add to
# 5e-4; sample variance 5e-4 / 3.
SAMPLE = series(0.01, -0.01, 0.02, 0.0)


def test_volatility_is_the_sample_deviation_times_root_252() -> None:
    # sqrt(5e-4 / 3 x 252) = sqrt(0.042) = 0.204939
    assert annualised_volatility(SAMPLE) == pytest.approx(math.sqrt(0.042))


def test_sharpe_by_hand_and_with_a_risk_free_rate() -> None:
    # 0.005 / sqrt(5e-4 / 3) x sqrt(252) = 0.005 x 252 / sqrt(0.042) = 6.148170
    assert sharpe_ratio(SAMPLE) == pytest.approx(1.26 / math.sqrt(0.042))
    # 3 % a year is 1.03 ** (1/252) - 1 a day, taken off every day: the deviation stays the same.
    daily = 1.03 ** (1 / 252) - 1
    assert sharpe_ratio(SAMPLE, 0.03) == pytest.approx((0.005 - daily) * 252 / math.sqrt(0.042))


def test_sortino_divides_by_the_downside_over_all_days() -> None:
    # Only -1 % is below 0: sqrt((0.01 ** 2) / 4) = 0.005; 0.005 / 0.005 x sqrt(252).
    assert sortino_ratio(SAMPLE) == pytest.approx(math.sqrt(252))


@given(st.lists(st.floats(min_value=-0.5, max_value=0.5), min_size=2, max_size=300))
def test_volatility_and_sharpe_agree_with_the_statistics_module(returns: list[float]) -> None:
    measured = series(*returns)
    spread = statistics.stdev(returns)
    assert annualised_volatility(measured) == pytest.approx(spread * math.sqrt(252), abs=1e-12)
    if spread > 1e-10:
        assert sharpe_ratio(measured) == pytest.approx(statistics.fmean(returns) / spread * math.sqrt(252))


def test_too_few_points_or_no_spread_give_none() -> None:
    one = series(0.01)
    assert (annualised_volatility(one), sharpe_ratio(one), sortino_ratio(one)) == (None, None, None)
    assert (beta(one, one), correlation(one, one)) == (None, None)
    assert max_drawdown(series()) is None
    flat = series(0.001, 0.001, 0.001)
    assert sharpe_ratio(flat) is None
    assert sortino_ratio(flat) is None  # never below the required return
    assert beta(SAMPLE, flat) is None
    assert correlation(SAMPLE, flat) is None


def test_a_risk_free_rate_must_be_above_minus_100_percent() -> None:
    with pytest.raises(ValidationFailed):
        sharpe_ratio(SAMPLE, -1.0)


def test_max_drawdown_dates() -> None:
    # Index from 1.0 on 1 Jan: 1.10 (2 Jan), 0.99, 0.88 (4 Jan), 1.00, 1.10 (6 Jan), 1.20.
    # Deepest fall: 0.88 / 1.10 - 1 = -20 %, peak 2 Jan, trough 4 Jan, back at 1.10 on 6 Jan.
    levels = [1.0, 1.10, 0.99, 0.88, 1.00, 1.10, 1.20]
    returns = [later / earlier - 1 for earlier, later in pairwise(levels)]
    drawdown = max_drawdown(series(*returns))
    assert drawdown is not None
    assert astuple(drawdown) == (pytest.approx(-0.2), d("2024-01-02"), d("2024-01-04"), d("2024-01-06"))


def test_a_first_day_loss_falls_from_the_start_and_may_not_recover() -> None:
    # 1.0 -> 0.95 -> 0.90 -> 0.97: -10 % from the start level, not recovered.
    drawdown = max_drawdown(series(-0.05, 0.90 / 0.95 - 1, 0.97 / 0.90 - 1))
    assert drawdown is not None
    assert astuple(drawdown) == (pytest.approx(-0.1), START, d("2024-01-03"), None)


def test_the_peak_is_the_last_close_at_its_level() -> None:
    # 1.0 -> 1.1 -> 1.1 -> 1.045: the fall starts after 3 Jan.
    drawdown = max_drawdown(series(0.1, 0.0, -0.05))
    assert drawdown is not None
    assert astuple(drawdown) == (pytest.approx(-0.05), d("2024-01-03"), d("2024-01-04"), None)


def test_no_fall_is_a_drawdown_of_zero() -> None:
    assert max_drawdown(series(0.01, 0.0, 0.02)) == Drawdown(0.0, START, START, START)


def test_beta_and_correlation_of_scaled_series() -> None:
    market = series(0.01, -0.02, 0.015, 0.003, -0.007)
    double = series(*(2 * r for r in market.daily_returns))
    inverse = series(*(-r for r in market.daily_returns))
    assert beta(market, market) == pytest.approx(1.0)
    assert beta(double, market) == pytest.approx(2.0)
    assert beta(market, double) == pytest.approx(0.5)
    assert correlation(double, market) == pytest.approx(1.0)
    assert correlation(inverse, market) == pytest.approx(-1.0)


def test_beta_by_hand_on_shared_days() -> None:
    # Portfolio 2 %, 0 %, -2 %; benchmark 1 %, 1 %, -2 % and a day the portfolio does not have.
    ours = series(0.02, 0.0, -0.02)
    theirs = ReturnSeries.from_daily_returns(START, [*ours.days, d("2024-01-05")], [0.01, 0.01, -0.02, 0.5])
    # Benchmark mean 0, deviations 1, 1, -2 (in %): variance 6/3; covariance (2 + 0 + 4)/3 = 6/3.
    assert beta(ours, theirs) == pytest.approx(1.0)
    # Correlation 6 / sqrt((4 + 0 + 4) x 6) = 6 / sqrt(48) = 0.866025
    assert correlation(ours, theirs) == pytest.approx(6 / math.sqrt(48))
