"""The options client marks what the service can mark and leaves the rest unmarked (valued at
cost) instead of failing a whole valuation (against a fake of the gRPC stub)."""

from __future__ import annotations

import math
from datetime import date
from decimal import Decimal

import grpc
from grpc.aio import AioRpcError, Metadata

from eqr.options.v1 import options_service_pb2 as pb
from eqr.options.v1 import resources_pb2 as options_pb
from eqr_portfolio.adapters.clients.options import GrpcOptionPricing
from eqr_portfolio.domain.option_contracts import OptionContract, option_contract

LISTED = option_contract("AAPL261218C00190000")
UNKNOWN = option_contract("ZZZZ261218C00190000")
ODD = option_contract("MSFT261218P00400000")


def _error(code: grpc.StatusCode) -> AioRpcError:
    return AioRpcError(code, Metadata(), Metadata(), details=code.name)


class FakeStub:
    """Values every position at 4.35 (a NaN for MSFT); a batch naming ZZZZ is NOT_FOUND."""

    def __init__(self, down: bool = False) -> None:
        self.down = down
        self.calls = 0

    async def ValueOptionPositions(
        self, request: pb.ValueOptionPositionsRequest, **_: float
    ) -> pb.ValueOptionPositionsResponse:
        self.calls += 1
        if self.down:
            raise _error(grpc.StatusCode.UNAVAILABLE)
        if any(p.contract.underlying == "ZZZZ" for p in request.positions):
            raise _error(grpc.StatusCode.NOT_FOUND)
        return pb.ValueOptionPositionsResponse(
            valuations=[
                options_pb.OptionValuation(
                    price=math.nan if p.contract.underlying == "MSFT" else 4.35,
                    previous_price=4.0,
                    price_source=options_pb.OPTION_PRICE_SOURCE_CHAIN_MID,
                    dollar_delta=1000.0 * p.quantity,
                )
                for p in request.positions
            ]
        )


def _client(stub: FakeStub) -> GrpcOptionPricing:
    client = GrpcOptionPricing(grpc.aio.insecure_channel("localhost:1"))
    client._stub = stub  # type: ignore[assignment]
    return client


async def test_contracts_are_marked_in_one_call() -> None:
    stub = FakeStub()
    assert LISTED is not None
    marks = await _client(stub).marks({LISTED: Decimal(-2)}, date(2026, 11, 27))
    mark = marks[LISTED]
    assert (mark.price, mark.previous_price, mark.source) == (Decimal("4.35"), Decimal("4.0"), "chain_mid")
    assert mark.greeks.dollar_delta == -2000.0
    assert stub.calls == 1


async def test_a_contract_the_service_refuses_or_cannot_price_is_left_unmarked() -> None:
    held: dict[OptionContract, Decimal] = {c: Decimal(1) for c in (LISTED, UNKNOWN, ODD) if c is not None}
    marks = await _client(FakeStub()).marks(held)
    assert list(marks) == [LISTED]


async def test_the_service_down_leaves_every_contract_unmarked() -> None:
    assert LISTED is not None
    assert await _client(FakeStub(down=True)).marks({LISTED: Decimal(1)}) == {}
