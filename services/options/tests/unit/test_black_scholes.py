"""European prices and Greeks against Hull's and Haug's worked examples, parity, finite
differences and the closed form evaluated independently with scipy's normal CDF."""

from __future__ import annotations

import threading
from math import pi

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.special import ndtr  # type: ignore[import-untyped]

from eqr_options.domain.black_scholes import greeks, higher_greeks, price
from eqr_options.domain.inputs import OptionTerms, option_terms


def one(**kw: object) -> OptionTerms:
    return option_terms(**kw)  # type: ignore[arg-type]


def test_hull_call_and_put_on_a_non_dividend_stock() -> None:
    terms = one(spot=42, strike=40, years=0.5, rate=0.10, is_call=[True, False])
    assert np.round(price(terms, np.array([0.2, 0.2])), 2).tolist() == [4.76, 0.81]


def test_hull_call_and_put_to_four_decimals() -> None:
    terms = one(spot=42, strike=40, years=0.5, rate=0.10, is_call=[True, False])
    assert np.round(price(terms, np.array([0.2, 0.2])), 4).tolist() == [4.7594, 0.8086]


def test_hull_greeks_of_the_20_week_call() -> None:
    g = greeks(one(spot=49, strike=50, years=20 / 52, rate=0.05, is_call=True), np.array([0.2]))
    assert g.price[0] == pytest.approx(2.40, abs=0.005)
    assert g.delta[0] == pytest.approx(0.522, abs=5e-4)
    assert g.gamma[0] == pytest.approx(0.066, abs=5e-4)
    assert g.vega[0] == pytest.approx(12.1, abs=0.05)
    assert g.theta[0] == pytest.approx(-4.31, abs=0.005)
    assert g.theta_per_day[0] == pytest.approx(-4.31 / 365, abs=1e-4)
    assert g.rho[0] == pytest.approx(8.91, abs=0.005)


def test_haug_put_with_a_dividend_yield() -> None:
    terms = one(spot=100, strike=95, years=0.5, rate=0.10, dividend_yield=0.05, is_call=False)
    assert price(terms, np.array([0.2]))[0] == pytest.approx(2.4648, abs=5e-5)


def test_hull_black_76_put_on_futures() -> None:
    terms = one(spot=20, strike=20, years=4 / 12, rate=0.09, is_call=False, model="black76")
    assert price(terms, np.array([0.25]))[0] == pytest.approx(1.12, abs=0.005)


@settings(max_examples=200, deadline=None)
@given(
    spot=st.floats(1, 1000),
    moneyness=st.floats(0.3, 3),
    years=st.floats(1 / 365, 10),
    vol=st.floats(0.01, 3),
    rate=st.floats(-0.05, 0.2),
    dividend=st.floats(0, 0.1),
)
def test_put_call_parity(
    spot: float, moneyness: float, years: float, vol: float, rate: float, dividend: float
) -> None:
    strike = spot * moneyness
    terms = one(
        spot=spot, strike=strike, years=years, rate=rate, dividend_yield=dividend, is_call=[True, False]
    )
    call, put = price(terms, np.array([vol, vol]))
    forward_gap = spot * np.exp(-dividend * years) - strike * np.exp(-rate * years)
    assert call - put == pytest.approx(forward_gap, abs=1e-10 * max(spot, strike))


CASES = [  # spot, strike, years, vol, rate, dividend, call, model
    (100.0, 90.0, 0.75, 0.3, 0.04, 0.02, True, "bsm"),
    (100.0, 115.0, 0.25, 0.45, 0.01, 0.03, False, "bsm"),
    (50.0, 52.0, 2.0, 0.2, 0.06, 0.0, True, "bsm"),
    (80.0, 75.0, 1.5, 0.35, 0.05, 0.0, False, "black76"),
]


def _bumped(case: tuple[object, ...], **changes: float) -> float:
    spot, strike, years, vol, rate, dividend, call, model = case
    values = {"spot": spot, "years": years, "vol": vol, "rate": rate, "dividend": dividend} | changes
    terms = one(
        spot=values["spot"],
        strike=strike,
        years=values["years"],
        rate=values["rate"],
        dividend_yield=values["dividend"],
        is_call=call,
        model=model,
    )
    return float(price(terms, np.array([values["vol"]]))[0])


