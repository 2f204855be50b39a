"""Batch use cases: textbook values through the whole batch path, and hostile batches refused
with the field (and row) at fault."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from eqr_options.app.batches import Batch, Limits, Style
from eqr_options.app.pricing import (
    BatchContext,
    GreeksWanted,
    exercise_boundaries,
    price_options,
    solve_implied_vols,
)
from eqr_options.domain.errors import ValidationFailed
from eqr_options.domain.inputs import Model

CONTEXT = BatchContext(today=date(2026, 11, 27), default_rate=0.045, limits=Limits(1_000, 100))


def hull_batch(**changes: object) -> Batch:
    """Hull, Options, Futures and Other Derivatives, Example 15.6: S=42, K=40, r=10%, T=0.5."""
    batch = Batch(
        model=Model.BSM,
        style=Style.EUROPEAN,
        is_call=np.array([True, False]),
        spot=np.array(42.0),
        strike=np.array(40.0),
        years=np.array(0.5),
        expiry=(),
        rate=np.array(0.1),
        dividend_yield=np.array([]),
        dividends=(),
        valuation_date=None,
    )
    return replace(batch, **changes)


def field_of(error: pytest.ExceptionInfo[ValidationFailed]) -> str:
    return error.value.violations[0].field


def test_hulls_worked_example_prices_call_476_and_put_081() -> None:
    priced = price_options(hull_batch(), np.array(0.2), GreeksWanted.FIRST_ORDER, CONTEXT)
    assert priced.price.round(2).tolist() == [4.76, 0.81]
    assert priced.greeks is not None
    assert priced.greeks.delta[0] == pytest.approx(0.7791, abs=1e-4)  # N(d1), d1 = 0.7693
    assert priced.errors == ()
    assert "Black-Scholes-Merton" in priced.method


def test_expiry_dates_count_act_365_from_the_valuation_date() -> None:
    by_date = hull_batch(years=np.array([]), expiry=(date(2027, 7, 1),), valuation_date=date(2026, 12, 31))
    by_years = hull_batch(years=np.array(182 / 365))
    wanted = GreeksWanted.NONE
    assert price_options(by_date, np.array(0.2), wanted, CONTEXT).price.tolist() == pytest.approx(
        price_options(by_years, np.array(0.2), wanted, CONTEXT).price.tolist(), rel=1e-15
    )


def test_a_batch_without_a_rate_takes_the_services_risk_free_rate() -> None:
    no_rate = price_options(hull_batch(rate=np.array([])), np.array(0.2), GreeksWanted.NONE, CONTEXT)
    at_default = price_options(hull_batch(rate=np.array(0.045)), np.array(0.2), GreeksWanted.NONE, CONTEXT)
    assert no_rate.price.tolist() == at_default.price.tolist()


def test_all_greeks_add_the_second_order_for_european_rows() -> None:
    priced = price_options(hull_batch(), np.array(0.2), GreeksWanted.ALL, CONTEXT)
    assert priced.higher is not None
    # Vanna and volga are the same for a call and a put on the same terms (parity is linear in S).
    assert priced.higher.vanna[0] == pytest.approx(priced.higher.vanna[1])
    assert priced.higher.volga[0] == pytest.approx(priced.higher.volga[1])


def test_american_put_matches_hulls_binomial_reference_and_states_its_method() -> None:
    # Hull Example 21.1: S=K=50, r=10%, sigma=40%, T=5 months; the converged price is 4.2842.
    batch = hull_batch(
        style=Style.AMERICAN,
        is_call=np.array(False),
        spot=np.array(50.0),
        strike=np.array(50.0),
        years=np.array(5 / 12),
    )
    priced = price_options(batch, np.array(0.4), GreeksWanted.FIRST_ORDER, CONTEXT)
    assert priced.price[0] == pytest.approx(4.2842, abs=2e-3)
    assert priced.greeks is not None
    assert -1 < priced.greeks.delta[0] < 0
    assert "Andersen-Lake-Offengenden" in priced.method
    assert "finite differences" in priced.method


def test_american_rows_refuse_second_order_greeks_naming_greeks() -> None:
    with pytest.raises(ValidationFailed) as error:
        price_options(hull_batch(style=Style.AMERICAN), np.array(0.2), GreeksWanted.ALL, CONTEXT)
    assert field_of(error) == "greeks"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"expiry": (date(2027, 5, 1),)}, "expiry", "not both"),
        ({"years": np.array([])}, "years", "required"),
        ({"spot": np.array([42.0, 0.0])}, "spot", "row 1"),
        ({"spot": np.array([-42.0, 42.0])}, "spot", "row 0"),
        ({"strike": np.array([40.0, np.nan])}, "strike", "row 1"),
        ({"spot": np.array([42.0, 42.0, 42.0])}, "kind", "has 2 rows where another field has 3"),
        ({"years": np.array([]), "expiry": (date(2026, 11, 27),)}, "expiry", "above 0"),
        ({"is_call": np.array([], dtype=bool)}, "kind", "at least one row"),
        ({"spot": np.full(1_001, 42.0), "is_call": np.array(True)}, "spot", "limit of 1000"),
        ({"model": Model.BLACK76, "dividend_yield": np.array(0.02)}, "dividend_yield", "Black-76"),
        ({"dividends": ((0.1, 0.5),)}, "dividends", "American"),
    ],
)
def test_hostile_batches_name_the_field(changes: dict[str, object], field: str, message: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        price_options(hull_batch(**changes), np.array(0.2), GreeksWanted.FIRST_ORDER, CONTEXT)
    assert field_of(error) == field
    assert message in str(error.value)


@pytest.mark.parametrize("vol", [np.array([0.2, 0.2, 0.2]), np.array(np.nan), np.array(0.0), np.array(11.0)])
def test_bad_volatilities_name_vol(vol: np.ndarray) -> None:
    with pytest.raises(ValidationFailed) as error:
        price_options(hull_batch(), vol, GreeksWanted.NONE, CONTEXT)
    assert field_of(error) == "vol"


def test_american_batches_have_their_own_row_limit() -> None:
    batch = hull_batch(style=Style.AMERICAN, spot=np.full(101, 42.0), is_call=np.array(False))
    with pytest.raises(ValidationFailed) as error:
        price_options(batch, np.array(0.2), GreeksWanted.NONE, CONTEXT)
    assert field_of(error) == "style"


def test_implied_vols_round_trip_and_unsolvable_rows_say_why() -> None:
    batch = hull_batch(is_call=np.array([True, False, True, True]), strike=np.array([40.0, 40.0, 30.0, 40.0]))
    prices = price_options(batch, np.array(0.2), GreeksWanted.NONE, CONTEXT).price
    prices[2] = 11.0  # below a 30-strike call's intrinsic value of 12
    prices[3] = 43.0  # above the spot, the most any call is worth
    solved = solve_implied_vols(batch, prices, CONTEXT)
    assert solved.vol[:2] == pytest.approx([0.2, 0.2], abs=1e-13)
    assert np.isnan(solved.vol[2:]).all()
    assert [(e.row, e.field) for e in solved.errors] == [(2, "price"), (3, "price")]
    assert "intrinsic" in solved.errors[0].reason
    assert "maximum" in solved.errors[1].reason


def test_american_implied_vol_inverts_the_american_price() -> None:
    batch = hull_batch(
        style=Style.AMERICAN,
        is_call=np.array([False, False, True]),
        spot=np.array(50.0),
        strike=np.array([45.0, 50.0, 55.0]),
        years=np.array([0.25, 5 / 12, 1.0]),
        dividend_yield=np.array(0.03),
    )
    vols = np.array([0.15, 0.4, 0.8])
    prices = price_options(batch, vols, GreeksWanted.NONE, CONTEXT).price
    solved = solve_implied_vols(batch, prices, CONTEXT)
    assert solved.vol == pytest.approx(vols, abs=1e-8)
    assert solved.errors == ()


def test_a_negative_price_names_price() -> None:
    with pytest.raises(ValidationFailed) as error:
        solve_implied_vols(hull_batch(), np.array([4.76, -1.0]), CONTEXT)
    assert field_of(error) == "price"


def test_the_exercise_boundary_of_an_american_put_lies_below_the_strike_and_rises_to_it() -> None:
    batch = hull_batch(
        style=Style.AMERICAN, is_call=np.array(False), spot=np.array(50.0), strike=np.array(50.0)
    )
    found = exercise_boundaries(batch, np.array(0.4), 0, CONTEXT)
    assert found.spot.shape == (1, 50)
    assert found.years[0, 0] == 0.0
    assert found.years[0, -1] < 0.5
    assert np.all(found.spot < 50.0)
    assert np.all(np.diff(found.spot[0]) > 0)  # rises towards expiry


@pytest.mark.parametrize(("points", "field"), [(1, "points"), (10_001, "points"), (600, "points")])
def test_boundary_points_are_bounded(points: int, field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        exercise_boundaries(hull_batch(), np.array(0.2), points, CONTEXT)
    assert field_of(error) == field
