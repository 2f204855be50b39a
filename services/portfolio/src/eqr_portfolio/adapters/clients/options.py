"""The options service behind the ``OptionPricing`` port: one ``ValueOptionPositions`` call
marks every option contract of a valuation.

Premiums travel as float64; a chain mid or an intrinsic value is a price on the tick grid and
``Decimal(str(x))`` recovers it exactly, while a model price is rounded to ``MODEL_PLACES``
decimals (a hundredth of a cent a share), the precision a premium is quoted to.
"""

from __future__ import annotations

import logging
import math
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
_REFUSED_ONE = frozenset({grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT})
"""What the service answers for a contract it cannot mark, failing the batch it is in."""
log = logging.getLogger("eqr.portfolio.options")
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


def _mark(valuation: options_pb.OptionValuation) -> OptionMark | None:
    """None when the service sent a figure that is not a number: the contract stays unmarked."""
    figures = (
        valuation.price,
        valuation.previous_price,
        valuation.dollar_delta,
        valuation.dollar_gamma,
        valuation.vega_per_point,
        valuation.theta_per_day,
    )
    if not all(math.isfinite(f) for f in figures):
        return None
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
    """Contracts the service cannot mark (an unknown underlying, terms it refuses, the service
    unreachable) are left out: the valuation holds them at cost, flagged unpriced, rather than
    failing as a whole."""

    def __init__(self, channel: grpc.aio.Channel, *, timeout: float = 5.0) -> None:
        self._stub = OptionsServiceStub(channel)
        self._timeout = timeout

    async def marks(
        self, positions: Mapping[OptionContract, Decimal], as_of: date | None = None
    ) -> dict[OptionContract, OptionMark]:
        if not positions:
            return {}
        try:
            return await self._marks(positions, as_of)
        except grpc.aio.AioRpcError as err:
            if err.code() not in _REFUSED_ONE:
                log.warning("options unavailable (%s): option holdings at cost", err.code().name)
                return {}
        found: dict[OptionContract, OptionMark] = {}
        for contract, quantity in positions.items():  # one refused contract fails a batch
            try:
                found |= await self._marks({contract: quantity}, as_of)
            except grpc.aio.AioRpcError as err:
                if err.code() not in _REFUSED_ONE:
                    raise
                log.warning("options cannot mark %s: %s", contract.symbol, err.details())
        return found

    async def _marks(
        self, positions: Mapping[OptionContract, Decimal], as_of: date | None
    ) -> dict[OptionContract, OptionMark]:
        contracts = list(positions)
        request = pb.ValueOptionPositionsRequest(positions=[_position(c, positions[c]) for c in contracts])
        if as_of is not None:
            request.as_of.CopyFrom(date_pb(as_of))
        response = await self._stub.ValueOptionPositions(request, timeout=self._timeout)
        marked = ((c, _mark(v)) for c, v in zip(contracts, response.valuations, strict=True))
        return {c: m for c, m in marked if m is not None}
