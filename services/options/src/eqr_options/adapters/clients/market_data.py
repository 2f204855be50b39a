"""The market-data service behind the ``MarketData`` port.

Per underlying and day, three calls at once: the live quote (``GetQuote``) unless the day is
past, a year of daily closes adjusted for splits and dividends (``BatchGetDailyCloses``; its
last close is the price of a past day) and the corporate actions (``ListCorporateActions``,
whose cash dividends give the yield). NOT_FOUND from market-data means an unknown symbol.
"""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, date, datetime, time, timedelta

import grpc
import numpy as np

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1 import resources_pb2
from eqr.market_data.v1.market_data_service_pb2_grpc import MarketDataServiceStub
from eqr_options.app.ports import UnderlyingMarket
from eqr_platform.protobuf import date_pb, from_date_pb

LOOKBACK = timedelta(days=366)
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
CLOSE_SOURCE = "daily close"


def _not_found(err: grpc.aio.AioRpcError) -> bool:
    return err.code() == grpc.StatusCode.NOT_FOUND


def _dated(ordinals: np.ndarray, closes: np.ndarray) -> tuple[tuple[date, float], ...]:
    return tuple((date.fromordinal(int(o)), float(c)) for o, c in zip(ordinals, closes, strict=True))


class GrpcMarketData:
    def __init__(self, channel: grpc.aio.Channel, *, timeout: float = 5.0) -> None:
        self._stub = MarketDataServiceStub(channel)
        self._timeout = timeout

    async def underlying(self, symbol: str, day: date, *, live: bool) -> UnderlyingMarket | None:
        try:
            quote, closes, dividends = await asyncio.gather(
                self._quote(symbol) if live else asyncio.sleep(0, None),
                self._closes(symbol, day),
                self._dividends(symbol),
            )
        except grpc.aio.AioRpcError as err:
            if _not_found(err):
                return None
            raise
        if closes is None:
            return None
        days, prices, raw = closes
        if quote is not None:
            if not (math.isfinite(quote.price) and quote.price > 0):
                return None
            completed = days < day.toordinal()  # today's bar, if any, is the live one
            history = prices[completed]
            previous = (
                quote.previous_close
                if quote.previous_close > 0
                else (history[-1] if history.size else quote.price)
            )
            return UnderlyingMarket(
                symbol=quote.symbol or symbol,
                price=quote.price,
                previous_close=float(previous),
                as_of=quote.timestamp.ToDatetime(tzinfo=UTC),
                source=quote.source,
                closes=np.append(history, quote.price),
                dividends=dividends,
                settled_closes=_dated(days[completed], raw[completed]),
            )
        if raw.size == 0 or not (math.isfinite(raw[-1]) and raw[-1] > 0):
            return None
        return UnderlyingMarket(
            symbol=symbol,
            price=float(raw[-1]),
            previous_close=float(raw[-2]) if raw.size > 1 else float(raw[-1]),
            as_of=datetime.combine(date.fromordinal(int(days[-1])), time(), tzinfo=UTC),
            source=CLOSE_SOURCE,
            closes=prices,
            dividends=dividends,
            settled_closes=_dated(days, raw),
        )

    async def _quote(self, symbol: str) -> resources_pb2.Quote:
        response = await self._stub.GetQuote(pb.GetQuoteRequest(symbol=symbol), timeout=self._timeout)
        return response.quote

    async def _closes(self, symbol: str, day: date) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """(ordinals, adjusted closes, raw closes) of the year up to ``day``, in one call; None for
        an unknown symbol. Adjusted closes measure the volatility (a split is no move); a past
        day's spot is its raw close, the price its strikes were listed against."""
        queries = [
            pb.DailyClosesQuery(
                symbol=symbol, start=date_pb(day - LOOKBACK), end=date_pb(day), adjusted=adjusted
            )
            for adjusted in (True, False)
        ]
        response = await self._stub.BatchGetDailyCloses(
            pb.BatchGetDailyClosesRequest(queries=queries), timeout=self._timeout
        )
        if len(response.series) != len(queries):
            return None
        adjusted, raw = response.series
        days = np.array(adjusted.days, dtype=np.int64) + _EPOCH_ORDINAL
        return days, np.array(adjusted.closes, dtype=np.float64), np.array(raw.closes, dtype=np.float64)

    async def _dividends(self, symbol: str) -> tuple[tuple[date, float], ...]:
        try:
            response = await self._stub.ListCorporateActions(
                pb.ListCorporateActionsRequest(symbol=symbol), timeout=self._timeout
            )
        except grpc.aio.AioRpcError as err:
            if _not_found(err):
                return ()
            raise
        return tuple(
            (from_date_pb(a.ex_date), a.dividend)
            for a in response.actions
            if a.kind == "dividend" and a.dividend > 0
        )
