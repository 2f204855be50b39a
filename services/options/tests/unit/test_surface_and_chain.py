"""SVI recovers known parameters; the simulated chain lists real-looking expiries and sane quotes."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import least_squares  # type: ignore[import-untyped]

from eqr_options.domain.chain import Underlying, quote_chain
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.expiries import listed_expiries, strike_increment, strike_ladder, third_friday
from eqr_options.domain.implied_vol import implied_vol
from eqr_options.domain.inputs import option_terms
from eqr_options.domain.svi import SviParams, fit_smile, fit_surface

LARGE_CAP = Underlying("AAPL", 187.3, 0.28, 0.045, 0.005)
AS_OF = date(2026, 11, 27)


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
    a = quote_chain(LARGE_CAP, AS_OF, np.random.default_rng(7))
    b = quote_chain(LARGE_CAP, AS_OF, np.random.default_rng(7))
    assert np.array_equal(a.last, b.last)
    assert np.array_equal(a.volume, b.volume)
    assert 500 < a.strike.size <= 2000
    assert np.all(a.bid <= a.ask)
    assert np.all(a.bid >= 0)
    assert np.all((a.last >= a.bid) & (a.last <= a.ask))
    for prices in (a.bid, a.ask, a.last):  # whole cents, written as a quote shows them
        assert all(len(repr(float(p)).partition(".")[2]) <= 2 for p in prices)
    near = a.years == a.years.min()
    puts, calls = near & ~a.is_call, near & a.is_call
    low_strike_put = a.model_vol[puts][np.argmin(a.strike[puts])]
    high_strike_call = a.model_vol[calls][np.argmax(a.strike[calls])]
    assert low_strike_put > high_strike_call  # the put skew


def _chain_smiles(underlying: Underlying) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """The out-of-the-money quotes' implied vols per expiry, as the surface service fits them."""
    chain = quote_chain(underlying, AS_OF, np.random.default_rng(1))
    terms = option_terms(
        spot=underlying.spot,
        strike=chain.strike,
        years=chain.years,
        rate=underlying.rate,
        dividend_yield=underlying.dividend_yield,
        is_call=chain.is_call,
    )
    solved = implied_vol(terms, chain.mid)
    k = np.log(chain.strike / terms.forward())
    otm = (chain.is_call == (k >= 0)) & solved.ok & (chain.bid > 0)
    smiles = []
    for t in np.unique(chain.years):
        rows = otm & (chain.years == t)
        order = np.argsort(k[rows])
        smiles.append((float(t), k[rows][order], solved.vol[rows][order]))
    return smiles


def _generic_fit_rms(t: float, k: np.ndarray, vol: np.ndarray) -> float:
    """An independent fit under the same constraints: scipy's bounded least squares on raw SVI
    with the minimum variance as a parameter (≥ 0) and Lee's bound as a stiff penalty."""
    target = vol * vol * t

    def variance(x: np.ndarray) -> np.ndarray:
        floor, b, rho, m, sigma = x
        d = k - m
        return np.asarray(floor + b * (rho * d + np.sqrt(d * d + sigma**2) - sigma * np.sqrt(1 - rho**2)))

    def residuals(x: np.ndarray) -> np.ndarray:
        return np.append(variance(x) - target, 1e3 * max(0.0, x[1] * (1 + abs(x[2])) - 2.0))

    start = [float(np.median(target)) * 0.5, 0.1, -0.3, 0.0, 0.1]
    bounds = ([0.0, 0.0, -0.999, -2.0, 1e-4], [1.0, 2.0, 0.999, 2.0, 5.0])
    x = least_squares(residuals, start, bounds=bounds, x_scale="jac").x
    fitted = np.sqrt(np.maximum(variance(x), 0.0) / t)
    return float(np.sqrt(np.mean((fitted - vol) ** 2)))


