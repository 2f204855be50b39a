"""The options service behind the ``OptionPricing`` port: one ``ValueOptionPositions`` call
marks every option contract of a valuation.

Premiums travel as float64; a chain mid or an intrinsic value is a price on the tick grid and
``Decimal(str(x))`` recovers it exactly, while a model price is rounded to ``MODEL_PLACES``
decimals (a hundredth of a cent a share), the precision a premium is quoted to.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from decimal import Decimal

import grpc

from eqr.options.v1 import options_service_pb2 as pb
from eqr.options.v1 import resources_pb2 as options_pb
from eqr.options.v1.options_service_pb2_grpc import OptionsServiceStub
from eqr_platform.protobuf import date_pb
from eqr_portfolio.app.ports import OptionMark
from eqr_portfolio.domain.option_contracts import OptionContract, OptionKind
from eqr_portfolio.domain.valuation import PositionGreeks

MODEL_PLACES = 4
_KINDS = {OptionKind.CALL: options_pb.OPTION_KIND_CALL, OptionKind.PUT: options_pb.OPTION_KIND_PUT}
_SOURCES = {
    options_pb.OPTION_PRICE_SOURCE_CHAIN_MID: "chain_mid",
    options_pb.OPTION_PRICE_SOURCE_MODEL: "model",
    options_pb.OPTION_PRICE_SOURCE_INTRINSIC: "intrinsic",
}


def _premium(value: float) -> Decimal:
    return Decimal(str(round(value, MODEL_PLACES)))


def _position(contract: OptionContract, quantity: Decimal) -> pb.OptionPosition:
    return pb.OptionPosition(
        contract=options_pb.OptionContract(
            underlying=contract.underlying,
            expiry=date_pb(contract.expiry),
            strike=float(contract.strike),
            kind=_KINDS[contract.kind],
            multiplier=int(contract.multiplier),
        ),
        quantity=float(quantity),
    )


def _mark(valuation: options_pb.OptionValuation) -> OptionMark:
    price = _premium(valuation.price)
    return OptionMark(
        price=price,
        previous_price=_premium(valuation.previous_price) if valuation.previous_price > 0 else price,
        source=_SOURCES.get(valuation.price_source, "model"),
        underlying_price=valuation.underlying_price,
        implied_vol=valuation.iv,
        greeks=PositionGreeks(
            dollar_delta=valuation.dollar_delta,
            dollar_gamma=valuation.dollar_gamma,
            vega_per_point=valuation.vega_per_point,
            theta_per_day=valuation.theta_per_day,
        ),
    )


class GrpcOptionPricing:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float = 5.0) -> None:
        self._stub = OptionsServiceStub(channel)
        self._timeout = timeout

    async def marks(
        self, positions: Mapping[OptionContract, Decimal], as_of: date | None = None
    ) -> dict[OptionContract, OptionMark]:
        if not positions:
            return {}
        contracts = list(positions)
        request = pb.ValueOptionPositionsRequest(positions=[_position(c, positions[c]) for c in contracts])
        if as_of is not None:
            request.as_of.CopyFrom(date_pb(as_of))
        try:
            response = await self._stub.ValueOptionPositions(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
            return await self._one_by_one(positions, as_of)
        return {c: _mark(v) for c, v in zip(contracts, response.valuations, strict=True)}

    async def _one_by_one(
        self, positions: Mapping[OptionContract, Decimal], as_of: date | None
    ) -> dict[OptionContract, OptionMark]:
        """An unknown underlying fails the whole batch: mark the others without it."""
        marks: dict[OptionContract, OptionMark] = {}
        for contract, quantity in positions.items():
            request = pb.ValueOptionPositionsRequest(positions=[_position(contract, quantity)])
            if as_of is not None:
                request.as_of.CopyFrom(date_pb(as_of))
            try:
                response = await self._stub.ValueOptionPositions(request, timeout=self._timeout)
            except grpc.aio.AioRpcError as err:
                if err.code() == grpc.StatusCode.NOT_FOUND:
                    continue
                raise
            marks[contract] = _mark(response.valuations[0])
        return marks
