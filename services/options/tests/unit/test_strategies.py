"""Strategy figures hand-checked from the legs' premiums and strikes."""

from __future__ import annotations

from math import inf

import numpy as np
import pytest

from eqr_options.domain import strategies as s
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.strategy_analysis import (
    Market,
    breakevens,
    diagram,
    extremes,
    net_greeks,
    payoff_at_expiry,
    probability_of_profit,
    scenario_grid,
)

MARKET = Market(spot=100.0, rate=0.05)


def test_iron_condor() -> None:
    condor = s.iron_condor((90, 1.0, 0.3), (95, 2.0, 0.28), (105, 2.1, 0.25), (110, 1.0, 0.24), 0.25)
    assert condor.cost == pytest.approx(-210.0)  # a credit of 2.10 a share
    e = extremes(condor, MARKET)
    assert (e.max_profit, e.max_loss) == pytest.approx((210.0, -290.0))
    assert breakevens(condor, MARKET) == pytest.approx([92.9, 107.1])
    assert 0 < probability_of_profit(condor, MARKET, 0.25) < 1


def test_covered_call_and_protective_put() -> None:
    covered = s.covered_call(100.0, (105.0, 2.0, 0.25), 0.25)
    e = extremes(covered, MARKET)
    assert (e.max_profit, e.max_loss) == pytest.approx((700.0, -9800.0))
    assert breakevens(covered, MARKET) == pytest.approx([98.0])
    protected = s.protective_put(100.0, (95.0, 1.5, 0.25), 0.25)
    e = extremes(protected, MARKET)
    assert e.profit_unlimited
    assert e.max_loss == pytest.approx(-650.0)


def test_straddle_strangle_and_verticals() -> None:
    straddle = s.straddle((100, 5.0, 0.2), (100, 4.0, 0.2), 0.5)
    assert extremes(straddle, MARKET).max_profit == inf
    assert breakevens(straddle, MARKET) == pytest.approx([91.0, 109.0])
    short_strangle = s.custom(
        "short strangle",
        [
            leg.__class__(**{**_as_dict(leg), "quantity": -1})
            for leg in s.strangle((110, 2.0, 0.2), (90, 1.5, 0.2), 0.5).legs
        ],
    )
    assert extremes(short_strangle, MARKET).loss_unlimited
    bull = s.vertical("call", (100, 5.0, 0.2), (110, 1.5, 0.2), 0.5)
    e = extremes(bull, MARKET)
    assert (e.max_profit, e.max_loss) == pytest.approx((650.0, -350.0))
    assert breakevens(bull, MARKET) == pytest.approx([103.5])


def test_butterfly_and_calendar() -> None:
    fly = s.butterfly("call", (95, 7.0, 0.2), (100, 4.0, 0.2), (105, 2.0, 0.2), 0.25)
    e = extremes(fly, MARKET)
    assert (e.max_profit, e.max_loss) == pytest.approx((400.0, -100.0))
    assert breakevens(fly, MARKET) == pytest.approx([96.0, 104.0])
    cal = s.calendar("call", (100, 3.0, 0.2), (100, 5.0, 0.2), 0.25, 0.5)
    e = extremes(cal, MARKET)
    assert e.max_loss == pytest.approx(-200.0)
    assert 0 < e.max_profit < inf
    assert net_greeks(cal, MARKET).vega[0] > 0


def test_payoff_grid_and_diagram() -> None:
    straddle = s.straddle((100, 5.0, 0.2), (100, 4.0, 0.2), 0.5)
    assert payoff_at_expiry(straddle, np.array([80.0, 100.0]), MARKET).tolist() == pytest.approx(
        [1100.0, -900.0]
    )
    grid = scenario_grid(straddle, MARKET, np.array([-0.1, 0.0, 0.1]), np.array([-0.05, 0.0, 0.05]))
    assert grid.shape == (3, 3)
    assert grid[1, 2] > grid[1, 1] > grid[1, 0]
    d = diagram(straddle, MARKET, points=11)
    assert d.spots.size == d.at_expiry.size == d.now.size == 11
    assert np.all((d.now > d.at_expiry)[4:7])  # a long straddle's time value near the money


def test_probability_of_profit_of_shares_matches_the_lognormal() -> None:
    stock_and_tiny_put = s.protective_put(100.0, (1.0, 0.0001, 0.2), 1.0)
    p = probability_of_profit(stock_and_tiny_put, Market(100.0), 0.2, drift=0.0)
    assert p == pytest.approx(0.4601721627, abs=1e-5)  # P(ln S_T > ln S_0) = Φ(-sigma/2), less the premium


def test_hostile_legs_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="strike"):
        s.butterfly("call", (100, 1, 0.2), (95, 1, 0.2), (105, 1, 0.2), 0.25)
    with pytest.raises(ValidationFailed, match="legs"):
        s.custom("empty", [])


def _as_dict(leg: s.Leg) -> dict[str, object]:
    return {f: getattr(leg, f) for f in leg.__slots__}  # type: ignore[attr-defined]
