"""American prices: never below European, equal to it when early exercise never pays, and
converging to a fine tree; Hull's American put."""

from __future__ import annotations

import numpy as np
import pytest

from eqr_options.domain.american import (
    american_greeks,
    american_price,
    cash_dividends,
    early_exercise_boundary,
)
from eqr_options.domain.black_scholes import greeks, price
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
    terms = option_terms(spot=50, strike=50, years=5 / 12, rate=0.10, is_call=False)
    assert american_price(terms, np.array([0.4]), steps=512)[0] == pytest.approx(4.284, abs=1e-3)


def test_american_is_worth_at_least_european() -> None:
    assert np.all(american_price(TERMS, VOL) >= price(TERMS, VOL) - 1e-6)


def test_call_without_dividends_is_european() -> None:
    terms = option_terms(
        spot=100.0, strike=[80.0, 100.0, 130.0], years=[0.3, 1.0, 2.0], rate=0.05, is_call=True
    )
    vol = np.array([0.2, 0.3, 0.4])
    assert np.allclose(american_price(terms, vol, steps=256), price(terms, vol), atol=2e-4)


def test_converges_to_a_fine_tree() -> None:
    sample = TERMS.take(np.arange(8))
    fine = american_price(sample, VOL[:8], steps=1024)
    assert np.max(np.abs(american_price(sample, VOL[:8], steps=128) - fine)) < 2e-3
    assert np.max(np.abs(american_price(sample, VOL[:8], steps=512) - fine)) < 5e-4


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
    a, e = american_greeks(terms, vol, steps=512), greeks(terms, vol)
    assert a.delta[0] == pytest.approx(e.delta[0], abs=2e-3)
    assert a.gamma[0] == pytest.approx(e.gamma[0], abs=2e-3)
    assert a.vega[0] == pytest.approx(e.vega[0], abs=0.05)
    assert a.theta[0] == pytest.approx(e.theta[0], abs=0.05)
    assert a.rho[0] == pytest.approx(e.rho[0], abs=0.05)


def test_put_boundary_lies_below_the_strike_and_rises_towards_expiry() -> None:
    terms = option_terms(spot=100.0, strike=100.0, years=1.0, rate=0.08, is_call=False)
    times, boundary = early_exercise_boundary(terms, np.array([0.3]), steps=200)
    late = boundary[0, 100:]
    assert np.all(late[np.isfinite(late)] < 100.0)
    finite = np.isfinite(boundary[0])
    assert np.nanmean(boundary[0, 150:]) > np.nanmean(boundary[0, finite][:20])
    assert times.shape == boundary.shape
