"""OptionsService over a real gRPC server: every RPC once for real, hostile input refused with the
field named in the status details, saved strategies only for their owner's token."""

from __future__ import annotations

import math
import uuid
from collections.abc import Awaitable
from datetime import UTC, datetime, timedelta
from typing import Any

import grpc
import numpy as np
import pytest

from eqr.common.v1 import date_pb2, paging_pb2
from eqr.options.v1 import options_service_pb2 as pb
from eqr.options.v1 import resources_pb2 as res
from eqr.options.v1.options_service_pb2_grpc import OptionsServiceStub
from eqr_platform.grpc import decode_error
from eqr_platform.protobuf import date_pb

Stub = OptionsServiceStub


def hull(**changes: Any) -> res.OptionBatch:
    """Hull's Example 15.6: S=42, K=40, r=10%, T=0.5 (sigma 20%: call 4.76, put 0.81)."""
    fields: dict[str, Any] = {
        "kind": [res.OPTION_KIND_CALL, res.OPTION_KIND_PUT],
        "spot": [42.0],
        "strike": [40.0],
        "years": [0.5],
        "rate": [0.1],
    }
    fields.update(changes)
    return res.OptionBatch(**fields)


async def refused(
    call: Awaitable[Any], code: grpc.StatusCode = grpc.StatusCode.INVALID_ARGUMENT
) -> list[str]:
    """The call's failure with ``code``; returns the fields its violations name."""
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    error = decode_error(caught.value)
    assert error.code == code, error
    return [v.field for v in error.violations]


def auth(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


async def test_price_options_gives_hulls_numbers(options_stub: Stub) -> None:
    reply = await options_stub.PriceOptions(pb.PriceOptionsRequest(batch=hull(), vol=[0.2]))
    assert [round(p, 2) for p in reply.price] == [4.76, 0.81]
    assert len(reply.greeks.delta) == 2  # first order by default
    assert not reply.higher_greeks.vanna
    assert not reply.errors


async def test_a_million_rows_price_in_one_call(options_stub: Stub) -> None:
    rows = 1_000_000
    strike = np.linspace(50.0, 150.0, rows)
    batch = res.OptionBatch(
        kind=[res.OPTION_KIND_CALL],
        spot=np.full(rows, 100.0).tolist(),
        strike=strike.tolist(),
        years=np.full(rows, 0.5).tolist(),
        rate=np.full(rows, 0.03).tolist(),
        dividend_yield=np.full(rows, 0.01).tolist(),
    )
    assert batch.ByteSize() > 32 * 1024 * 1024  # above the platform's default limit
    reply = await options_stub.PriceOptions(
        pb.PriceOptionsRequest(batch=batch, vol=[0.25], greeks=pb.GREEKS_WANTED_FIRST_ORDER), timeout=120
    )
    assert len(reply.price) == len(reply.greeks.theta) == rows
    assert reply.price[0] > reply.price[-1] > 0


async def test_more_rows_than_the_limit_are_refused(options_stub: Stub) -> None:
    batch = hull(spot=np.full(1_000_001, 42.0).tolist(), kind=[res.OPTION_KIND_CALL])
    fields = await refused(
        options_stub.PriceOptions(pb.PriceOptionsRequest(batch=batch, vol=[0.2]), timeout=60)
    )
    assert fields == ["spot"]


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (pb.PriceOptionsRequest(batch=hull(spot=[42.0, 42.0, 42.0]), vol=[0.2]), "kind"),
        (pb.PriceOptionsRequest(batch=hull(spot=[0.0]), vol=[0.2]), "spot"),
        (pb.PriceOptionsRequest(batch=hull(spot=[-1.0]), vol=[0.2]), "spot"),
        (pb.PriceOptionsRequest(batch=hull(strike=[40.0, math.nan]), vol=[0.2]), "strike"),
        (pb.PriceOptionsRequest(batch=hull(), vol=[math.inf]), "vol"),
        (pb.PriceOptionsRequest(batch=hull(), vol=[]), "vol"),
        (
            pb.PriceOptionsRequest(batch=hull(expiry=[date_pb2.Date(year=2030, month=1, day=18)]), vol=[0.2]),
            "expiry",
        ),
        (pb.PriceOptionsRequest(batch=hull(years=[]), vol=[0.2]), "years"),
        (pb.PriceOptionsRequest(batch=hull(kind=[res.OPTION_KIND_UNSPECIFIED]), vol=[0.2]), "kind"),
        (
            pb.PriceOptionsRequest(
                batch=hull(style=res.EXERCISE_STYLE_AMERICAN), vol=[0.2], greeks=pb.GREEKS_WANTED_ALL
            ),
            "greeks",
        ),
    ],
)
async def test_hostile_batches_are_refused_naming_the_field(
    options_stub: Stub, request_: pb.PriceOptionsRequest, field: str
) -> None:
    assert await refused(options_stub.PriceOptions(request_)) == [field]


