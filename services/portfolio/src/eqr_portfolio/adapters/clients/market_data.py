"""The market-data service behind the ``MarketData`` port.

Prices travel as float64 on market-data's wire; ``Decimal(str(x))`` recovers the shortest
decimal that round-trips, which is the price the source quoted (e.g. 187.23, not
187.22999999999998863131622783839702606201171875).

Raw daily closes of settled days (up to the day before yesterday) are kept per symbol, so a
ten-year performance request fetches and decodes only the last few bars of each symbol instead
of some 2,500: decoding them is most of the cost of that request. Back-adjusted closes are
never kept, as every new dividend or split rewrites them. A kept series is dropped after
``SETTLED_CLOSES_TTL_SECONDS``, so a correction to a past bar shows within that time.
"""

from __future__ import annotations

import asyncio
import time
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import grpc

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1 import resources_pb2 as resources
from eqr.market_data.v1.market_data_service_pb2_grpc import MarketDataServiceStub
from eqr_platform.protobuf import midnight_pb
from eqr_portfolio.app.ports import DailyClose, InstrumentFacts, MarketQuote

INSTRUMENT_TTL_SECONDS = 3600.0
"""Names, sectors and industries change rarely; one lookup per symbol per hour is plenty."""
SETTLED_CLOSES_TTL_SECONDS = 3600.0
SETTLED_CLOSES_LIMIT = 300_000
"""Closes kept at most, about 230 bytes each: ten years of some 120 symbols in ~70 MB."""
SETTLED_LAG = timedelta(days=2)
"""Bars this close to today (UTC) are always fetched: the current one is live, and the one
before may still be settling around midnight UTC."""
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_SECONDS_PER_DAY = 86_400
_ONE_DAY = timedelta(days=1)


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


def _bar_day(bar: resources.Bar) -> date:
    """The UTC day a daily bar starts on (at 00:00 UTC): plain arithmetic on the seconds, as
    ``Timestamp.ToDatetime`` costs several times more and ten years of bars make thousands."""
    return date.fromordinal(_EPOCH_ORDINAL + bar.start.seconds // _SECONDS_PER_DAY)


def _utc_today() -> date:
    return datetime.now(UTC).date()


def _day_of(close: DailyClose) -> date:
    return close.day


@dataclass(frozen=True)
class _Settled:
    """A symbol's raw closes over ``start``..``through``, as fetched."""

    start: date
    through: date
    closes: list[DailyClose]
    expires: float

    def between(self, first: date, last: date) -> list[DailyClose]:
        low = bisect_left(self.closes, first, key=_day_of)
        return self.closes[low : bisect_right(self.closes, last, key=_day_of)]


class GrpcMarketData:
    def __init__(
        self,
        channel: grpc.aio.Channel,
        *,
        timeout: float = 5.0,
        today: Callable[[], date] = _utc_today,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._stub = MarketDataServiceStub(channel)
        self._timeout = timeout
        self._today = today
        self._monotonic = monotonic
        self._instruments: dict[str, tuple[float, InstrumentFacts | None]] = {}
        self._settled: dict[str, _Settled] = {}
        """Least recently used first."""
        self._settled_count = 0

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
        now = self._monotonic()
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
        if adjusted:
            return await self._fetch_closes(symbol, start, end, adjusted=True)
        kept = self._settled.pop(symbol, None)
        if kept is None or kept.start > start or kept.expires <= self._monotonic():
            if kept is not None:
                self._settled_count -= len(kept.closes)
            closes = await self._fetch_closes(symbol, start, end, adjusted=False)
            self._keep(symbol, start, min(end, self._today() - SETTLED_LAG), closes)
            return closes
        self._settled[symbol] = kept  # now the most recently used
        known = kept.between(start, end)
        if end <= kept.through:
            return known
        recent = max(start, kept.through + _ONE_DAY)
        return known + await self._fetch_closes(symbol, recent, end, adjusted=False)

    def _keep(self, symbol: str, start: date, through: date, closes: list[DailyClose]) -> None:
        if through < start:
            return
        settled = [c for c in closes if c.day <= through]
        if len(settled) > SETTLED_CLOSES_LIMIT:
            return
        while self._settled and self._settled_count + len(settled) > SETTLED_CLOSES_LIMIT:
            evicted = self._settled.pop(next(iter(self._settled)))
            self._settled_count -= len(evicted.closes)
        expires = self._monotonic() + SETTLED_CLOSES_TTL_SECONDS
        self._settled[symbol] = _Settled(start, through, settled, expires)
        self._settled_count += len(settled)

    async def _fetch_closes(self, symbol: str, start: date, end: date, *, adjusted: bool) -> list[DailyClose]:
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
        return [DailyClose(_bar_day(bar), _decimal(bar.close)) for bar in response.bars]
