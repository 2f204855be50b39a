"""American prices: never below European, equal to it when early exercise never pays, the
fixed-point method against an independent fine binomial tree (long-dated deep in-the-money
puts included), the tree's own convergence; Hull's American put."""

from __future__ import annotations

import numpy as np
import pytest

from eqr_options.domain.american import (
    american_greeks,
    american_price,
    binomial_price,
    cash_dividends,
    early_exercise_boundary,
)
from eqr_options.domain.black_scholes import greeks, price
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.inputs import option_terms

rng = np.random.default_rng(11)
N = 200
TERMS = option_terms(
    spot=100.0,
    strike=rng.uniform(70, 130, N),
    years=rng.uniform(0.1, 2, N),
    rate=0.05,
    dividend_yield=rng.uniform(0, 0.04, N),
    is_call=rng.random(N) < 0.5,
)
VOL = rng.uniform(0.1, 0.5, N)


def test_hull_american_put() -> None:
    # Hull, Options, Futures and Other Derivatives: S = K = 50, r = 10%, sigma = 40%, 5 months;
    # the book's fine-tree value is 4.28.
    terms = option_terms(spot=50, strike=50, years=5 / 12, rate=0.10, is_call=False)
    assert american_price(terms, np.array([0.4]))[0] == pytest.approx(4.2842, abs=5e-4)
    assert binomial_price(terms, np.array([0.4]), steps=512)[0] == pytest.approx(4.284, abs=1e-3)


GRID_DAYS = np.array([1095, 840, 1825, 365, 1497, 730, 182, 1095])
GRID = option_terms(
    spot=100.0,
    strike=[140.0, 125.0, 160.0, 100.0, 96.8, 80.0, 120.0, 60.0],
    years=GRID_DAYS / 365,
    rate=[0.04, 0.04, 0.08, 0.05, 0.113, 0.03, 0.02, 0.01],
    dividend_yield=[0.015, 0.015, 0.0, 0.03, 0.013, 0.06, 0.0, 0.05],
    is_call=[False, False, False, False, False, True, False, True],
)
GRID_VOL = np.array([0.15, 0.17, 0.1, 0.3, 0.096, 0.25, 0.6, 0.4])
QUANTLIB_HIGH_PRECISION = np.array(
    [40.00000035, 25.29172147, 60.0, 10.79023725, 0.77878327, 21.87409125, 29.39946506, 41.75153083]
)
"""QuantLib 1.x QdFpAmericanEngine, highPrecisionScheme, on GRID (ACT/365 whole days)."""


def test_fixed_point_agrees_with_quantlib_high_precision_including_long_dated_deep_itm_puts() -> None:
    assert np.max(np.abs(american_price(GRID, GRID_VOL) - QUANTLIB_HIGH_PRECISION)) < 1e-4


def test_fixed_point_agrees_with_a_fine_tree() -> None:
    # The 4,096-step tree with Richardson extrapolation is within ~6e-5 of the limit on these
    # rows; not on the low-vol, high-rate row (index 4), where it oscillates by ~1e-3.
    rows = np.array([0, 1, 2, 3, 5, 6, 7])
    sample = GRID.take(rows)
    reference = binomial_price(sample, GRID_VOL[rows], steps=4096)
    assert np.max(np.abs(american_price(sample, GRID_VOL[rows]) - reference)) < 1e-4


def test_american_is_worth_at_least_european() -> None:
    assert np.all(american_price(TERMS, VOL) >= price(TERMS, VOL) - 1e-6)


def test_call_without_dividends_is_european() -> None:
    terms = option_terms(
        spot=100.0, strike=[80.0, 100.0, 130.0], years=[0.3, 1.0, 2.0], rate=0.05, is_call=True
    )
    vol = np.array([0.2, 0.3, 0.4])
    assert np.array_equal(american_price(terms, vol), price(terms, vol))
    assert np.allclose(binomial_price(terms, vol, steps=256), price(terms, vol), atol=2e-4)


def test_two_boundary_rows_fall_back_to_the_tree() -> None:
    terms = option_terms(spot=100.0, strike=105.0, years=1.0, rate=-0.01, dividend_yield=-0.03, is_call=False)
    vol = np.array([0.2])
    assert american_price(terms, vol)[0] == binomial_price(terms, vol)[0]