async def test_implied_vols_round_trip_with_per_row_errors(options_stub: Stub) -> None:
    reply = await options_stub.SolveImpliedVols(
        pb.SolveImpliedVolsRequest(
            batch=hull(kind=[res.OPTION_KIND_CALL] * 3, strike=[40.0, 40.0, 20.0]),
            price=[4.759422392871532, 50.0, 20.0],
        )
    )
    assert reply.vol[0] == pytest.approx(0.2, abs=1e-12)
    assert math.isnan(reply.vol[1])
    assert [(e.row, e.field) for e in reply.errors] == [(1, "price"), (2, "price")]


async def test_exercise_boundary_of_an_american_put(options_stub: Stub) -> None:
    batch = hull(kind=[res.OPTION_KIND_PUT], style=res.EXERCISE_STYLE_AMERICAN)
    reply = await options_stub.GetExerciseBoundary(
        pb.GetExerciseBoundaryRequest(batch=batch, vol=[0.3], points=10)
    )
    (boundary,) = reply.boundaries
    assert len(boundary.years) == len(boundary.spot) == 10
    assert all(0 < s < 40.0 for s in boundary.spot)


async def test_chain_surface_build_and_analysis_of_one_symbol(options_stub: Stub) -> None:
    chain = await options_stub.GetChain(pb.GetChainRequest(symbol="aapl"))
    assert chain.underlying.symbol == "AAPL"
    assert chain.underlying.spot == 190.0
    assert chain.contracts[0].contract_symbol.startswith("AAPL  ")
    first = chain.expiries[0]
    only_first = await options_stub.GetChain(pb.GetChainRequest(symbol="AAPL", expiries=[first]))
    assert {(c.expiry.year, c.expiry.month, c.expiry.day) for c in only_first.contracts} == {
        (first.year, first.month, first.day)
    }
    surface = await options_stub.GetSurface(pb.GetSurfaceRequest(symbol="AAPL"))
    assert len(surface.smiles) >= 10
    assert all(s.rms_error < 0.02 for s in surface.smiles)
    built = await options_stub.BuildStrategy(
        pb.BuildStrategyRequest(
            symbol="AAPL",
            template=res.STRATEGY_TEMPLATE_STRADDLE,
            strikes=[190.0],
            expiries=[first],
            contracts=1,
        )
    )
    assert [leg.kind for leg in built.strategy.legs] == [res.LEG_KIND_CALL, res.LEG_KIND_PUT]
    analysis = (
        await options_stub.AnalyzeStrategy(
            pb.AnalyzeStrategyRequest(strategy=built.strategy, market=built.market)
        )
    ).analysis
    premiums = sum(leg.premium for leg in built.strategy.legs)
    assert analysis.breakevens == pytest.approx([190.0 - premiums, 190.0 + premiums], abs=1e-6)
    assert analysis.profit_unlimited
    assert not analysis.HasField("max_profit")
    assert analysis.max_loss == pytest.approx(-100 * premiums)
    assert len(analysis.scenario_pnl) == len(analysis.spot_shocks) * len(analysis.vol_shocks)


