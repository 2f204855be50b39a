"""What a subscription starts with: the current value of each key, fetched as the caller.

Fetching the current value is also the authorization check: the portfolio service answers
a portfolio's valuation only to someone who may read it, and market-data only for symbols
it knows. A request with any key refused subscribes nothing (the error names the key).
"""

from __future__ import annotations

from collections.abc import Sequence

import grpc

from eqr.market_data.v1 import market_data_service_pb2 as market_pb
from eqr.portfolio.v1 import portfolio_service_pb2 as portfolio_pb
from eqr_gateway.convert_market import quote_json
from eqr_gateway.grpc_calls import Metadata, problem_from_rpc_error
from eqr_gateway.problems import ProblemError
from eqr_gateway.quote_cache import UNKNOWN
from eqr_gateway.resources import Resources
from eqr_gateway.ws.events import market_frame, portfolio_frame, quote_frame
from eqr_gateway.ws.protocol import MARKET_KEY, ProtocolError

Frames = dict[str, str]
"""Key -> the frame of its current value."""


async def quotes(resources: Resources, metadata: Metadata, symbols: Sequence[str]) -> Frames:
    timeout = resources.settings.upstream_timeout_seconds

    async def fetch(missing: list[str]) -> dict[str, bytes]:
        request = market_pb.BatchGetQuotesRequest(symbols=missing)
        response = await resources.market_data.BatchGetQuotes(request, metadata=metadata, timeout=timeout)
        return {quote.symbol: quote_json(quote) for quote in response.quotes}

    try:
        documents = await resources.quotes.quotes(symbols, fetch)
    except grpc.aio.AioRpcError as err:
        raise _unavailable(err, "market-data") from None
    for index, (symbol, document) in enumerate(zip(symbols, documents, strict=True)):
        if document == UNKNOWN:
            raise ProtocolError(
                "unknown_symbol", f"Unknown symbol '{symbol}'.", field=f"data.symbols[{index}]"
            )
    return {symbol: quote_frame(document) for symbol, document in zip(symbols, documents, strict=True)}


async def market(resources: Resources, metadata: Metadata) -> Frames:
    try:
        overview = await resources.market_data.GetMarketOverview(
            market_pb.GetMarketOverviewRequest(),
            metadata=metadata,
            timeout=resources.settings.upstream_timeout_seconds,
        )
    except grpc.aio.AioRpcError as err:
        raise _unavailable(err, "market-data") from None
    return {MARKET_KEY: market_frame(overview)}


async def portfolios(resources: Resources, metadata: Metadata, portfolio_ids: Sequence[str]) -> Frames:
    frames: Frames = {}
    for index, portfolio_id in enumerate(portfolio_ids):
        request = portfolio_pb.GetValuationRequest(portfolio_id=portfolio_id)
        try:
            response = await resources.portfolio.GetValuation(
                request, metadata=metadata, timeout=resources.settings.upstream_timeout_seconds
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.PERMISSION_DENIED):
                # The same answer for "no such portfolio" and "not yours": ids are not probed.
                raise ProtocolError(
                    "not_found",
                    f"No portfolio {portfolio_id} that you may read.",
                    field=f"data.portfolio_ids[{index}]",
                ) from None
            raise _unavailable(err, "portfolio") from None
        frames[portfolio_id] = portfolio_frame(response.valuation)
    return frames


def _unavailable(err: grpc.aio.AioRpcError, service: str) -> ProtocolError:
    problem: ProblemError = problem_from_rpc_error(err, service=service)
    return ProtocolError("unavailable" if problem.status >= 500 else "refused", problem.detail)
