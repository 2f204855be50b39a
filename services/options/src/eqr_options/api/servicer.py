"""OptionsService over gRPC: protobuf in, use case, protobuf out. No logic of its own.

The batch RPCs are CPU-bound numpy work and run in a worker thread, so one large batch does
not stall the other calls on the event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any
from uuid import UUID

from eqr.common.v1 import paging_pb2
from eqr.options.v1 import options_service_pb2 as pb
from eqr.options.v1 import options_service_pb2_grpc
from eqr_options import wire
from eqr_options.app import pricing, saved, strategies
from eqr_options.app.chains import listed_rows
from eqr_options.app.dependencies import Dependencies
from eqr_options.app.positions import value_positions
from eqr_options.app.pricing import BatchContext
from eqr_options.app.strategies import AnalysisRequest
from eqr_options.app.symbols import normalise_symbol
from eqr_platform.grpc.context import require_claims

Context = Any


def _caller() -> UUID:
    return wire.uuid_from_pb(require_claims().subject, "authorization")


class OptionsServicer(options_service_pb2_grpc.OptionsServiceServicer):
    def __init__(self, deps: Dependencies) -> None:
        self._deps = deps

    def _batch_context(self) -> BatchContext:
        return BatchContext(self._deps.chains.today(), self._deps.risk_free_rate, self._deps.limits)

    async def PriceOptions(
        self, request: pb.PriceOptionsRequest, context: Context
    ) -> pb.PriceOptionsResponse:
        batch = wire.batch_from_pb(request.batch)
        wanted = wire.greeks_wanted_from_pb(request.greeks)
        vol = wire.column(request.vol)
        return await asyncio.to_thread(
            lambda: wire.priced_to_pb(pricing.price_options(batch, vol, wanted, self._batch_context()))
        )

    async def SolveImpliedVols(
        self, request: pb.SolveImpliedVolsRequest, context: Context
    ) -> pb.SolveImpliedVolsResponse:
        batch = wire.batch_from_pb(request.batch)
        price = wire.column(request.price)
        return await asyncio.to_thread(
            lambda: wire.solved_to_pb(pricing.solve_implied_vols(batch, price, self._batch_context()))
        )

    async def GetExerciseBoundary(
        self, request: pb.GetExerciseBoundaryRequest, context: Context
    ) -> pb.GetExerciseBoundaryResponse:
        batch = wire.batch_from_pb(request.batch)
        vol = wire.column(request.vol)
        return await asyncio.to_thread(
            lambda: wire.boundaries_to_pb(
                pricing.exercise_boundaries(batch, vol, request.points, self._batch_context())
            )
        )

    async def GetChain(self, request: pb.GetChainRequest, context: Context) -> pb.GetChainResponse:
        symbol = normalise_symbol(request.symbol)
        expiries = [wire.day_from_pb(e, "expiries") for e in request.expiries]
        quoted = await self._deps.chains.chain(symbol)
        listed, rows = listed_rows(quoted, expiries)
        return await asyncio.to_thread(wire.chain_to_pb, quoted, listed, rows)

    async def GetSurface(self, request: pb.GetSurfaceRequest, context: Context) -> pb.GetSurfaceResponse:
        quoted, surface = await self._deps.chains.surface(normalise_symbol(request.symbol))
        return wire.surface_to_pb(quoted, surface)

    async def AnalyzeStrategy(
        self, request: pb.AnalyzeStrategyRequest, context: Context
    ) -> pb.AnalyzeStrategyResponse:
        analysis = AnalysisRequest(
            name=request.strategy.name,
            legs=wire.legs_from_pb(request.strategy),
            market=wire.market_from_pb(request.market),
            valuation_date=(
                wire.day_from_pb(request.valuation_date, "valuation_date")
                if request.HasField("valuation_date")
                else self._deps.chains.today()
            ),
            elapsed_years=request.elapsed_years,
            spot_shocks=tuple(request.spot_shocks),
            vol_shocks=tuple(request.vol_shocks),
            diagram_points=request.diagram_points,
        )
        result = await asyncio.to_thread(strategies.analyze, analysis)
        return pb.AnalyzeStrategyResponse(analysis=wire.analysis_to_pb(result))

    async def BuildStrategy(
        self, request: pb.BuildStrategyRequest, context: Context
    ) -> pb.BuildStrategyResponse:
        symbol = normalise_symbol(request.symbol)
        template = wire.template_from_pb(request.template)
        expiries = [wire.day_from_pb(e, "expiries") for e in request.expiries]
        quoted = await self._deps.chains.chain(symbol)
        built = strategies.build(template, list(request.strikes), expiries, request.contracts, quoted)
        return wire.built_to_pb(built)

    async def SaveStrategy(
        self, request: pb.SaveStrategyRequest, context: Context
    ) -> pb.SaveStrategyResponse:
        owner = _caller()
        strategy_id = wire.uuid_from_pb(request.id, "id") if request.id else None
        stored = await saved.save(self._deps, owner, strategy_id, wire.draft_from_pb(request))
        return pb.SaveStrategyResponse(saved=wire.saved_to_pb(stored))

    async def GetSavedStrategy(
        self, request: pb.GetSavedStrategyRequest, context: Context
    ) -> pb.GetSavedStrategyResponse:
        owner = _caller()
        found = await saved.get(self._deps, owner, wire.uuid_from_pb(request.id, "id"))
        return pb.GetSavedStrategyResponse(saved=wire.saved_to_pb(found))

    async def ListSavedStrategies(
        self, request: pb.ListSavedStrategiesRequest, context: Context
    ) -> pb.ListSavedStrategiesResponse:
        owner = _caller()
        page = await saved.list_saved(
            self._deps,
            owner,
            symbol=request.symbol,
            page_size=request.page.page_size,
            page_token=request.page.page_token,
        )
        return pb.ListSavedStrategiesResponse(
            strategies=[wire.saved_to_pb(s) for s in page.strategies],
            page=paging_pb2.PageResponse(next_page_token=page.next_page_token),
        )

    async def DeleteSavedStrategy(
        self, request: pb.DeleteSavedStrategyRequest, context: Context
    ) -> pb.DeleteSavedStrategyResponse:
        owner = _caller()
        await saved.delete(self._deps, owner, wire.uuid_from_pb(request.id, "id"))
        return pb.DeleteSavedStrategyResponse()

    async def ValueOptionPositions(
        self, request: pb.ValueOptionPositionsRequest, context: Context
    ) -> pb.ValueOptionPositionsResponse:
        positions = [wire.position_from_pb(p, i) for i, p in enumerate(request.positions)]
        as_of = wire.day_from_pb(request.as_of, "as_of") if request.HasField("as_of") else None
        valuations = await value_positions(self._deps, positions, as_of)
        return pb.ValueOptionPositionsResponse(valuations=[wire.valuation_to_pb(v) for v in valuations])
