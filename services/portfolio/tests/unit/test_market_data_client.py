"""The market-data client's daily closes: decoding, and the raw closes of settled days it keeps so a
long history is fetched once and only its last bars again (against a fake of the gRPC stub)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import grpc
import pytest

from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1 import resources_pb2 as resources
from eqr_platform.protobuf import midnight_pb
from eqr_portfolio.adapters.clients import market_data
from eqr_portfolio.adapters.clients.market_data import SETTLED_CLOSES_TTL_SECONDS, GrpcMarketData
from eqr_portfolio.app.ports import DailyClose

TODAY = date(2025, 3, 14)
DAYS = [TODAY - timedelta(days=n) for n in range(30, -1, -1)]


def day_of(stamp: object) -> date:
    assert hasattr(stamp, "seconds")
    return datetime.fromtimestamp(stamp.seconds, UTC).date()


class FakeStub:
    """Serves ``closes`` (raw) or twice them (adjusted) for the days in a request's range."""

    def __init__(self, closes: dict[str, dict[date, float]]) -> None:
        self.closes = closes
        self.asked: list[tuple[str, date, date, bool]] = []

    async def GetHistory(self, request: pb.GetHistoryRequest, **_: float) -> pb.GetHistoryResponse:
        first, last = day_of(request.start), day_of(request.end)
        self.asked.append((request.symbol, first, last, request.adjusted))
        factor = 2.0 if request.adjusted else 1.0
        bars = [
            resources.Bar(start=midnight_pb(day), close=close * factor)
            for day, close in sorted(self.closes.get(request.symbol, {}).items())
            if first <= day <= last
        ]
        return pb.GetHistoryResponse(symbol=request.symbol, bars=bars)


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


def expected(stub: FakeStub, symbol: str, first: date, last: date) -> list[DailyClose]:
    return [
        DailyClose(d, Decimal(str(c))) for d, c in sorted(stub.closes[symbol].items()) if first <= d <= last
    ]


async def test_closes_are_decoded_exactly_with_their_utc_day() -> None:
    stub = FakeStub({"AAPL": {date(2025, 3, 3): 187.23, date(2025, 3, 4): 0.1 + 0.2}})
    closes = await client(stub, Clock()).daily_closes(
        "AAPL", date(2025, 3, 1), date(2025, 3, 4), adjusted=False
    )
    assert closes == [
        DailyClose(date(2025, 3, 3), Decimal("187.23")),
        DailyClose(date(2025, 3, 4), Decimal("0.30000000000000004")),
    ]


async def test_settled_closes_are_fetched_once_and_the_last_two_days_every_time() -> None:
    stub, clock = FakeStub(closes_of("AAPL")), Clock()
    market = client(stub, clock)
    first = await market.daily_closes("AAPL", DAYS[0], TODAY, adjusted=False)
    assert first == expected(stub, "AAPL", DAYS[0], TODAY)
    stub.closes["AAPL"][TODAY] = 555.5  # the live bar moves
    again = await market.daily_closes("AAPL", DAYS[5], TODAY, adjusted=False)
    assert again == expected(stub, "AAPL", DAYS[5], TODAY)
    assert again[-1] == DailyClose(TODAY, Decimal("555.5"))
    # Kept through the day before yesterday; yesterday and today are asked again.
    assert stub.asked == [("AAPL", DAYS[0], TODAY, False), ("AAPL", TODAY - timedelta(days=1), TODAY, False)]
    # A range inside what is kept is answered without a call.
    inside = await market.daily_closes("AAPL", DAYS[1], DAYS[10], adjusted=False)
    assert inside == expected(stub, "AAPL", DAYS[1], DAYS[10])
    assert len(stub.asked) == 2


async def test_adjusted_closes_are_never_kept() -> None:
    stub = FakeStub(closes_of("AAPL"))
    market = client(stub, Clock())
    for _ in range(2):
        closes = await market.daily_closes("AAPL", DAYS[0], TODAY, adjusted=True)
        assert closes[0] == DailyClose(DAYS[0], Decimal(str(2 * 100.23)))
    assert [asked[1:] for asked in stub.asked] == [(DAYS[0], TODAY, True)] * 2


async def test_an_earlier_start_or_an_expired_series_is_fetched_whole() -> None:
    stub, clock = FakeStub(closes_of("AAPL")), Clock()
    market = client(stub, clock)
    await market.daily_closes("AAPL", DAYS[10], TODAY, adjusted=False)
    earlier = await market.daily_closes("AAPL", DAYS[0], TODAY, adjusted=False)
    assert earlier == expected(stub, "AAPL", DAYS[0], TODAY)
    clock.seconds += SETTLED_CLOSES_TTL_SECONDS
    stub.closes["AAPL"][DAYS[3]] = 1.5  # a correction to a past bar
    corrected = await market.daily_closes("AAPL", DAYS[0], TODAY, adjusted=False)
    assert corrected[3] == DailyClose(DAYS[3], Decimal("1.5"))
    assert [asked[1] for asked in stub.asked] == [DAYS[10], DAYS[0], DAYS[0]]


async def test_the_least_recently_used_series_goes_first_beyond_the_limit(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(market_data, "SETTLED_CLOSES_LIMIT", 60)  # two series of 29 settled days
    stub = FakeStub(closes_of("A", "B", "C"))
    market = client(stub, Clock())
    for symbol in ("A", "B", "A", "C", "A", "B"):
        await market.daily_closes(symbol, DAYS[0], TODAY, adjusted=False)
    whole = [symbol for symbol, first, _, _ in stub.asked if first == DAYS[0]]
    # C pushes out B (A was used since); B coming back pushes out C.
    assert whole == ["A", "B", "C", "B"]
