"""The market as a whole: indices, sectors, movers, breadth and sentiment: /api/v1/market."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_gateway.clients import UserMarketData
from eqr_gateway.convert_market import movers_doc, overview_doc, sentiment_doc, top_movers_doc
from eqr_gateway.openapi import problem_responses
from eqr_gateway.schemas.market import MarketMoverList, MarketOverview, MarketSentiment, Movers

router = APIRouter(prefix="/api/v1/market", tags=["market"])

_ERRORS = problem_responses(401, 429, 503)


@router.get(
    "/overview",
    summary="Indices, sectors, movers and breadth in one call",
    description="What the dashboard's market panel shows; `market_status` is the exchange session.",
    response_model=MarketOverview,
    responses=_ERRORS,
)
async def overview(market: UserMarketData) -> dict[str, Any]:
    response = await market.upstream.call(market.stub.GetMarketOverview, pb.GetMarketOverviewRequest())
    return overview_doc(response)


@router.get(
    "/indices",
    summary="The major indices and their latest moves",
    response_model=MarketMoverList,
    responses=_ERRORS,
)
async def indices(market: UserMarketData) -> dict[str, Any]:
    response = await market.upstream.call(market.stub.ListIndices, pb.ListIndicesRequest())
    return {"items": movers_doc(response.indices)}


@router.get(
    "/sectors",
    summary="The 11 GICS sector benchmarks and their latest moves",
    response_model=MarketMoverList,
    responses=_ERRORS,
)
async def sectors(market: UserMarketData) -> dict[str, Any]:
    response = await market.upstream.call(market.stub.ListSectors, pb.ListSectorsRequest())
    return {"items": movers_doc(response.sectors)}


@router.get(
    "/movers",
    summary="Top gainers, losers and most active stocks",
    response_model=Movers,
    responses=problem_responses(401, 422, 429, 503),
)
async def movers(
    market: UserMarketData,
    limit: Annotated[int, Query(ge=1, le=50, description="How many of each, at most.")] = 10,
) -> dict[str, Any]:
    response = await market.upstream.call(
        market.stub.ListMovers, pb.ListMoversRequest(limit=limit), fields=(("", "query."),)
    )
    return top_movers_doc(response)


@router.get(
    "/sentiment",
    summary="News sentiment and market breadth",
    description="Mean headline sentiment of the last 24 hours, advancers/decliners and new highs/lows.",
    response_model=MarketSentiment,
    responses=_ERRORS,
)
async def sentiment(market: UserMarketData) -> dict[str, Any]:
    response = await market.upstream.call(market.stub.GetMarketSentiment, pb.GetMarketSentimentRequest())
    return sentiment_doc(response)