def test_tree_converges() -> None:
    sample = TERMS.take(np.arange(8))
    fine = binomial_price(sample, VOL[:8], steps=1024)
    assert np.max(np.abs(binomial_price(sample, VOL[:8], steps=128) - fine)) < 2e-3
    assert np.max(np.abs(binomial_price(sample, VOL[:8], steps=512) - fine)) < 5e-4


def test_escrowed_dividend_makes_calls_early_exercisable() -> None:
    terms = option_terms(spot=100.0, strike=90.0, years=1.0, rate=0.03, is_call=True)
    dividends = cash_dividends(np.array([0.5]), np.array([5.0]), rows=1)
    american = american_price(terms, np.array([0.2]), dividends=dividends)[0]
    escrowed = option_terms(
        spot=100.0 - 5.0 * np.exp(-0.03 * 0.5), strike=90.0, years=1.0, rate=0.03, is_call=True
    )
    assert american > price(escrowed, np.array([0.2]))[0] + 0.05


def test_greeks_by_differences_are_close_to_european_for_a_call_without_dividends() -> None:
    terms = option_terms(spot=100.0, strike=100.0, years=1.0, rate=0.05, is_call=True)
    vol = np.array([0.25])
    a, e = american_greeks(terms, vol), greeks(terms, vol)
    assert a.delta[0] == pytest.approx(e.delta[0], abs=2e-3)
    assert a.gamma[0] == pytest.approx(e.gamma[0], abs=2e-3)
    assert a.vega[0] == pytest.approx(e.vega[0], abs=0.05)
    assert a.theta[0] == pytest.approx(e.theta[0], abs=0.05)
    assert a.rho[0] == pytest.approx(e.rho[0], abs=0.05)


def test_put_greeks_by_differences_match_a_fine_tree() -> None:
    terms = option_terms(spot=100.0, strike=110.0, years=1.5, rate=0.06, dividend_yield=0.01, is_call=False)
    vol = np.array([0.25])
    a = american_greeks(terms, vol)
    ds = 0.5
    up = option_terms(spot=100.0 + ds, strike=110.0, years=1.5, rate=0.06, dividend_yield=0.01, is_call=False)
    down = option_terms(
        spot=100.0 - ds, strike=110.0, years=1.5, rate=0.06, dividend_yield=0.01, is_call=False
    )
    tree_delta = (binomial_price(up, vol, steps=2048) - binomial_price(down, vol, steps=2048)) / (2 * ds)
    assert a.delta[0] == pytest.approx(tree_delta[0], abs=2e-3)
    assert -1.0 < a.delta[0] < 0.0
    assert a.gamma[0] > 0.0
    assert a.vega[0] > 0.0


def test_put_boundary_lies_below_the_strike_and_rises_towards_expiry() -> None:
    terms = option_terms(spot=100.0, strike=100.0, years=1.0, rate=0.08, is_call=False)
    times, boundary = early_exercise_boundary(terms, np.array([0.3]), points=200)
    assert times.shape == boundary.shape == (1, 200)
    assert np.all(boundary < 100.0)
    assert np.all(np.diff(boundary[0]) > 0)


def test_call_boundary_mirrors_the_put_and_calls_without_yield_have_none() -> None:
    terms = option_terms(
        spot=100.0, strike=100.0, years=1.0, rate=[0.05, 0.05], dividend_yield=[0.08, 0.0], is_call=True
    )
    _, boundary = early_exercise_boundary(terms, np.array([0.3, 0.3]), points=50)
    assert np.all(boundary[0] > 100.0)
    assert np.all(np.diff(boundary[0]) < 0)
    assert np.all(np.isnan(boundary[1]))


def test_a_row_the_tree_cannot_price_is_refused_naming_it() -> None:
    # Fifty years at a 100% rate and 5% vol: the tree's up-move probability would exceed 1.
    terms = option_terms(
        spot=[100.0, 100.0], strike=100.0, years=[1.0, 50.0], is_call=False, rate=[0.05, 1.0]
    )
    with pytest.raises(ValidationFailed) as refused:
        american_price(terms, np.array([0.2, 0.05]))
    assert refused.value.violations[0].field == "vol"
    assert "row 1" in refused.value.violations[0].message
