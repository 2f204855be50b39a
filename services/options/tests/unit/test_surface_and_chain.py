"""SVI recovers known parameters; the simulated chain lists real-looking expiries and sane quotes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from eqr_options.domain.chain import Underlying, quote_chain
from eqr_options.domain.expiries import listed_expiries, strike_increment, third_friday
from eqr_options.domain.svi import SviParams, fit_smile, fit_surface


def test_svi_fit_recovers_known_parameters() -> None:
    known = SviParams(a=0.02, b=0.15, rho=-0.5, m=0.05, sigma=0.2)
    k = np.linspace(-0.6, 0.4, 40)
    fit = fit_smile(k, known.implied_vol(k, 0.5), 0.5)
    got = fit.params
    assert (got.a, got.b, got.rho, got.m, got.sigma) == pytest.approx((0.02, 0.15, -0.5, 0.05, 0.2), abs=1e-7)
    assert fit.rms_error < 1e-10
    assert fit.butterfly_free


def test_surface_reports_calendar_arbitrage() -> None:
    k = np.linspace(-0.4, 0.4, 21)
    near, far = SviParams(0.04, 0.1, -0.3, 0.0, 0.1), SviParams(0.01, 0.1, -0.3, 0.0, 0.1)
    crossed = fit_surface([(0.25, k, near.implied_vol(k, 0.25)), (0.5, k, far.implied_vol(k, 0.5))])
    assert not crossed.calendar_free
    fine = fit_surface([(0.25, k, far.implied_vol(k, 0.25)), (0.5, k, near.implied_vol(k, 0.5))])
    assert fine.calendar_free
    years, atm = fine.term_structure()
    assert years.tolist() == [0.25, 0.5]
    assert np.all(atm > 0)


def test_expiries_are_weeklies_monthlies_and_january_leaps() -> None:
    expiries = listed_expiries(date(2026, 11, 27))
    assert all(e.weekday() == 4 for e in expiries)
    assert expiries[0] == date(2026, 12, 4)
    assert third_friday(2026, 12) == date(2026, 12, 18)
    assert date(2026, 12, 18) in expiries
    assert [e for e in expiries if e.year >= 2028] == [date(2028, 1, 21), date(2029, 1, 19)]
    assert strike_increment(3.0) == 0.5
    assert strike_increment(180.0) == 5.0


def test_chain_is_seeded_and_quotes_are_sane() -> None:
    underlying = Underlying("AAPL", 187.3, 0.28, 0.045, 0.005)
    a = quote_chain(underlying, date(2026, 11, 27), np.random.default_rng(7))
    b = quote_chain(underlying, date(2026, 11, 27), np.random.default_rng(7))
    assert np.array_equal(a.last, b.last)
    assert np.array_equal(a.volume, b.volume)
    assert 500 < a.strike.size <= 2000
    assert np.all(a.bid <= a.ask)
    assert np.all(a.bid >= 0)
    assert np.all((a.last >= a.bid) & (a.last <= a.ask))
    near = a.years == a.years.min()
    puts, calls = near & ~a.is_call, near & a.is_call
    low_strike_put = a.model_vol[puts][np.argmin(a.strike[puts])]
    high_strike_call = a.model_vol[calls][np.argmax(a.strike[calls])]
    assert low_strike_put > high_strike_call  # the put skew
