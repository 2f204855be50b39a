"""The market-data service behind the ``MarketData`` port.

Prices travel as float64 on market-data's wire; ``Decimal(str(x))`` recovers the shortest
decimal that round-trips, which is the price the source quoted (e.g. 187.23, not
187.22999999999998863131622783839702606201171875).

Closes come from one ``BatchGetDailyCloses`` call for all of a request's symbols, as packed
columns turned straight into numpy arrays. Raw closes of settled days (up to the day before
yesterday) are kept per symbol, so a ten-year performance request asks only for the last few
days of each symbol instead of some 2,500. Back-adjusted closes are never kept, as every new
dividend or split rewrites them. Each answer carries the symbol's history revision, which
market-data moves whenever stored bars of the symbol change: a kept series whose revision
moved is asked for again whole, so new or corrected bars show on the next request. A kept
series is also dropped after ``SETTLED_CLOSES_TTL_SECONDS``.

Latest quotes are kept for ``QUOTE_TTL_SECONDS`` (one tick of the market), and symbols
market-data does not know for ``UNKNOWN_TTL_SECONDS``: valuing a portfolio of hundreds of
holdings several times a second asks market-data once per tick, not once per request.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import grpc
import numpy as np
import numpy.typing as npt

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1.market_data_service_pb2_grpc import MarketDataServiceStub
from eqr_platform.protobuf import date_pb
from eqr_portfolio.app.ports import CloseSeries, ClosesQuery, InstrumentFacts, MarketQuote

QUOTE_TTL_SECONDS = 1.0
"""At most one tick of the market's quotes older than market-data's own."""
UNKNOWN_TTL_SECONDS = 60.0
"""A symbol market-data does not know (an unlisted holding) is asked about again after this."""
QUOTE_CACHE_LIMIT = 100_000
INSTRUMENT_TTL_SECONDS = 3600.0
"""Names, sectors and industries change rarely; one lookup per symbol per hour is plenty."""
SETTLED_CLOSES_TTL_SECONDS = 3600.0
SETTLED_CLOSES_LIMIT = 3_000_000
"""Closes kept at most, 16 bytes each: ten years of some 1,200 symbols in ~48 MB."""
SETTLED_LAG = timedelta(days=2)
"""Bars this close to today (UTC) are always fetched: the current one is live, and the one
before may still be settling around midnight UTC."""
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_ONE_DAY = timedelta(days=1)


def _decimal(value: float) -> Decimal:
    return Decimal(str(value))


def _utc_today() -> date:
    return datetime.now(UTC).date()


def _series(message: pb.DailyCloses) -> CloseSeries:
    return CloseSeries(
        np.array(message.days, dtype=np.int64) + _EPOCH_ORDINAL, np.array(message.closes, dtype=np.float64)
    )


def _empty() -> CloseSeries:
    return CloseSeries(np.zeros(0, np.int64), np.zeros(0, np.float64))


@dataclass(frozen=True)
class _Answer:
    series: CloseSeries
    revision: int


@dataclass(frozen=True)
class _Settled:
    """A symbol's raw closes over ``start``..``through``, as fetched at ``revision``."""

    start: date
    through: date
    ordinals: npt.NDArray[np.int64]
    closes: npt.NDArray[np.float64]
    revision: int
    expires: float

    def between(self, first: date, last: date) -> CloseSeries:
        low, high = np.searchsorted(self.ordinals, [first.toordinal(), last.toordinal() + 1])
        return CloseSeries(self.ordinals[low:high], self.closes[low:high])


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
        self._quotes: dict[str, tuple[float, MarketQuote | None]] = {}
        """Symbol -> (expiry, its latest quote or None when market-data does not know it)."""
        self._settled: dict[str, _Settled] = {}
        """Least recently used first."""
        self._settled_count = 0

    async def quotes(self, symbols: Collection[str]) -> dict[str, MarketQuote]:
        now = self._monotonic()
        missing = sorted(s for s in symbols if s not in self._quotes or self._quotes[s][0] <= now)
        if missing:
            response = await self._stub.BatchGetQuotes(
                pb.BatchGetQuotesRequest(symbols=missing), timeout=self._timeout
            )
            if len(self._quotes) > QUOTE_CACHE_LIMIT:
                self._quotes.clear()
            for q in response.quotes:
                quote = MarketQuote(
                    symbol=q.symbol,
                    price=_decimal(q.price),
                    previous_close=_decimal(q.previous_close),
                    as_of=q.timestamp.ToDatetime(tzinfo=UTC),
                    stale=q.stale,
                )
                self._quotes[q.symbol] = (now + QUOTE_TTL_SECONDS, quote)
            for symbol in response.unknown_symbols:
                self._quotes[symbol] = (now + UNKNOWN_TTL_SECONDS, None)
        kept = {s: self._quotes.get(s) for s in symbols}
        return {s: entry[1] for s, entry in kept.items() if entry and entry[0] > now and entry[1] is not None}

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

    async def close_series(self, queries: Sequence[ClosesQuery]) -> list[CloseSeries]:
        now = self._monotonic()
        kept: list[_Settled | None] = []
        asks: list[ClosesQuery] = []
        for q in queries:
            settled = None if q.adjusted else self._settled.get(q.symbol)
            if settled is not None and (settled.start > q.start or settled.expires <= now):
                self._drop(q.symbol)
                settled = None
            kept.append(settled)
            if settled is None:
                asks.append(q)
            elif q.end > settled.through:
                asks.append(ClosesQuery(q.symbol, max(q.start, settled.through + _ONE_DAY), q.end, False))
        answers = iter(await self._fetch(asks))
        found: list[CloseSeries] = []
        stale: list[int] = []
        for position, (q, settled) in enumerate(zip(queries, kept, strict=True)):
            if settled is None:
                answer = next(answers)
                if not q.adjusted:
                    self._keep(q, answer)
                found.append(answer.series)
                continue
            if q.symbol in self._settled:
                self._settled[q.symbol] = self._settled.pop(q.symbol)  # now the most recently used
            known = settled.between(q.start, q.end)
            if q.end <= settled.through:
                found.append(known)
                continue
            recent = next(answers)
            if recent.revision != settled.revision:
                stale.append(position)
            found.append(
                CloseSeries(
                    np.concatenate([known.ordinals, recent.series.ordinals]),
                    np.concatenate([known.closes, recent.series.closes]),
                )
            )
        if stale:
            for symbol in {queries[p].symbol for p in stale}:
                self._drop(symbol)
            for p, answer in zip(stale, await self._fetch([queries[p] for p in stale]), strict=True):
                self._keep(queries[p], answer)
                found[p] = answer.series
        return found

    def _drop(self, symbol: str) -> None:
        dropped = self._settled.pop(symbol, None)
        if dropped is not None:
            self._settled_count -= len(dropped.closes)

    def _keep(self, query: ClosesQuery, answer: _Answer) -> None:
        through = min(query.end, self._today() - SETTLED_LAG)
        if through < query.start:
            return
        self._drop(query.symbol)
        count = int(np.searchsorted(answer.series.ordinals, through.toordinal() + 1))
        if count > SETTLED_CLOSES_LIMIT:
            return
        while self._settled and self._settled_count + count > SETTLED_CLOSES_LIMIT:
            self._drop(next(iter(self._settled)))
        self._settled[query.symbol] = _Settled(
            query.start,
            through,
            answer.series.ordinals[:count],
            answer.series.closes[:count],
            answer.revision,
            self._monotonic() + SETTLED_CLOSES_TTL_SECONDS,
        )
        self._settled_count += count

    async def _fetch(self, queries: Sequence[ClosesQuery]) -> list[_Answer]:
        """One answer per query, in order; empty for an unknown symbol."""
        if not queries:
            return []
        request = pb.BatchGetDailyClosesRequest(
            queries=[
                pb.DailyClosesQuery(
                    symbol=q.symbol, start=date_pb(q.start), end=date_pb(q.end), adjusted=q.adjusted
                )
                for q in queries
            ]
        )
        response = await self._stub.BatchGetDailyCloses(request, timeout=self._timeout)
        # Series come in query order, leaving out the unknown symbols (market-data upper-cases).
        series = iter(response.series)
        current = next(series, None)
        answers = []
        for q in queries:
            if (
                current is not None
                and current.symbol == q.symbol.strip(" ").upper()
                and current.adjusted == q.adjusted
            ):
                answers.append(_Answer(_series(current), current.revision))
                current = next(series, None)
            else:
                answers.append(_Answer(_empty(), 0))
        return answers