@pytest.mark.parametrize(
    "underlying",
    [LARGE_CAP, Underlying("SMALL", 12.0, 0.6, 0.03, 0.0), Underlying("INDEX", 950.0, 0.15, 0.05, 0.02)],
)
def test_surface_fit_of_a_chain_is_as_good_as_a_generic_least_squares(underlying: Underlying) -> None:
    smiles = _chain_smiles(underlying)
    surface = fit_surface(smiles)
    assert [s.years for s in surface.smiles] == sorted(t for t, _, _ in smiles)
    for fit, (t, k, vol) in zip(surface.smiles, smiles, strict=True):
        assert fit.rms_error <= _generic_fit_rms(t, k, vol) * 1.001 + 1e-7
        assert fit.butterfly_free
        p = fit.params
        assert p.b * (1 + abs(p.rho)) <= 2.0 + 1e-12
        assert p.a + p.b * p.sigma * np.sqrt(1 - p.rho**2) >= -1e-12


def test_a_surface_fits_each_expiry_as_fit_smile_does() -> None:
    smiles = _chain_smiles(LARGE_CAP)[:4]
    together = fit_surface(smiles)
    for fit, (t, k, vol) in zip(together.smiles, smiles, strict=True):
        alone = fit_smile(k, vol, t)
        assert fit.rms_error == pytest.approx(alone.rms_error, rel=1e-6, abs=1e-12)


@settings(max_examples=40, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    quotes=st.integers(5, 60),
    noise=st.sampled_from([0.0, 0.01, 0.2]),
)
def test_fits_of_noisy_smiles_stay_inside_the_no_arbitrage_bounds(
    seed: int, quotes: int, noise: float
) -> None:
    rng = np.random.default_rng(seed)
    k = np.sort(rng.uniform(-1.5, 1.0, quotes))
    vol = rng.uniform(0.1, 0.6) * np.exp(rng.normal(0.0, noise, quotes)) * (1 - 0.3 * k)
    fit = fit_smile(k, np.abs(vol) + 1e-3, rng.uniform(0.01, 3))
    p = fit.params
    assert np.isfinite([p.a, p.b, p.rho, p.m, p.sigma]).all()
    assert p.b >= 0
    assert abs(p.rho) < 1
    assert p.sigma > 0
    assert p.b * (1 + abs(p.rho)) <= 2.0 + 1e-12
    assert p.a + p.b * p.sigma * np.sqrt(1 - p.rho**2) >= -1e-12  # minimum variance


@pytest.mark.parametrize(
    ("k", "vol", "years", "field"),
    [
        ([0.0, 0.1, np.nan, 0.3, 0.4], [0.2] * 5, 0.5, "log_moneyness"),
        ([0.0, 0.1, 0.2, 0.3, 0.4], [0.2, 0.2, -0.1, 0.2, 0.2], 0.5, "vol"),
        ([0.0, 0.1, 0.2, 0.3], [0.2] * 4, 0.5, "quotes"),
        ([0.0, 0.1, 0.2, 0.3, 0.4], [0.2] * 5, float("nan"), "years"),
    ],
)
def test_hostile_smiles_are_refused_naming_the_field(
    k: list[float], vol: list[float], years: float, field: str
) -> None:
    with pytest.raises(ValidationFailed) as raised:
        fit_smile(np.array(k), np.array(vol), years)
    assert field in str(raised.value)


def test_a_liquid_large_cap_lists_about_two_thousand_contracts() -> None:
    chain = quote_chain(LARGE_CAP, AS_OF, np.random.default_rng(7))
    assert 1900 <= chain.strike.size <= 2000
    assert len(set(chain.expiry)) == len(listed_expiries(AS_OF))  # no expiry cut off
    near = strike_ladder(187.3, 0.28, 30 / 365)
    assert set(np.diff(near)) == {2.5, 5.0}  # half spacing near the money
    assert near[np.argmin(np.abs(near - 187.3))] == 187.5