@pytest.mark.parametrize(
    "call",
    [
        lambda stub: stub.GetChain(pb.GetChainRequest(symbol="NOPE")),
        lambda stub: stub.GetSurface(pb.GetSurfaceRequest(symbol="NOPE")),
        lambda stub: stub.BuildStrategy(
            pb.BuildStrategyRequest(symbol="NOPE", template=res.STRATEGY_TEMPLATE_STRADDLE, strikes=[10.0])
        ),
        lambda stub: stub.ValueOptionPositions(
            pb.ValueOptionPositionsRequest(
                positions=[
                    pb.OptionPosition(
                        contract=res.OptionContract(
                            underlying="NOPE",
                            expiry=date_pb2.Date(year=2030, month=1, day=18),
                            strike=10.0,
                            kind=res.OPTION_KIND_CALL,
                        ),
                        quantity=1,
                    )
                ]
            )
        ),
    ],
)
async def test_unknown_underlyings_are_not_found(options_stub: Stub, call: Any) -> None:
    await refused(call(options_stub), grpc.StatusCode.NOT_FOUND)


async def test_option_positions_are_valued_with_position_greeks(options_stub: Stub) -> None:
    chain = await options_stub.GetChain(pb.GetChainRequest(symbol="AAPL"))
    listed = next(c for c in chain.contracts if c.strike == 190.0 and c.kind == res.OPTION_KIND_CALL)
    today = datetime.now(UTC).date()
    reply = await options_stub.ValueOptionPositions(
        pb.ValueOptionPositionsRequest(
            positions=[
                pb.OptionPosition(
                    contract=res.OptionContract(
                        underlying="AAPL", expiry=listed.expiry, strike=190.0, kind=res.OPTION_KIND_CALL
                    ),
                    quantity=-2,
                ),
                pb.OptionPosition(
                    contract=res.OptionContract(
                        underlying="AAPL",
                        expiry=date_pb(today.replace(year=today.year - 1)),
                        strike=150.0,
                        kind=res.OPTION_KIND_CALL,
                        multiplier=10,
                    ),
                    quantity=1,
                ),
            ]
        )
    )
    short_call, expired = reply.valuations
    assert short_call.price_source == res.OPTION_PRICE_SOURCE_CHAIN_MID
    assert short_call.price == pytest.approx((listed.bid + listed.ask) / 2)
    assert short_call.dollar_delta == pytest.approx(short_call.delta * 190.0 * -200)
    assert short_call.contract.multiplier == 100
    assert (expired.price, expired.price_source, expired.expired) == (
        40.0,
        res.OPTION_PRICE_SOURCE_INTRINSIC,
        True,
    )
    assert expired.previous_price == expired.price  # an expired contract's value no longer moves


async def test_saved_strategies_need_a_valid_token(options_stub: Stub, signing_key: Any) -> None:
    save = pb.SaveStrategyRequest(
        symbol="AAPL",
        strategy=res.Strategy(
            name="x", legs=[res.StrategyLeg(kind=res.LEG_KIND_STOCK, quantity=100, premium=190.0)]
        ),
    )
    await refused(options_stub.SaveStrategy(save), grpc.StatusCode.UNAUTHENTICATED)
    expired = signing_key.token(str(uuid.uuid4()), expires_in=-60)
    await refused(options_stub.SaveStrategy(save, metadata=auth(expired)), grpc.StatusCode.UNAUTHENTICATED)
    await refused(
        options_stub.ListSavedStrategies(pb.ListSavedStrategiesRequest(), metadata=auth("not.a.token")),
        grpc.StatusCode.UNAUTHENTICATED,
    )