def _fd(case: tuple[object, ...], name: str, h: float) -> float:
    base = float(case[{"spot": 0, "years": 2, "vol": 3, "rate": 4, "dividend": 5}[name]])  # type: ignore[arg-type]
    return (_bumped(case, **{name: base + h}) - _bumped(case, **{name: base - h})) / (2 * h)


@pytest.mark.parametrize("case", CASES)
def test_first_order_greeks_match_finite_differences(case: tuple[object, ...]) -> None:
    spot, strike, years, vol, rate, dividend, call, model = case
    terms = one(
        spot=spot, strike=strike, years=years, rate=rate, dividend_yield=dividend, is_call=call, model=model
    )
    g = greeks(terms, np.array([vol]))
    h = 1e-4
    assert g.delta[0] == pytest.approx(_fd(case, "spot", h), abs=1e-7)
    gamma = (_bumped(case, spot=spot + 1e-2) - 2 * g.price[0] + _bumped(case, spot=spot - 1e-2)) / 1e-4  # type: ignore[operator]
    assert g.gamma[0] == pytest.approx(gamma, abs=1e-6)
    assert g.vega[0] == pytest.approx(_fd(case, "vol", h), rel=1e-7, abs=1e-6)
    assert g.theta[0] == pytest.approx(-_fd(case, "years", h), rel=1e-7, abs=1e-6)
    assert g.rho[0] == pytest.approx(_fd(case, "rate", h), rel=1e-7, abs=1e-6)
    if model == "bsm":
        assert g.dividend_rho[0] == pytest.approx(_fd(case, "dividend", h), rel=1e-7, abs=1e-6)
    else:
        assert g.rho[0] == pytest.approx(-years * g.price[0], abs=1e-10)  # type: ignore[operator]


@pytest.mark.parametrize("case", CASES)
def test_higher_greeks_match_finite_differences_of_the_first(case: tuple[object, ...]) -> None:
    spot, strike, years, vol, rate, dividend, call, model = case

    def first(**changes: float) -> object:
        values = {"spot": spot, "years": years, "vol": vol} | changes
        terms = one(
            spot=values["spot"],
            strike=strike,
            years=values["years"],
            rate=rate,
            dividend_yield=dividend,
            is_call=call,
            model=model,
        )
        return greeks(terms, np.array([values["vol"]]))

    terms = one(
        spot=spot, strike=strike, years=years, rate=rate, dividend_yield=dividend, is_call=call, model=model
    )
    hg = higher_greeks(terms, np.array([vol]))
    h = 1e-5

    def d(attr: str, name: str, base: float) -> float:
        up, down = first(**{name: base + h}), first(**{name: base - h})
        return float((getattr(up, attr)[0] - getattr(down, attr)[0]) / (2 * h))

    assert hg.vanna[0] == pytest.approx(d("delta", "vol", vol), rel=1e-5, abs=1e-7)  # type: ignore[arg-type]
    assert hg.volga[0] == pytest.approx(d("vega", "vol", vol), rel=1e-5, abs=1e-6)  # type: ignore[arg-type]
    assert hg.charm[0] == pytest.approx(-d("delta", "years", years), rel=1e-5, abs=1e-7)  # type: ignore[arg-type]
    assert hg.speed[0] == pytest.approx(d("gamma", "spot", spot), rel=1e-5, abs=1e-8)  # type: ignore[arg-type]
    assert hg.zomma[0] == pytest.approx(d("gamma", "vol", vol), rel=1e-5, abs=1e-7)  # type: ignore[arg-type]
    assert hg.colour[0] == pytest.approx(-d("gamma", "years", years), rel=1e-5, abs=1e-7)  # type: ignore[arg-type]


def test_blocked_threaded_evaluation_matches_a_row_at_a_time() -> None:
    rng = np.random.default_rng(3)
    n = 20_000  # several blocks, so both workers run
    terms = one(
        spot=100.0,
        strike=rng.uniform(50, 150, n),
        years=rng.uniform(0.01, 3, n),
        rate=0.03,
        dividend_yield=0.01,
        is_call=rng.random(n) < 0.5,
    )
    vol = rng.uniform(0.05, 1, n)
    batch = greeks(terms, vol)
    for i in (0, 8191, 8192, 19_999):
        single = greeks(terms.take(np.array([i])), vol[i : i + 1])
        assert single.price[0] == batch.price[i]
        assert single.theta[0] == batch.theta[i]


