"""Option positions: chain mid when listed, model price when not, intrinsic once expired, and
position Greeks exactly as OptionValuation defines them (checked against a closed form here)."""

from __future__ import annotations

import math
from datetime import date

import pytest

from eqr_options.app.dependencies import Dependencies
from eqr_options.app.errors import NotFound
from eqr_options.app.positions import Contract, Position, PriceSource, value_positions
from eqr_options.domain.errors import ValidationFailed


def normal_cdf(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


def bsm(
    spot: float, strike: float, years: float, rate: float, q: float, vol: float, call: bool
) -> tuple[float, float]:
    """(price, delta) from the textbook formula."""
    d1 = (math.log(spot / strike) + (rate - q + 0.5 * vol * vol) * years) / (vol * math.sqrt(years))
    d2 = d1 - vol * math.sqrt(years)
    if call:
        price = spot * math.exp(-q * years) * normal_cdf(d1) - strike * math.exp(-rate * years) * normal_cdf(
            d2
        )
        return price, math.exp(-q * years) * normal_cdf(d1)
    price = strike * math.exp(-rate * years) * normal_cdf(-d2) - spot * math.exp(-q * years) * normal_cdf(-d1)
    return price, -math.exp(-q * years) * normal_cdf(-d1)


async def test_a_listed_contract_is_marked_at_its_chain_mid(deps: Dependencies) -> None:
    quoted = await deps.chains.chain("AAPL")
    row = 10
    expiry, strike = quoted.chain.expiry[row], float(quoted.chain.strike[row])
    (valuation,) = await value_positions(deps, [Position(Contract("aapl", expiry, strike, True, 0), 2)], None)
    assert valuation.source is PriceSource.CHAIN_MID
    assert valuation.price == pytest.approx(0.5 * (quoted.chain.bid[row] + quoted.chain.ask[row]))
    assert valuation.iv == quoted.iv.vol[row]
    assert valuation.position.contract.underlying == "AAPL"
    assert valuation.position.contract.multiplier == 100
    units = 2 * 100
    assert valuation.dollar_delta == pytest.approx(valuation.delta * 190.0 * units)
    assert valuation.dollar_gamma == pytest.approx(0.5 * valuation.gamma * (0.01 * 190.0) ** 2 * units)
    assert not valuation.expired


async def test_an_unlisted_contract_is_priced_by_the_model_at_the_surface_vol(deps: Dependencies) -> None:
    expiry = date(2027, 2, 3)  # a Wednesday: never listed
    (v,) = await value_positions(deps, [Position(Contract("AAPL", expiry, 191.3, False, 100), -3)], None)
    assert v.source is PriceSource.MODEL
    quoted = await deps.chains.chain("AAPL")
    u = quoted.underlying
    years = (expiry - date(2026, 11, 27)).days / 365
    price, delta = bsm(190.0, 191.3, years, u.rate, u.dividend_yield, v.iv, call=False)
    assert v.price == pytest.approx(price, rel=1e-12)
    assert v.delta == pytest.approx(delta, rel=1e-12)
    assert v.dollar_delta == pytest.approx(delta * 190.0 * -300, rel=1e-12)
    # The surface's vol sits between the smiles either side of the expiry.
    smiles = [s.fit for s in quoted.surface().smiles]
    around = [s for s in smiles if abs(s.years - years) < 0.2]
    assert (
        min(float(s.market_vol.min()) for s in around) < v.iv < max(float(s.market_vol.max()) for s in around)
    )
    previous, _ = bsm(188.0, 191.3, years + 1 / 365, u.rate, u.dividend_yield, v.iv, call=False)
    assert v.previous_price == pytest.approx(previous, rel=1e-12)


async def test_an_expired_contract_is_worth_its_intrinsic_value_at_expiry_with_no_greeks(
    deps: Dependencies,
) -> None:
    (itm, otm, saturday) = await value_positions(
        deps,
        [
            Position(Contract("AAPL", date(2026, 11, 20), 150.0, True, 100), 1),
            Position(Contract("AAPL", date(2026, 11, 20), 150.0, False, 100), 1),
            Position(Contract("AAPL", date(2026, 11, 21), 150.0, True, 100), 1),
        ],
        None,
    )
    # At Friday's close of 185, not today's 190: an expired contract's value no longer moves.
    assert (itm.price, itm.previous_price, itm.source, itm.expired) == (
        35.0,
        35.0,
        PriceSource.INTRINSIC,
        True,
    )
    assert saturday.price == 35.0  # the last close on or before its expiry
    assert (otm.price, otm.delta, otm.dollar_gamma, otm.vega_per_point) == (0.0, 0.0, 0.0, 0.0)
    assert math.isnan(itm.iv)


async def test_a_contract_expiring_today_is_worth_its_exercise_value_and_not_yet_expired(
    deps: Dependencies,
) -> None:
    (v,) = await value_positions(
        deps, [Position(Contract("AAPL", date(2026, 11, 27), 180.0, True, 100), 1)], None
    )
    assert (v.price, v.source, v.expired) == (10.0, PriceSource.INTRINSIC, False)


async def test_an_unknown_underlying_is_not_found(deps: Dependencies) -> None:
    with pytest.raises(NotFound):
        await value_positions(deps, [Position(Contract("NOPE", date(2027, 1, 15), 10.0, True, 100), 1)], None)


@pytest.mark.parametrize(
    ("position", "field"),
    [
        (Position(Contract("AAPL", date(2027, 1, 15), -5.0, True, 100), 1), "positions[0].contract.strike"),
        (
            Position(Contract("AAPL", date(2027, 1, 15), math.nan, True, 100), 1),
            "positions[0].contract.strike",
        ),
        (Position(Contract("", date(2027, 1, 15), 10.0, True, 100), 1), "positions[0].contract.underlying"),
        (
            Position(Contract("AAPL", date(2027, 1, 15), 10.0, True, -1), 1),
            "positions[0].contract.multiplier",
        ),
        (Position(Contract("AAPL", date(2027, 1, 15), 10.0, True, 100), math.inf), "positions[0].quantity"),
        (Position(Contract("AAPL", date(2099, 1, 15), 10.0, True, 100), 1), "positions[0].contract.expiry"),
    ],
)
async def test_hostile_positions_name_the_field(deps: Dependencies, position: Position, field: str) -> None:
    with pytest.raises(ValidationFailed) as error:
        await value_positions(deps, [position], None)
    assert error.value.violations[0].field == field


async def test_a_future_valuation_date_and_too_many_positions_are_refused(deps: Dependencies) -> None:
    one = Position(Contract("AAPL", date(2027, 1, 15), 190.0, True, 100), 1)
    with pytest.raises(ValidationFailed) as error:
        await value_positions(deps, [one], date(2026, 11, 28))
    assert error.value.violations[0].field == "as_of"
    with pytest.raises(ValidationFailed) as error:
        await value_positions(deps, [one] * 51, None)
    assert error.value.violations[0].field == "positions"