async def test_saved_strategies_belong_to_their_owner(options_stub: Stub, signing_key: Any) -> None:
    owner, other = auth(signing_key.token(str(uuid.uuid4()))), auth(signing_key.token(str(uuid.uuid4())))
    chain = await options_stub.GetChain(pb.GetChainRequest(symbol="AAPL"))
    built = await options_stub.BuildStrategy(
        pb.BuildStrategyRequest(
            symbol="AAPL",
            template=res.STRATEGY_TEMPLATE_COVERED_CALL,
            strikes=[200.0],
            expiries=[chain.expiries[1]],
        )
    )
    saved = (
        await options_stub.SaveStrategy(
            pb.SaveStrategyRequest(symbol="AAPL", strategy=built.strategy, notes="roll monthly"),
            metadata=owner,
        )
    ).saved
    assert saved.strategy == built.strategy
    got = await options_stub.GetSavedStrategy(pb.GetSavedStrategyRequest(id=saved.id), metadata=owner)
    assert got.saved == saved
    for call in (
        options_stub.GetSavedStrategy(pb.GetSavedStrategyRequest(id=saved.id), metadata=other),
        options_stub.DeleteSavedStrategy(pb.DeleteSavedStrategyRequest(id=saved.id), metadata=other),
        options_stub.SaveStrategy(
            pb.SaveStrategyRequest(id=saved.id, symbol="AAPL", strategy=built.strategy), metadata=other
        ),
    ):
        await refused(call, grpc.StatusCode.NOT_FOUND)
    assert await refused(
        options_stub.GetSavedStrategy(pb.GetSavedStrategyRequest(id="42"), metadata=owner)
    ) == ["id"]
    listed = await options_stub.ListSavedStrategies(
        pb.ListSavedStrategiesRequest(page=paging_pb2.PageRequest(page_size=10)), metadata=owner
    )
    assert [s.id for s in listed.strategies] == [saved.id]
    assert not (
        await options_stub.ListSavedStrategies(pb.ListSavedStrategiesRequest(), metadata=other)
    ).strategies
    await options_stub.DeleteSavedStrategy(pb.DeleteSavedStrategyRequest(id=saved.id), metadata=owner)
    await refused(
        options_stub.GetSavedStrategy(pb.GetSavedStrategyRequest(id=saved.id), metadata=owner),
        grpc.StatusCode.NOT_FOUND,
    )


async def test_a_saved_strategy_with_a_bad_leg_names_it(options_stub: Stub, signing_key: Any) -> None:
    owner = auth(signing_key.token(str(uuid.uuid4())))
    bad = res.Strategy(
        name="bad",
        legs=[res.StrategyLeg(kind=res.LEG_KIND_CALL, quantity=1, strike=-5, expiry_years=0.5, vol=0.2)],
    )
    fields = await refused(
        options_stub.SaveStrategy(pb.SaveStrategyRequest(symbol="AAPL", strategy=bad), metadata=owner)
    )
    assert fields == ["legs[0].strike"]


async def test_a_past_day_is_valued_at_that_days_close(options_stub: Stub) -> None:
    as_of = datetime.now(UTC).date() - timedelta(days=7)
    contract = res.OptionContract(
        underlying="AAPL", expiry=date_pb(as_of - timedelta(days=1)), strike=150.0, kind=res.OPTION_KIND_CALL
    )
    reply = await options_stub.ValueOptionPositions(
        pb.ValueOptionPositionsRequest(
            positions=[pb.OptionPosition(contract=contract, quantity=1)], as_of=date_pb(as_of)
        )
    )
    (valuation,) = reply.valuations
    # The fake's raw closes end the day before ``as_of`` (the expiry day) at 190; its adjusted
    # closes are half those, which a past day's spot must not be read from.
    assert valuation.underlying_price == pytest.approx(190.0)
    # Expired the day before: worth its intrinsic value at that day's close, which stays put.
    assert valuation.price == pytest.approx(40.0)
    assert valuation.previous_price == valuation.price
    assert valuation.expired
    future = date_pb(datetime.now(UTC).date() + timedelta(days=2))
    request = pb.ValueOptionPositionsRequest(
        positions=[pb.OptionPosition(contract=contract, quantity=1)], as_of=future
    )
    assert await refused(options_stub.ValueOptionPositions(request)) == ["as_of"]


@pytest.mark.parametrize(("name", "notes", "field"), [("a\x00b", "", "name"), ("ok", "\u202eevil", "notes")])
async def test_control_characters_in_a_saved_strategy_are_refused_naming_the_field(
    options_stub: Stub, signing_key: Any, name: str, notes: str, field: str
) -> None:
    owner = auth(signing_key.token(str(uuid.uuid4())))
    strategy = res.Strategy(
        name=name, legs=[res.StrategyLeg(kind=res.LEG_KIND_STOCK, quantity=100, premium=190.0)]
    )
    request = pb.SaveStrategyRequest(symbol="AAPL", strategy=strategy, notes=notes)
    assert await refused(options_stub.SaveStrategy(request, metadata=owner)) == [field]
