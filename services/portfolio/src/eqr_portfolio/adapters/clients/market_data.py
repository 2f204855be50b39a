"""The market-data service behind the ``MarketData`` port.

Prices travel as float64 on market-data's wire; ``Decimal(str(x))`` recovers the shortest
decimal that round-trips, which is the price the source quoted (e.g. 187.23, not
187.22999999999998863131622783839702606201171875).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Collection
from datetime import UTC, date
from decimal import Decimal

import grpc

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1 import resources_pb2 as resources
from eqr.market_data.v1.market_data_service_pb2_grpc import MarketDataServiceStub
from eqr_platform.protobuf import midnight_pb
from eqr_portfolio.app.ports import DailyClose, InstrumentFacts, MarketQuote

INSTRUMENT_TTL_SECONDS = 3600.0
"""Names, sectors and industries change rarely; one lookup per symbol per hour is plenty."""


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


class GrpcMarketData:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float = 5.0) -> None:
        self._stub = MarketDataServiceStub(channel)
        self._timeout = timeout
        self._instruments: dict[str, tuple[float, InstrumentFacts | None]] = {}

    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]:
        if not symbols:
            return {}
        response = await self._stub.BatchGetQuotes(
            pb.BatchGetQuotesRequest(symbols=sorted(symbols)), timeout=self._timeout
        )
        return {
            q.symbol: MarketQuote(
                symbol=q.symbol,
                price=_decimal(q.price),
                previous_close=_decimal(q.previous_close),
                as_of=q.timestamp.ToDatetime(tzinfo=UTC),
                stale=q.stale,
            )
            for q in response.quotes
        }

    async def instruments(self, symbols: Collection[str]) -> dict[str, InstrumentFacts]:
        now = time.monotonic()
        missing = [s for s in symbols if s not in self._instruments or self._instruments[s][0] < now]
        for symbol, facts in zip(missing, await asyncio.gather(*map(self._instrument, missing)), strict=True):
            self._instruments[symbol] = (now + INSTRUMENT_TTL_SECONDS, facts)
        return {s: facts for s in symbols if (facts := self._instruments[s][1]) is not None}

    async def _instrument(self, symbol: str) -> InstrumentFacts | None:
        try:
            response = await self._stub.GetInstrument(
                pb.GetInstrumentRequest(symbol=symbol), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None
            raise
        i = response.instrument
        return InstrumentFacts(i.symbol, i.name, i.sector, i.industry, i.currency)

    async def daily_closes(self, symbol: str, start: date, end: date, *, adjusted: bool) -> list[DailyClose]:
        request = pb.GetHistoryRequest(
            symbol=symbol,
            interval=resources.INTERVAL_1D,
            start=midnight_pb(start),
            end=midnight_pb(end),
            adjusted=adjusted,
        )
        try:
            response = await self._stub.GetHistory(request, timeout=self._timeout)
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return []
            raise
        return [
            DailyClose(bar.start.ToDatetime(tzinfo=UTC).date(), _decimal(bar.close)) for bar in response.bars
        ]
