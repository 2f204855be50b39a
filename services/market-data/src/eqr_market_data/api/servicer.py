"""MarketDataService over gRPC: protobuf in, use case, protobuf out. No logic of its own."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from datetime import date
from typing import Any, Literal

import grpc

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1 import market_data_service_pb2_grpc, resources_pb2
from eqr_market_data import wire
from eqr_market_data.app.closes import ClosesQuery, ClosesService
from eqr_market_data.app.history import History
from eqr_market_data.app.service import MarketDataApp
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import Period
from eqr_platform.grpc.context import current_call
from eqr_platform.grpc.errors import ServiceError
from eqr_platform.protobuf import date_pb, from_date_pb, from_timestamp_pb, timestamp_pb

Context = Any
HISTORY_CHUNK = 1000


def _require_admin() -> None:
    claims = current_call().claims
    if claims is None:
        raise ServiceError(grpc.StatusCode.UNAUTHENTICATED, "an access token is required")
    if claims.role != "admin":
        raise ServiceError(grpc.StatusCode.PERMISSION_DENIED, "this needs the admin role")


def _period(raw: str) -> Period:
    try:
        return Period(raw or Period.ANNUAL)
    except ValueError:
        raise InvalidRequest("period", "must be annual or quarterly") from None


def _day(query: pb.DailyClosesQuery, position: int, field: Literal["start", "end"]) -> date | None:
    if not query.HasField(field):
        return None
    try:
        return from_date_pb(getattr(query, field))
    except ValueError:
        raise InvalidRequest(f"queries[{position}].{field}", "is not a date") from None


def _movers(pairs: list[Any]) -> list[resources_pb2.MarketMover]:
    return [wire.mover_to_pb(instrument, quote) for instrument, quote in pairs]


class MarketDataServicer(market_data_service_pb2_grpc.MarketDataServiceServicer):
    def __init__(self, app: MarketDataApp, closes: ClosesService) -> None:
        self._app = app
        self._closes = closes

    async def GetInstrument(
        self, request: pb.GetInstrumentRequest, context: Context
    ) -> pb.GetInstrumentResponse:
        instrument, quote = await self._app.instrument(request.symbol)
        price = quote.price if quote else math.nan
        return pb.GetInstrumentResponse(instrument=wire.instrument_to_pb(instrument, price))

    async def SearchInstruments(
        self, request: pb.SearchInstrumentsRequest, context: Context
    ) -> pb.SearchInstrumentsResponse:
        found = await self._app.search(request.query, request.limit)
        return pb.SearchInstrumentsResponse(instruments=[wire.instrument_to_pb(i, p) for i, p in found])

    async def ListPeers(self, request: pb.ListPeersRequest, context: Context) -> pb.ListPeersResponse:
        peers = await self._app.peers(request.symbol, request.limit)
        return pb.ListPeersResponse(peers=[wire.instrument_to_pb(i, p) for i, p in peers])

    async def GetQuote(self, request: pb.GetQuoteRequest, context: Context) -> pb.GetQuoteResponse:
        return pb.GetQuoteResponse(quote=wire.quote_to_pb(await self._app.quote(request.symbol)))

    async def BatchGetQuotes(
        self, request: pb.BatchGetQuotesRequest, context: Context
    ) -> pb.BatchGetQuotesResponse:
        quotes, unknown = await self._app.quotes(list(request.symbols))
        return pb.BatchGetQuotesResponse(
            quotes=[wire.quote_to_pb(q) for q in quotes], unknown_symbols=unknown
        )

    async def StreamQuotes(
        self, request: pb.StreamQuotesRequest, context: Context
    ) -> AsyncIterator[pb.StreamQuotesResponse]:
        async for quote in self._app.stream_quotes(list(request.symbols)):
            yield pb.StreamQuotesResponse(quote=wire.quote_to_pb(quote))

    async def GetHistory(self, request: pb.GetHistoryRequest, context: Context) -> pb.GetHistoryResponse:
        return wire.history_to_pb(await self._history(request))

    async def StreamHistory(
        self, request: pb.StreamHistoryRequest, context: Context
    ) -> AsyncIterator[pb.StreamHistoryResponse]:
        reply = wire.history_to_pb(await self._history(request))
        for offset in range(0, len(reply.bars), HISTORY_CHUNK):
            yield pb.StreamHistoryResponse(
                bars=reply.bars[offset : offset + HISTORY_CHUNK], source=reply.source
            )

    async def _history(self, request: pb.GetHistoryRequest | pb.StreamHistoryRequest) -> History:
        return await self._app.history(
            request.symbol,
            wire.interval_from_pb(request.interval),
            from_timestamp_pb(request.start) if request.HasField("start") else None,
            from_timestamp_pb(request.end) if request.HasField("end") else None,
            adjusted=request.adjusted,
        )

    async def BatchGetDailyCloses(
        self, request: pb.BatchGetDailyClosesRequest, context: Context
    ) -> pb.BatchGetDailyClosesResponse:
        queries = [
            ClosesQuery(q.symbol, _day(q, i, "start"), _day(q, i, "end"), q.adjusted)
            for i, q in enumerate(request.queries)
        ]
        found, unknown = await self._closes.closes(queries)
        return pb.BatchGetDailyClosesResponse(
            series=[wire.closes_to_pb(closes) for closes in found], unknown_symbols=unknown
        )

    async def ListCorporateActions(
        self, request: pb.ListCorporateActionsRequest, context: Context
    ) -> pb.ListCorporateActionsResponse:
        actions = await self._app.corporate_actions(request.symbol)
        return pb.ListCorporateActionsResponse(actions=[wire.action_to_pb(a) for a in actions])

    async def GetFundamentals(
        self, request: pb.GetFundamentalsRequest, context: Context
    ) -> pb.GetFundamentalsResponse:
        items = await self._app.fundamentals(request.symbol, _period(request.period), request.limit)
        return pb.GetFundamentalsResponse(financials=[wire.financials_to_pb(item) for item in items])

    async def ListNews(self, request: pb.ListNewsRequest, context: Context) -> pb.ListNewsResponse:
        items = await self._app.news(request.symbol or None, request.limit)
        return pb.ListNewsResponse(news=[wire.news_to_pb(item) for item in items])

    async def GetMarketOverview(
        self, request: pb.GetMarketOverviewRequest, context: Context
    ) -> pb.GetMarketOverviewResponse:
        snapshot, status = await self._app.overview()
        return pb.GetMarketOverviewResponse(
            indices=_movers(snapshot.indices),
            sectors=_movers(snapshot.sectors),
            gainers=_movers(snapshot.gainers),
            losers=_movers(snapshot.losers),
            most_active=_movers(snapshot.most_active),
            breadth=wire.breadth_to_pb(snapshot.breadth),
            as_of=timestamp_pb(snapshot.as_of),
            market_status=status,
        )

    async def ListIndices(self, request: pb.ListIndicesRequest, context: Context) -> pb.ListIndicesResponse:
        snapshot, _ = await self._app.overview()
        return pb.ListIndicesResponse(indices=_movers(snapshot.indices))

    async def ListSectors(self, request: pb.ListSectorsRequest, context: Context) -> pb.ListSectorsResponse:
        snapshot, _ = await self._app.overview()
        return pb.ListSectorsResponse(sectors=_movers(snapshot.sectors))

    async def ListMovers(self, request: pb.ListMoversRequest, context: Context) -> pb.ListMoversResponse:
        snapshot = await self._app.movers(request.limit)
        return pb.ListMoversResponse(
            gainers=_movers(snapshot.gainers),
            losers=_movers(snapshot.losers),
            most_active=_movers(snapshot.most_active),
        )

    async def GetMarketSentiment(
        self, request: pb.GetMarketSentimentRequest, context: Context
    ) -> pb.GetMarketSentimentResponse:
        sentiment = await self._app.sentiment()
        return pb.GetMarketSentimentResponse(
            news_sentiment=sentiment.news_sentiment,
            news_count=sentiment.news_count,
            breadth=wire.breadth_to_pb(sentiment.breadth),
            as_of=timestamp_pb(sentiment.as_of),
        )

    async def ImportBars(self, request: pb.ImportBarsRequest, context: Context) -> pb.ImportBarsResponse:
        _require_admin()
        report = await self._app.import_bars(
            request.symbol, request.format, request.content, dry_run=request.dry_run
        )
        return pb.ImportBarsResponse(
            accepted=report.accepted,
            rejected=report.rejected,
            flagged=report.flagged,
            issues=[wire.issue_to_pb(issue) for issue in report.issues],
            first_date=date_pb(report.first_date) if report.first_date else None,
            last_date=date_pb(report.last_date) if report.last_date else None,
        )

    async def GetQualityReport(
        self, request: pb.GetQualityReportRequest, context: Context
    ) -> pb.GetQualityReportResponse:
        _require_admin()
        counts, recent = await self._app.quality_report(request.symbol or None)
        return pb.GetQualityReportResponse(
            counts=[pb.QualityCount(check=c, severity=s.value, count=n) for c, s, n in counts],
            recent=[wire.issue_to_pb(issue) for issue in recent],
        )