def _closed_form(terms: OptionTerms, vol: np.ndarray) -> dict[str, np.ndarray]:
    """The generalised BSM formula and its Greeks, written out plainly with scipy's ndtr."""
    s, k, t, r, q = terms.spot, terms.strike, terms.years, terms.rate, terms.carry_yield
    w = np.where(terms.is_call, 1.0, -1.0)
    d1 = (np.log(s / k) + (r - q + 0.5 * vol * vol) * t) / (vol * np.sqrt(t))
    d2 = d1 - vol * np.sqrt(t)
    spot_leg = w * s * np.exp(-q * t) * ndtr(w * d1)
    strike_leg = w * k * np.exp(-r * t) * ndtr(w * d2)
    density = s * np.exp(-q * t) * np.exp(-0.5 * d1 * d1) / np.sqrt(2 * pi)
    rho, dividend_rho = strike_leg * t, -spot_leg * t
    if terms.model == "black76":
        rho, dividend_rho = rho + dividend_rho, np.zeros_like(rho)
    return {
        "price": spot_leg - strike_leg,
        "delta": spot_leg / s,
        "gamma": density / (s * s * vol * np.sqrt(t)),
        "vega": density * np.sqrt(t),
        "theta": -density * vol / (2 * np.sqrt(t)) + q * spot_leg - r * strike_leg,
        "rho": rho,
        "dividend_rho": dividend_rho,
    }


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), model=st.sampled_from(["bsm", "black76"]))
def test_compiled_kernel_matches_the_closed_form(seed: int, model: str) -> None:
    rng = np.random.default_rng(seed)
    n = 2_000
    spot = rng.uniform(1, 1000, n)
    terms = one(
        spot=spot,
        strike=spot * np.exp(rng.uniform(-1.5, 1.5, n)),
        years=rng.uniform(1 / 365, 10, n),
        rate=rng.uniform(-0.05, 0.2, n),
        dividend_yield=rng.uniform(0, 0.1, n) if model == "bsm" else 0.0,
        is_call=rng.random(n) < 0.5,
        model=model,
    )
    vol = rng.uniform(0.01, 3, n)
    got, expected = greeks(terms, vol), _closed_form(terms, vol)
    # Agreement to 1e-14 of each output's natural size (price and theta subtract two legs, so
    # their rounding is the legs'), and to 1e-12 relative in the far tails, where the two normal
    # CDFs (glibc's erfc, cephes' ndtr) differ by a few ulps and e^{-d1²/2} magnifies the last
    # ulp of d1 by d1²; values below 1e-300 (subnormal, imprecise) count as equal.
    d1 = (np.log(spot / terms.strike) + (terms.rate - terms.carry_yield + 0.5 * vol * vol) * terms.years) / (
        vol * np.sqrt(terms.years)
    )
    dq = np.exp(-terms.carry_yield * terms.years)
    legs = terms.spot * dq + terms.strike * np.exp(-terms.rate * terms.years)
    sizes = {"price": legs, "theta": legs, "rho": legs * terms.years, "dividend_rho": legs * terms.years}
    sizes["delta"] = dq
    for name, reference in expected.items():
        gap = np.abs(getattr(got, name) - reference)
        allowed = (
            1e-14 * sizes.get(name, np.abs(reference))
            + (1e-12 + 1e-15 * d1 * d1) * np.abs(reference)
            + 1e-300
        )
        assert np.all(gap <= allowed), name


def test_concurrent_callers_get_the_same_results() -> None:
    """The compiled kernel runs without the GIL on the shared pool: callers on other threads
    (a gRPC server's) must neither crash it nor see each other's rows."""
    rng = np.random.default_rng(11)
    n = 150_000  # several compiled blocks
    terms = one(spot=100.0, strike=rng.uniform(50, 150, n), years=rng.uniform(0.01, 3, n), is_call=True)
    vol = rng.uniform(0.05, 1, n)
    expected = greeks(terms, vol).price
    results: list[np.ndarray] = []

    def work() -> None:
        results.append(greeks(terms, vol).price)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(np.array_equal(r, expected) for r in results)
