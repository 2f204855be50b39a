"""Implied volatility round trips to machine precision over a wide grid; bad prices get reasons."""

from __future__ import annotations

import numpy as np

from eqr_options.domain.black_scholes import greeks
from eqr_options.domain.implied_vol import IVStatus, implied_vol
from eqr_options.domain.inputs import option_terms


def grid() -> tuple[np.ndarray, ...]:
    moneyness, years, vols = np.geomspace(0.5, 2, 31), np.geomspace(1 / 365, 5, 31), np.geomspace(0.01, 3, 31)
    return tuple(a.ravel() for a in np.meshgrid(moneyness, years, vols, indexing="ij"))


def test_out_of_the_money_round_trip_is_exact_where_vega_matters() -> None:
    strike, years, vol = grid()
    terms = option_terms(spot=1.0, strike=strike, years=years, rate=0.0, is_call=strike >= 1.0)
    g = greeks(terms, vol)
    solved = implied_vol(terms, g.price)
    meaningful = g.vega > 1e-8
    assert meaningful.sum() > 15_000
    assert np.all(solved.ok[meaningful])
    assert np.max(np.abs(solved.vol - vol)[meaningful]) < 1e-12


def test_round_trip_with_rates_dividends_and_in_the_money_rows() -> None:
    """An in-the-money price carries the volatility only in its time value, so the bound is the
    price's own rounding (a few ulps of the price) divided by vega."""
    strike, years, vol = grid()
    spot = 100.0
    for is_call in (True, False):
        terms = option_terms(
            spot=spot, strike=spot * strike, years=years, rate=0.04, dividend_yield=0.015, is_call=is_call
        )
        g = greeks(terms, vol)
        solved = implied_vol(terms, g.price)
        meaningful = g.vega > 1e-8
        bound = np.maximum(1e-12, 64 * np.finfo(float).eps * (g.price + spot) / np.maximum(g.vega, 1e-8))
        assert np.all(np.abs(solved.vol - vol)[meaningful] <= bound[meaningful])


def test_black_76_round_trip() -> None:
    terms = option_terms(
        spot=80.0, strike=[60.0, 80.0, 120.0], years=0.7, rate=0.05, is_call=False, model="black76"
    )
    vol = np.array([0.3, 0.25, 0.2])
    assert np.allclose(implied_vol(terms, greeks(terms, vol).price).vol, vol, atol=1e-13, rtol=0)


def test_prices_outside_the_bounds_get_a_status_and_a_reason() -> None:
    terms = option_terms(
        spot=100.0, strike=[80.0, 100.0, 100.0, 120.0], years=1.0, is_call=[True, True, False, False]
    )
    result = implied_vol(terms, np.array([19.0, 100.0, 100.0, 20.0]))
    assert result.status.tolist() == [
        IVStatus.BELOW_INTRINSIC,
        IVStatus.ABOVE_MAXIMUM,
        IVStatus.ABOVE_MAXIMUM,
        IVStatus.NO_TIME_VALUE,
    ]
    assert np.all(np.isnan(result.vol))
    assert "intrinsic" in result.reasons()[0]
