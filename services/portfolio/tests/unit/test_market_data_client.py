"""The market-data client's daily closes: one batch call for every symbol of a request, decoding,
and the raw closes of settled days it keeps so a long history is fetched once and only its last
days again, unless market-data says the symbol's bars changed (against a fake of the gRPC stub)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import grpc
import numpy as np
import pytest

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_platform.protobuf import from_date_pb
from eqr_portfolio.adapters.clients import market_data
from eqr_portfolio.adapters.clients.market_data import SETTLED_CLOSES_TTL_SECONDS, GrpcMarketData
from eqr_portfolio.app.ports import CloseSeries, ClosesQuery

TODAY = date(2025, 3, 14)
DAYS = [TODAY - timedelta(days=n) for n in range(30, -1, -1)]
EPOCH = date(1970, 1, 1)

Asked = tuple[str, date, date, bool]


class FakeStub:
    """Serves ``closes`` (raw) or twice them (adjusted) for the days in each query's range, as
    market-data does: one series per query of a known symbol, the unknown ones named."""

    def __init__(self, closes: dict[str, dict[date, float]]) -> None:
        self.closes = closes
        self.revisions: dict[str, int] = {}
        self.calls: list[list[Asked]] = []

    async def BatchGetDailyCloses(
        self, request: pb.BatchGetDailyClosesRequest, **_: float
    ) -> pb.BatchGetDailyClosesResponse:
        asked = [(q.symbol, from_date_pb(q.start), from_date_pb(q.end), q.adjusted) for q in request.queries]
        self.calls.append(asked)
        response = pb.BatchGetDailyClosesResponse()
        for symbol, first, last, adjusted in asked:
            if symbol not in self.closes:
                response.unknown_symbols.append(symbol)
                continue
            inside = sorted((d, c) for d, c in self.closes[symbol].items() if first <= d <= last)
            response.series.append(
                pb.DailyCloses(
                    symbol=symbol,
                    adjusted=adjusted,
                    days=[(d - EPOCH).days for d, _ in inside],
                    closes=[c * (2.0 if adjusted else 1.0) for _, c in inside],
                    revision=self.revisions.get(symbol, 0),
                )
            )
        return response

    @property
    def asked(self) -> list[Asked]:
        return [query for call in self.calls for query in call]


class Clock:
    def __init__(self) -> None:
        self.seconds = 1000.0

    def __call__(self) -> float:
        return self.seconds


def client(stub: FakeStub, clock: Clock) -> GrpcMarketData:
    market = GrpcMarketData(grpc.aio.insecure_channel("localhost:1"), today=lambda: TODAY, monotonic=clock)
    market._stub = stub  # type: ignore[assignment]
    return market


def closes_of(*symbols: str) -> dict[str, dict[date, float]]:
    return {s: {day: 100.0 + i + 0.23 for i, day in enumerate(DAYS)} for s in symbols}


def as_pairs(series: CloseSeries) -> list[tuple[date, float]]:
    assert series.ordinals.dtype == np.int64
    assert series.closes.dtype == np.float64
    return list(zip(map(date.fromordinal, series.ordinals.tolist()), series.closes.tolist(), strict=True))


def expected(stub: FakeStub, symbol: str, first: date, last: date) -> list[tuple[date, float]]:
    return [(d, c) for d, c in sorted(stub.closes[symbol].items()) if first <= d <= last]


def raw(symbol: str, first: date, last: date = TODAY) -> ClosesQuery:
    return ClosesQuery(symbol, first, last, adjusted=False)


async def test_closes_are_decoded_exactly_with_their_day() -> None:
    stub = FakeStub({"AAPL": {date(2025, 3, 3): 187.23, date(2025, 3, 4): 0.1 + 0.2}})
    [closes] = await client(stub, Clock()).close_series([raw("AAPL", date(2025, 3, 1), date(2025, 3, 4))])
    assert as_pairs(closes) == [(date(2025, 3, 3), 187.23), (date(2025, 3, 4), 0.1 + 0.2)]
    assert Decimal(str(closes.closes[0])) == Decimal("187.23")


async def test_every_symbol_and_the_benchmark_in_one_call_unknown_ones_empty() -> None:
    symbols = [f"S{n:02d}" for n in range(26)]
    stub = FakeStub(closes_of(*symbols, "^GSPC"))
    queries = [raw(s, DAYS[0]) for s in [*symbols[:10], "NOPE", *symbols[10:]]]
    queries.append(ClosesQuery("^GSPC", DAYS[0], TODAY, adjusted=True))
    found = await client(stub, Clock()).close_series(queries)
    assert len(stub.calls) == 1
    assert len(stub.calls[0]) == 28
    assert as_pairs(found[10]) == []
    assert as_pairs(found[0]) == expected(stub, "S00", DAYS[0], TODAY)
    assert as_pairs(found[11]) == expected(stub, "S10", DAYS[0], TODAY)
    assert as_pairs(found[-1]) == [(d, 2 * c) for d, c in expected(stub, "^GSPC", DAYS[0], TODAY)]


async def test_settled_closes_are_fetched_once_and_the_last_two_days_every_time() -> None:
    stub, clock = FakeStub(closes_of("AAPL", "MSFT")), Clock()
    market = client(stub, clock)
    first = await market.close_series([raw("AAPL", DAYS[0]), raw("MSFT", DAYS[0])])
    assert as_pairs(first[0]) == expected(stub, "AAPL", DAYS[0], TODAY)
    stub.closes["AAPL"][TODAY] = 555.5  # the live bar moves
    again = await market.close_series([raw("AAPL", DAYS[5]), raw("MSFT", DAYS[5])])
    assert as_pairs(again[0]) == expected(stub, "AAPL", DAYS[5], TODAY)
    assert as_pairs(again[0])[-1] == (TODAY, 555.5)
    assert as_pairs(again[1]) == expected(stub, "MSFT", DAYS[5], TODAY)
    # Kept through the day before yesterday; yesterday and today are asked again, in one call.
    yesterday = TODAY - timedelta(days=1)
    assert stub.calls[1] == [("AAPL", yesterday, TODAY, False), ("MSFT", yesterday, TODAY, False)]
    # A range inside what is kept is answered without a call.
    [inside] = await market.close_series([raw("AAPL", DAYS[1], DAYS[10])])
    assert as_pairs(inside) == expected(stub, "AAPL", DAYS[1], DAYS[10])
    assert len(stub.calls) == 2


async def test_kept_closes_are_asked_again_whole_once_new_bars_land() -> None:
    stub, clock = FakeStub(closes_of("AAPL", "MSFT")), Clock()
    market = client(stub, clock)
    await market.close_series([raw("AAPL", DAYS[0]), raw("MSFT", DAYS[0])])
    stub.closes["AAPL"][DAYS[3]] = 1.5  # an imported correction of a settled day...
    stub.revisions["AAPL"] = 1  # ...moves the symbol's history revision
    found = await market.close_series([raw("AAPL", DAYS[0]), raw("MSFT", DAYS[0])])
    assert as_pairs(found[0])[3] == (DAYS[3], 1.5)
    assert as_pairs(found[0]) == expected(stub, "AAPL", DAYS[0], TODAY)
    assert stub.calls[2] == [("AAPL", DAYS[0], TODAY, False)]  # only the stale symbol, whole
    # And kept again at the new revision: the next request asks for the recent days only.
    await market.close_series([raw("AAPL", DAYS[0])])
    assert stub.calls[3] == [("AAPL", TODAY - timedelta(days=1), TODAY, False)]


async def test_adjusted_closes_are_never_kept() -> None:
    stub = FakeStub(closes_of("AAPL"))
    market = client(stub, Clock())
    for _ in range(2):
        [closes] = await market.close_series([ClosesQuery("AAPL", DAYS[0], TODAY, adjusted=True)])
        assert as_pairs(closes)[0] == (DAYS[0], 2 * 100.23)
    assert [asked[1:] for asked in stub.asked] == [(DAYS[0], TODAY, True)] * 2


async def test_an_earlier_start_or_an_expired_series_is_fetched_whole() -> None:
    stub, clock = FakeStub(closes_of("AAPL")), Clock()
    market = client(stub, clock)
    await market.close_series([raw("AAPL", DAYS[10])])
    [earlier] = await market.close_series([raw("AAPL", DAYS[0])])
    assert as_pairs(earlier) == expected(stub, "AAPL", DAYS[0], TODAY)
    clock.seconds += SETTLED_CLOSES_TTL_SECONDS
    stub.closes["AAPL"][DAYS[3]] = 1.5  # a correction to a past bar
    [corrected] = await market.close_series([raw("AAPL", DAYS[0])])
    assert as_pairs(corrected)[3] == (DAYS[3], 1.5)
    assert [asked[1] for asked in stub.asked] == [DAYS[10], DAYS[0], DAYS[0]]


async def test_the_least_recently_used_series_goes_first_beyond_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(market_data, "SETTLED_CLOSES_LIMIT", 60)  # two series of 29 settled days
    stub = FakeStub(closes_of("A", "B", "C"))
    market = client(stub, Clock())
    for symbol in ("A", "B", "A", "C", "A", "B"):
        await market.close_series([raw(symbol, DAYS[0])])
    whole = [symbol for symbol, first, _, _ in stub.asked if first == DAYS[0]]
    # C pushes out B (A was used since); B coming back pushes out C.
    assert whole == ["A", "B", "C", "B"]


class QuoteStub:
    """BatchGetQuotes over a price per known symbol; counts the symbols asked per call."""

    def __init__(self, prices: dict[str, float]) -> None:
        self.prices = prices
        self.calls: list[list[str]] = []

    async def BatchGetQuotes(
        self, request: pb.BatchGetQuotesRequest, **_: float
    ) -> pb.BatchGetQuotesResponse:
        self.calls.append(list(request.symbols))
        response = pb.BatchGetQuotesResponse()
        for symbol in request.symbols:
            if symbol in self.prices:
                quote = response.quotes.add(symbol=symbol, price=self.prices[symbol], previous_close=1.0)
                quote.timestamp.GetCurrentTime()
            else:
                response.unknown_symbols.append(symbol)
        return response


async def test_quotes_are_kept_one_tick_and_unknown_symbols_a_minute() -> None:
    stub, clock = QuoteStub({"AAPL": 187.23, "MSFT": 410.5}), Clock()
    market = client(stub, clock)  # type: ignore[arg-type]
    first = await market.quotes(["AAPL", "MSFT", "PVT1"])
    assert {s: q.price for s, q in first.items()} == {"AAPL": Decimal("187.23"), "MSFT": Decimal("410.5")}
    stub.prices["AAPL"] = 188.0
    clock.seconds += market_data.QUOTE_TTL_SECONDS / 2
    assert (await market.quotes(["AAPL", "PVT1"]))["AAPL"].price == Decimal("187.23")
    assert len(stub.calls) == 1, "within a tick, nothing is asked"
    clock.seconds += market_data.QUOTE_TTL_SECONDS
    assert (await market.quotes(["AAPL", "PVT1"]))["AAPL"].price == Decimal("188.0")
    assert stub.calls[-1] == ["AAPL"], "the unknown symbol is not asked again yet"
    clock.seconds += market_data.UNKNOWN_TTL_SECONDS
    await market.quotes(["PVT1"])
    assert stub.calls[-1] == ["PVT1"]
