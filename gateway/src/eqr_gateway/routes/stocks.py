"""One stock at a time, or a batch of quotes: /api/v1/stocks.

Symbols are checked here (1-15 of A-Z 0-9 . ^ = -, no "..", upper-cased) before any service
sees them. Quotes come through the Redis quote cache; quotes and history answer with JSON
rendered by ``convert_market`` and sent as bytes, the rest with documents FastAPI validates.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from starlette.exceptions import HTTPException

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_gateway.clients import MarketDataClient, UserMarketData
from eqr_gateway.convert_market import (
    INTERVAL_TO_PB,
    financials_list_doc,
    history_json,
    instrument_doc,
    news_doc,
    quote_batch_json,
    quote_json,
    stock_detail_json,
)
from eqr_gateway.grpc_calls import FieldMap
from eqr_gateway.history_cache import history_cache_key, reaches_today
from eqr_gateway.history_window import history_window
from eqr_gateway.openapi import problem_responses
from eqr_gateway.problems import FieldError, ProblemError, invalid_field, validation_problem
from eqr_gateway.quote_cache import UNKNOWN, Fetch
from eqr_gateway.schemas.market import (
    FinancialsList,
    History,
    HistoryRange,
    InstrumentList,
    Interval,
    NewsList,
    Period,
    Quote,
    QuoteBatch,
    RangeEnd,
    RangeStart,
    StockDetail,
    SymbolPath,
    symbol_problem,
)
from eqr_platform.protobuf import timestamp_pb

router = APIRouter(prefix="/api/v1/stocks", tags=["stocks"])

MAX_BATCH_SYMBOLS = 200
_JSON = "application/json"
_READ_ERRORS = problem_responses(401, 422, 429, 503)
_SYMBOL_ERRORS = problem_responses(401, 404, 422, 429, 503)
_SYMBOL_FIELDS: FieldMap = (("symbol", "path.symbol"), ("", "query."))

Limit = Annotated[int, Query(ge=1, le=50, description="How many, at most.")]


def _quote_fetch(market: MarketDataClient, fields: FieldMap) -> Fetch:
    async def fetch(symbols: list[str]) -> dict[str, bytes]:
        request = pb.BatchGetQuotesRequest(symbols=symbols)
        response = await market.upstream.call(market.stub.BatchGetQuotes, request, fields=fields)
        return {quote.symbol: quote_json(quote) for quote in response.quotes}

    return fetch


def _batch_symbols(values: list[str]) -> list[str]:
    """Comma lists and repeated parameters, flattened, checked, upper-cased, duplicates dropped."""
    symbols = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not symbols:
        raise invalid_field("query.symbols", "give at least one symbol")
    if len(symbols) > MAX_BATCH_SYMBOLS:
        raise invalid_field(
            "query.symbols", f"at most {MAX_BATCH_SYMBOLS} symbols per request, got {len(symbols)}"
        )
    errors = [
        FieldError(field=f"query.symbols[{index}]", message=problem)
        for index, symbol in enumerate(symbols)
        if (problem := symbol_problem(symbol)) is not None
    ]
    if errors:
        raise validation_problem(errors)
    return list(dict.fromkeys(symbol.upper() for symbol in symbols))


@router.get(
    "/search",
    summary="Find instruments by symbol or name",
    description="Prefix and fuzzy matching on symbol and name, best match first.",
    response_model=InstrumentList,
    responses=_READ_ERRORS,
)
async def search(
    market: UserMarketData,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Part of a symbol or a name.")],
    limit: Limit = 10,
) -> dict[str, Any]:
    request = pb.SearchInstrumentsRequest(query=q, limit=limit)
    response = await market.upstream.call(
        market.stub.SearchInstruments, request, fields=(("query", "query.q"), ("", "query."))
    )
    return {"items": [instrument_doc(instrument) for instrument in response.instruments]}


@router.get(
    "/quotes",
    summary="Latest quotes of many symbols",
    description=(
        f"`symbols=AAPL,MSFT` or `symbols=AAPL&symbols=MSFT`, at most {MAX_BATCH_SYMBOLS}. "
        "Symbols that are not known are listed in `unknown_symbols`, not an error. "
        "Served from a cache at most `GATEWAY_QUOTE_CACHE_TTL_MS` (500 ms) old."
    ),
    response_model=QuoteBatch,
    responses=_READ_ERRORS,
)
async def batch_quotes(
    market: UserMarketData,
    symbols: Annotated[
        list[str], Query(description="Comma-separated, repeatable.", examples=[["AAPL,MSFT,^GSPC"]])
    ],
) -> Response:
    wanted = _batch_symbols(symbols)
    fetch = _quote_fetch(market, (("symbols", "query.symbols"), ("", "query.")))
    quotes = await market.quotes.quotes(wanted, fetch)
    known = [quote for quote in quotes if quote != UNKNOWN]
    unknown = [symbol for symbol, quote in zip(wanted, quotes, strict=True) if quote == UNKNOWN]
    return Response(quote_batch_json(known, unknown), media_type=_JSON)


@router.get(
    "/{symbol}",
    summary="An instrument's facts and latest quote",
    response_model=StockDetail,
    responses=_SYMBOL_ERRORS,
)
async def get_stock(symbol: SymbolPath, market: UserMarketData) -> Response:
    instrument_call = market.upstream.call(
        market.stub.GetInstrument, pb.GetInstrumentRequest(symbol=symbol), fields=_SYMBOL_FIELDS
    )
    quote_read = market.quotes.quote(symbol, _quote_fetch(market, (("symbols", "path.symbol"),)))
    response, quote = await asyncio.gather(instrument_call, quote_read)
    return Response(stock_detail_json(response.instrument, quote or None), media_type=_JSON)


@router.get(
    "/{symbol}/quote",
    summary="The latest quote",
    description="Served from a cache at most `GATEWAY_QUOTE_CACHE_TTL_MS` (500 ms) old.",
    response_model=Quote,
    responses=_SYMBOL_ERRORS,
)
async def get_quote(symbol: SymbolPath, market: UserMarketData) -> Response:
    quote = await market.quotes.quote(symbol, _quote_fetch(market, (("symbols", "path.symbol"),)))
    if quote == UNKNOWN:
        raise ProblemError(404, f"unknown symbol '{symbol}'")
    return Response(quote, media_type=_JSON)


@router.get(
    "/{symbol}/history",
    summary="Price history (OHLCV bars)",
    description=(
        "Give `from`/`to` (ISO 8601 dates or date-times, inclusive; a bare `to` date includes "
        "that whole day) or a `range` back from now. Without either: the last year for daily "
        "and longer intervals, the latest session for intraday ones. Intraday bars reach back "
        "7 days (1m) or 30 days (5m, 15m, 1h): a longer `range` is clamped, an earlier `from` "
        "is a 422. `adjusted=true` back-adjusts prices for splits and dividends."
    ),
    response_model=History,
    responses=_SYMBOL_ERRORS,
)
async def get_history(
    symbol: SymbolPath,
    market: UserMarketData,
    interval: Annotated[Interval, Query(description="Bar length.")] = "1d",
    start: Annotated[
        RangeStart | None,
        Query(
            alias="from",
            description="First bar at or after: a date-time (no offset = UTC) or a date (its 00:00 UTC).",
            examples=["2024-01-02", "2024-01-02T14:30:00Z"],
        ),
    ] = None,
    end: Annotated[
        RangeEnd | None,
        Query(
            alias="to",
            description="Last bar at or before: a date-time (no offset = UTC) or a date (that whole day).",
            examples=["2024-12-31", "2024-12-31T21:00:00Z"],
        ),
    ] = None,
    span: Annotated[
        HistoryRange | None, Query(alias="range", description="Back from now, instead of `from`/`to`.")
    ] = None,
    adjusted: Annotated[bool, Query(description="Adjust for splits and dividends.")] = False,
) -> Response:
    now = datetime.now(UTC)
    window = history_window(interval, start, end, span, now)
    request = pb.GetHistoryRequest(symbol=symbol, interval=INTERVAL_TO_PB[interval], adjusted=adjusted)
    if window.start is not None:
        request.start.CopyFrom(timestamp_pb(window.start))
    if window.end is not None:
        request.end.CopyFrom(timestamp_pb(window.end))
    # The service names the REST parameters (from, to, range, interval); its proto names too.
    fields: FieldMap = (
        ("symbol", "path.symbol"),
        ("from", window.start_field),
        ("start", window.start_field),
        ("end", "query.to"),
        ("", "query."),
    )

    async def render() -> bytes:
        response = await market.upstream.call(market.stub.GetHistory, request, fields=fields)
        return history_json(response, interval)

    key = history_cache_key(interval, adjusted, span, start, end)
    body = await market.history.reply(symbol, key, live=reaches_today(window, now), render=render)
    return Response(body, media_type=_JSON)


@router.get(
    "/{symbol}/news",
    summary="News about the instrument",
    response_model=NewsList,
    responses=_SYMBOL_ERRORS,
)
async def get_news(
    symbol: SymbolPath,
    market: UserMarketData,
    limit: Annotated[int, Query(ge=1, le=100, description="How many, at most.")] = 20,
) -> dict[str, Any]:
    request = pb.ListNewsRequest(symbol=symbol, limit=limit)
    response = await market.upstream.call(market.stub.ListNews, request, fields=_SYMBOL_FIELDS)
    return {"items": [news_doc(item) for item in response.news]}


@router.get(
    "/{symbol}/fundamentals",
    summary="Income statement, balance sheet and cash flow by period",
    response_model=FinancialsList,
    responses=_SYMBOL_ERRORS,
)
async def get_fundamentals(
    symbol: SymbolPath,
    market: UserMarketData,
    period: Annotated[Period, Query(description="Annual or quarterly reports.")] = "annual",
    limit: Annotated[int, Query(ge=1, le=40, description="Periods, most recent first.")] = 5,
) -> dict[str, Any]:
    request = pb.GetFundamentalsRequest(symbol=symbol, period=period, limit=limit)
    response = await market.upstream.call(market.stub.GetFundamentals, request, fields=_SYMBOL_FIELDS)
    return financials_list_doc(symbol, period, response)


@router.get(
    "/{symbol}/peers",
    summary="Comparable instruments",
    description="Same industry (then sector), closest in market capitalisation first.",
    response_model=InstrumentList,
    responses=_SYMBOL_ERRORS,
)
async def get_peers(symbol: SymbolPath, market: UserMarketData, limit: Limit = 10) -> dict[str, Any]:
    request = pb.ListPeersRequest(symbol=symbol, limit=limit)
    response = await market.upstream.call(market.stub.ListPeers, request, fields=_SYMBOL_FIELDS)
    return {"items": [instrument_doc(instrument) for instrument in response.peers]}


@router.get("/{rest:path}", include_in_schema=False)
async def nothing_here(rest: str) -> None:
    """Paths no route takes: a first segment that is no symbol ("..", "../etc") is named as one."""
    problem = symbol_problem(rest.split("/", 1)[0])
    if problem is not None:
        raise validation_problem([FieldError(field="path.symbol", message=problem)])
    raise HTTPException(404)
