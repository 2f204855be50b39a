"""The admin and market RPCs of the real market-data service (composition root and all) on real
PostgreSQL, Redis and JetStream, on the simulator: end-of-day imports and the quality report,
the market summaries against the quotes they are computed from, history at every interval,
and the simulated splits as stored.

The service here has an auth service to verify admin tokens (a fake one serving a test key's
JWKS) and ticks every 1.5 s with all of a tick's quotes sent at once, so the market holds still
between ticks long enough to read it consistently.
"""

from __future__ import annotations

import asyncio
import json
import math
import uuid
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Callable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import grpc
import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from google.protobuf.timestamp_pb2 import Timestamp

from eqr.auth.v1 import auth_service_pb2, auth_service_pb2_grpc
from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr.market_data.v1 import market_data_service_pb2_grpc, resources_pb2
from eqr_launcher.ports import free_port
from eqr_market_data import bootstrap
from eqr_market_data.adapters.calendar import NyseCalendar
from eqr_market_data.settings import MarketDataSettings
from eqr_platform.grpc import decode_error
from eqr_platform.protobuf import from_date_pb
from eqr_testing.services import service_in_process

Stub = market_data_service_pb2_grpc.MarketDataServiceStub
Metadata = tuple[tuple[str, str], ...]

NEW_YORK = ZoneInfo("America/New_York")
NYSE = NyseCalendar()
EQUITIES = 150
TICK_SECONDS = 1.5
"""Under the overview cache's 2 s, so the ticker's snapshot is the one every read sees."""
IMPORTED = "MMM"
"""The symbol the import tests write to, on days long before the simulated history."""


# An auth service that only publishes a test key ------------------------------------------


class _Keys:
    def __init__(self) -> None:
        self._key = Ed25519PrivateKey.generate()
        self._kid = f"market-admin-{uuid.uuid4().hex[:8]}"

    def jwks(self) -> str:
        public = json.loads(jwt.algorithms.OKPAlgorithm.to_jwk(self._key.public_key()))
        return json.dumps({"keys": [{**public, "kid": self._kid, "alg": "EdDSA", "use": "sig"}]})

    def bearer(self, role: str) -> Metadata:
        now = datetime.now(UTC)
        claims = {
            "iss": "eqr-auth",
            "aud": "eqr",
            "sub": str(uuid.uuid4()),
            "role": role,
            "scope": "",
            "iat": now - timedelta(seconds=5),
            "nbf": now - timedelta(seconds=5),
            "exp": now + timedelta(minutes=30),
            "jti": uuid.uuid4().hex,
        }
        token = jwt.encode(claims, self._key, algorithm="EdDSA", headers={"kid": self._kid})
        return (("authorization", f"Bearer {token}"),)


class _Auth(auth_service_pb2_grpc.AuthServiceServicer):
    def __init__(self, keys: _Keys) -> None:
        self._keys = keys

    async def GetJwks(
        self, request: auth_service_pb2.GetJwksRequest, context: Any
    ) -> auth_service_pb2.GetJwksResponse:
        return auth_service_pb2.GetJwksResponse(jwks_json=self._keys.jwks())


@pytest.fixture(scope="module")
def keys() -> _Keys:
    return _Keys()


@pytest.fixture(scope="module")
async def auth_addr(keys: _Keys) -> AsyncIterator[str]:
    server = grpc.aio.server()
    auth_service_pb2_grpc.add_AuthServiceServicer_to_server(_Auth(keys), server)
    port = server.add_insecure_port("127.0.0.1:0")
    await server.start()
    yield f"127.0.0.1:{port}"
    await server.stop(None)


@pytest.fixture(scope="module")
async def stub(database_url: str, nats_url: str, redis_url: str, auth_addr: str) -> AsyncIterator[Stub]:
    settings = MarketDataSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "NATS_URL": nats_url,
            "REDIS_URL": redis_url,
            "GRPC_PORT": free_port(),
            "HTTP_PORT": 0,
            "AUTH_ADDR": auth_addr,
            "tick_interval_seconds": TICK_SECONDS,
            "tick_spread": 0.0,
        }
    )
    async with service_in_process(
        lambda stop: bootstrap.run(settings, stop=stop), settings.grpc_port
    ) as channel:
        yield Stub(channel)


@pytest.fixture(scope="module")
def admin(keys: _Keys) -> Metadata:
    return keys.bearer("admin")


def _ts(at: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(at)
    return value


def _at(value: Timestamp) -> datetime:
    return value.ToDatetime(tzinfo=UTC)


def _day(bar: resources_pb2.Bar) -> date:
    return _at(bar.start).date()


def _day_range(first: date, last: date) -> tuple[Timestamp, Timestamp]:
    return _ts(datetime.combine(first, time(), UTC)), _ts(datetime.combine(last, time(23, 59), UTC))


def _quality_counts(report: pb.GetQualityReportResponse) -> Counter[tuple[str, str]]:
    return Counter({(c.check, c.severity): c.count for c in report.counts})


def _consistent(bar: resources_pb2.Bar) -> bool:
    return 0 < bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high and bar.volume >= 0


# Admin: end-of-day imports and the quality report -----------------------------------------

# Lines 2, 3, 7 and 8 are good (7 with no volume, which is flagged); 4, 5, 6 and 9 are not: a
# negative price, a high below the low, a close that is not a number, and a second bar for a
# day already in the file (the first one wins).
CSV = b"""Date,Open,High,Low,Close,Volume
2005-03-01,50.00,51.00,49.50,50.50,100000
2005-03-02,50.50,51.20,50.10,51.00,120000
2005-03-03,-51.00,51.50,50.50,51.20,90000
2005-03-04,51.20,50.00,52.00,51.50,80000
2005-03-07,51.50,52.00,51.00,oops,70000
2005-03-08,51.60,52.40,51.40,52.10,0
2005-03-09,52.10,52.80,51.90,52.60,110000
2005-03-09,52.00,52.00,52.00,52.00,1
"""
GOOD = {
    date(2005, 3, 1): (50.00, 51.00, 49.50, 50.50, 100000),
    date(2005, 3, 2): (50.50, 51.20, 50.10, 51.00, 120000),
    date(2005, 3, 8): (51.60, 52.40, 51.40, 52.10, 0),
    date(2005, 3, 9): (52.10, 52.80, 51.90, 52.60, 110000),
}
REJECTED = {4: "open", 5: "high", 6: "close", 9: ""}


async def _imported_history(stub: Stub) -> list[resources_pb2.Bar]:
    start, end = _day_range(date(2005, 2, 28), date(2005, 3, 11))
    history = await stub.GetHistory(
        pb.GetHistoryRequest(symbol=IMPORTED, interval=resources_pb2.INTERVAL_1D, start=start, end=end)
    )
    return list(history.bars)


async def test_the_admin_rpcs_need_an_admin_token(stub: Stub, keys: _Keys) -> None:
    stored = await _imported_history(stub)
    calls: list[Callable[[Metadata], Any]] = [
        lambda md: stub.ImportBars(
            pb.ImportBarsRequest(symbol=IMPORTED, format="csv", content=CSV, dry_run=True), metadata=md
        ),
        lambda md: stub.GetQualityReport(pb.GetQualityReportRequest(symbol=IMPORTED), metadata=md),
    ]
    for call in calls:
        for metadata, code in (
            ((), grpc.StatusCode.UNAUTHENTICATED),
            ((("authorization", "Bearer not-a-token"),), grpc.StatusCode.UNAUTHENTICATED),
            (keys.bearer("analyst"), grpc.StatusCode.PERMISSION_DENIED),
        ):
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await call(metadata)
            assert refused.value.code() == code
    assert await _imported_history(stub) == stored


async def test_an_import_stores_the_good_rows_reports_the_bad_ones_and_the_report_counts_them(
    stub: Stub, admin: Metadata
) -> None:
    quality = pb.GetQualityReportRequest(symbol=IMPORTED)
    before = _quality_counts(await stub.GetQualityReport(quality, metadata=admin))

    request = pb.ImportBarsRequest(symbol=IMPORTED.lower(), format="csv", content=CSV, dry_run=True)
    dry = await stub.ImportBars(request, metadata=admin)
    assert (dry.accepted, dry.rejected) == (4, 4)
    rejected = {i.line: i for i in dry.issues if i.severity == "rejected"}
    assert set(rejected) == set(REJECTED)
    for line, field in REJECTED.items():
        if field:
            assert rejected[line].field == field, line
        assert rejected[line].message
    flagged = [i for i in dry.issues if i.severity == "flagged"]
    assert dry.flagged == len(flagged)
    assert 7 in {i.line for i in flagged}  # no volume
    assert (from_date_pb(dry.first_date), from_date_pb(dry.last_date)) == (date(2005, 3, 1), date(2005, 3, 9))
    # A dry run stores nothing: no bars, no findings.
    assert await _imported_history(stub) == []
    assert _quality_counts(await stub.GetQualityReport(quality, metadata=admin)) == before

    done = await stub.ImportBars(
        pb.ImportBarsRequest(symbol=IMPORTED, format="csv", content=CSV, dry_run=False), metadata=admin
    )
    assert (done.accepted, done.rejected, done.flagged) == (dry.accepted, dry.rejected, dry.flagged)
    assert [(i.line, i.field, i.severity) for i in done.issues] == [
        (i.line, i.field, i.severity) for i in dry.issues
    ]

    # Exactly the good rows are stored, as the file gave them; none of the bad ones.
    stored = await _imported_history(stub)
    assert {_day(bar): (bar.open, bar.high, bar.low, bar.close, bar.volume) for bar in stored} == GOOD
    assert [_day(bar) for bar in stored] == sorted(GOOD)

    # Every finding of the import is counted in the report, by check and severity.
    report = await stub.GetQualityReport(quality, metadata=admin)
    added = _quality_counts(report) - before
    assert sum(added.values()) == len(done.issues)
    assert sum(n for (_, severity), n in added.items() if severity == "rejected") == len(
        [i for i in done.issues if i.severity == "rejected"]
    )
    assert sum(n for (_, severity), n in added.items() if severity == "flagged") == done.flagged
    assert {(check, severity) for check, severity in added} >= {
        ("non_positive_price", "rejected"),
        ("high_below_low", "rejected"),
        ("non_numeric", "rejected"),
        ("duplicate_bar", "rejected"),
        ("zero_volume", "flagged"),
        ("calendar_gap", "flagged"),  # the sessions whose rows were rejected
    }
    assert {i.line for i in report.recent} >= set(REJECTED)
    everyone = _quality_counts(await stub.GetQualityReport(pb.GetQualityReportRequest(), metadata=admin))
    assert all(everyone[key] >= count for key, count in _quality_counts(report).items())


async def test_a_stooq_bulk_file_gives_only_its_symbols_daily_rows(stub: Stub, admin: Metadata) -> None:
    content = (
        "<TICKER>,<PER>,<DATE>,<TIME>,<OPEN>,<HIGH>,<LOW>,<CLOSE>,<VOL>,<OPENINT>\n"
        f"{IMPORTED}.US,D,20050401,000000,60.0,61.0,59.5,60.5,100000,0\n"
        f"{IMPORTED}.US,W,20050404,000000,60.5,62.0,60.0,61.5,500000,0\n"
        "AAPL.US,D,20050404,000000,40.0,41.0,39.0,40.5,900000,0\n"
        f"{IMPORTED}.US,D,20050404,000000,60.5,61.2,60.1,61.0,120000,0\n"
    ).encode()
    report = await stub.ImportBars(
        pb.ImportBarsRequest(symbol=IMPORTED, format="stooq", content=content, dry_run=True), metadata=admin
    )
    assert (report.accepted, report.rejected) == (2, 2)
    assert sorted((i.line, i.field) for i in report.issues if i.severity == "rejected") == [
        (3, "per"),
        (4, "ticker"),
    ]
    assert (from_date_pb(report.first_date), from_date_pb(report.last_date)) == (
        date(2005, 4, 1),
        date(2005, 4, 4),
    )


@pytest.mark.parametrize(
    ("symbol", "file_format", "content", "code", "field"),
    [
        (IMPORTED, "csv", b"", grpc.StatusCode.INVALID_ARGUMENT, "content"),
        (IMPORTED, "csv", b"when,what\n2005-01-03,1\n", grpc.StatusCode.INVALID_ARGUMENT, "content"),
        (IMPORTED, "csv", b"\xff\xfe\x00", grpc.StatusCode.INVALID_ARGUMENT, "content"),
        (IMPORTED, "xlsx", CSV, grpc.StatusCode.INVALID_ARGUMENT, "format"),
        ("../etc", "csv", CSV, grpc.StatusCode.INVALID_ARGUMENT, "symbol"),
        ("NOPE", "csv", CSV, grpc.StatusCode.NOT_FOUND, None),
    ],
)
async def test_an_unreadable_import_is_refused_naming_the_field(
    stub: Stub,
    admin: Metadata,
    symbol: str,
    file_format: str,
    content: bytes,
    code: grpc.StatusCode,
    field: str | None,
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.ImportBars(
            pb.ImportBarsRequest(symbol=symbol, format=file_format, content=content, dry_run=False),
            metadata=admin,
        )
    error = decode_error(refused.value)
    assert error.code == code
    if field is not None:
        assert [v.field for v in error.violations] == [field]


# Market summaries against the quotes ------------------------------------------------------


def _check_quote(quote: resources_pb2.Quote) -> None:
    assert quote.price > 0, quote.symbol
    assert quote.previous_close > 0, quote.symbol
    assert quote.source == "simulated"
    assert quote.change == pytest.approx(quote.price - quote.previous_close, abs=1e-9)
    assert quote.change_percent == pytest.approx(100 * quote.change / quote.previous_close, abs=1e-9)
    assert quote.low <= quote.price <= quote.high


async def test_indices_and_sectors_are_the_benchmarks_with_their_quotes(stub: Stub) -> None:
    indices = (await stub.ListIndices(pb.ListIndicesRequest())).indices
    assert {m.instrument.symbol for m in indices} == {"^GSPC", "^DJI", "^IXIC", "^RUT"}
    for mover in indices:
        assert mover.instrument.asset_class == resources_pb2.ASSET_CLASS_INDEX
        assert mover.quote.symbol == mover.instrument.symbol
        _check_quote(mover.quote)
    levels = {m.instrument.symbol: m.quote.price for m in indices}
    assert 1_000 < levels["^GSPC"] < 20_000  # the S&P 500 near its real level

    sectors = (await stub.ListSectors(pb.ListSectorsRequest())).sectors
    assert {m.instrument.symbol for m in sectors} == {
        "XLK",
        "XLF",
        "XLV",
        "XLE",
        "XLY",
        "XLP",
        "XLI",
        "XLB",
        "XLU",
        "XLRE",
        "XLC",
    }
    assert len({m.instrument.sector for m in sectors}) == 11
    for mover in sectors:
        assert mover.instrument.asset_class == resources_pb2.ASSET_CLASS_ETF
        assert mover.quote.symbol == mover.instrument.symbol
        _check_quote(mover.quote)

    overview = await stub.GetMarketOverview(pb.GetMarketOverviewRequest())
    assert [m.instrument.symbol for m in overview.indices] == [m.instrument.symbol for m in indices]
    assert [m.instrument.symbol for m in overview.sectors] == [m.instrument.symbol for m in sectors]
    assert overview.market_status == "open"  # the default calendar mode ticks at any hour


class _StillMarket:
    """One consistent read of the market: every quote in it is of the same tick."""

    def __init__(
        self,
        overview: pb.GetMarketOverviewResponse,
        sentiment: pb.GetMarketSentimentResponse,
        movers: pb.ListMoversResponse,
        top: pb.ListMoversResponse,
        quotes: Sequence[resources_pb2.Quote],
    ) -> None:
        self.overview, self.sentiment, self.movers, self.top = overview, sentiment, movers, top
        self.quotes = {q.symbol: q for q in quotes}


async def _still_market(stub: Stub, symbols: Sequence[str]) -> _StillMarket:
    for _ in range(20):
        first = (await stub.BatchGetQuotes(pb.BatchGetQuotesRequest(symbols=symbols))).quotes
        overview = await stub.GetMarketOverview(pb.GetMarketOverviewRequest())
        sentiment = await stub.GetMarketSentiment(pb.GetMarketSentimentRequest())
        movers = await stub.ListMovers(pb.ListMoversRequest(limit=200))
        top = await stub.ListMovers(pb.ListMoversRequest(limit=3))
        last = (await stub.BatchGetQuotes(pb.BatchGetQuotesRequest(symbols=symbols))).quotes
        seen = [
            *first,
            *last,
            *(m.quote for m in [*overview.gainers, *overview.losers, *overview.most_active]),
            *(m.quote for m in [*movers.gainers, *movers.losers, *movers.most_active]),
            *(m.quote for m in [*top.gainers, *top.losers, *top.most_active]),
        ]
        if len({_at(q.timestamp) for q in seen}) == 1:
            return _StillMarket(overview, sentiment, movers, top, last)
        await asyncio.sleep(0.3)
    pytest.fail("the market never held still between two ticks")


async def test_movers_breadth_and_sentiment_agree_with_the_quotes(stub: Stub) -> None:
    everyone = (await stub.ListMovers(pb.ListMoversRequest(limit=200))).most_active
    symbols = [m.instrument.symbol for m in everyone]
    assert len(symbols) == EQUITIES
    assert all(m.instrument.asset_class == resources_pb2.ASSET_CLASS_EQUITY for m in everyone)
    await asyncio.sleep(2 * TICK_SECONDS)  # a tick long enough for the prices to have moved
    market = await _still_market(stub, symbols)
    quotes = market.quotes
    for quote in quotes.values():
        _check_quote(quote)
    up = {s for s, q in quotes.items() if q.change > 0}
    down = {s for s, q in quotes.items() if q.change < 0}
    # Some ticks of 150 correlated names leave some up and some down.
    assert up
    assert down

    breadth = market.overview.breadth
    assert (breadth.advancers, breadth.decliners, breadth.unchanged) == (
        len(up),
        len(down),
        EQUITIES - len(up) - len(down),
    )
    assert 0 <= breadth.new_highs <= EQUITIES
    assert 0 <= breadth.new_lows <= EQUITIES
    assert market.sentiment.breadth == breadth

    movers = market.movers
    gainers = [m.quote for m in movers.gainers]
    losers = [m.quote for m in movers.losers]
    active = [m.quote for m in movers.most_active]
    assert {q.symbol for q in gainers} == up
    assert {q.symbol for q in losers} == down
    assert {q.symbol for q in active} == set(symbols)
    assert [q.change_percent for q in gainers] == sorted((q.change_percent for q in gainers), reverse=True)
    assert [q.change_percent for q in losers] == sorted(q.change_percent for q in losers)
    assert [q.volume for q in active] == sorted((q.volume for q in active), reverse=True)
    for mover in [*movers.gainers, *movers.losers, *movers.most_active]:
        assert mover.instrument.symbol == mover.quote.symbol
        assert mover.quote.price == quotes[mover.quote.symbol].price

    # The overview's lists and a short ListMovers are the heads of the full ranking.
    def symbols_of(pairs: Sequence[resources_pb2.MarketMover]) -> list[str]:
        return [m.instrument.symbol for m in pairs]

    for short, limit in ((market.overview, 10), (market.top, 3)):
        assert symbols_of(short.gainers) == symbols_of(movers.gainers)[:limit]
        assert symbols_of(short.losers) == symbols_of(movers.losers)[:limit]
        assert symbols_of(short.most_active) == symbols_of(movers.most_active)[:limit]

    sentiment = market.sentiment
    assert -1.0 <= sentiment.news_sentiment <= 1.0
    assert sentiment.news_count > 0  # the back-fill stored a month of news
    assert abs(_at(sentiment.as_of) - datetime.now(UTC)) < timedelta(minutes=1)


# History at every interval ----------------------------------------------------------------

INTRADAY = {
    resources_pb2.INTERVAL_1M: 1,
    resources_pb2.INTERVAL_5M: 5,
    resources_pb2.INTERVAL_15M: 15,
    resources_pb2.INTERVAL_1H: 60,
}


def _bucket_start(start: datetime, minutes: int) -> datetime:
    """The start of a bar's bucket: ``minutes`` long, counted from 09:30 New York time."""
    local = start.astimezone(NEW_YORK)
    opened = datetime.combine(local.date(), time(9, 30), NEW_YORK)
    elapsed = (local - opened) // timedelta(minutes=1)
    return (opened + timedelta(minutes=minutes * (elapsed // minutes))).astimezone(UTC)


def _aggregate(bars: Sequence[resources_pb2.Bar]) -> tuple[float, float, float, float, int]:
    return (
        bars[0].open,
        max(b.high for b in bars),
        min(b.low for b in bars),
        bars[-1].close,
        sum(b.volume for b in bars),
    )


def _ohlcv(bar: resources_pb2.Bar) -> tuple[float, float, float, float, int]:
    return (bar.open, bar.high, bar.low, bar.close, bar.volume)


def _assert_well_formed(bars: Sequence[resources_pb2.Bar], label: str) -> None:
    assert bars, label
    starts = [_at(b.start) for b in bars]
    assert starts == sorted(set(starts)), label  # ordered, one bar per start
    assert all(_consistent(b) for b in bars), label


async def _history(
    stub: Stub,
    symbol: str,
    interval: resources_pb2.Interval.ValueType,
    start: datetime,
    end: datetime,
    *,
    adjusted: bool = False,
) -> list[resources_pb2.Bar]:
    reply = await stub.GetHistory(
        pb.GetHistoryRequest(
            symbol=symbol, interval=interval, start=_ts(start), end=_ts(end), adjusted=adjusted
        )
    )
    assert reply.source.startswith("simulated")
    return list(reply.bars)


async def test_intraday_intervals_are_aligned_and_add_up_to_the_day(stub: Stub) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(NEW_YORK).date()
    start = now - timedelta(days=6)
    symbol = "KO"
    by_interval = {interval: await _history(stub, symbol, interval, start, now) for interval in INTRADAY}
    for interval, minutes in INTRADAY.items():
        bars = by_interval[interval]
        _assert_well_formed(bars, str(interval))
        for bar in bars:
            begins = _at(bar.start)
            assert (begins.second, begins.microsecond) == (0, 0)
            assert _bucket_start(begins, minutes) == begins, (interval, begins)
            assert start - timedelta(minutes=minutes) <= begins <= now

    # Past sessions are whole: a bar for every minute of the session (fewer on an early close),
    # adding up to the stored daily bar, and every longer interval is those minutes bucketed.
    sessions = [
        d for d in NYSE.sessions(start.date(), today) if d < today and NYSE.session_bounds(d)[0] >= start
    ]
    assert sessions  # six days always hold a whole past session
    first, last = _day_range(sessions[0], sessions[-1])
    daily = {
        _day(bar): bar
        for bar in (
            await stub.GetHistory(
                pb.GetHistoryRequest(symbol=symbol, interval=resources_pb2.INTERVAL_1D, start=first, end=last)
            )
        ).bars
    }
    minute_bars = by_interval[resources_pb2.INTERVAL_1M]
    for session in sessions:
        opens, closes = NYSE.session_bounds(session)
        own = [b for b in minute_bars if opens <= _at(b.start) < closes]
        assert [_at(b.start) for b in own] == [
            opens + timedelta(minutes=n) for n in range((closes - opens) // timedelta(minutes=1))
        ], session
        stored = daily[session]
        aggregate = _aggregate(own)
        assert aggregate[:4] == pytest.approx(_ohlcv(stored)[:4], abs=1e-9), session
        assert aggregate[4] == stored.volume
        for interval, minutes in INTRADAY.items():
            if minutes == 1:
                continue
            buckets: dict[datetime, list[resources_pb2.Bar]] = defaultdict(list)
            for bar in own:
                buckets[_bucket_start(_at(bar.start), minutes)].append(bar)
            longer = {_at(b.start): b for b in by_interval[interval] if opens <= _at(b.start) < closes}
            assert sorted(longer) == sorted(buckets), (interval, session)
            for bucket, members in buckets.items():
                assert _ohlcv(longer[bucket]) == pytest.approx(_aggregate(members), abs=1e-9)


async def test_daily_weekly_and_monthly_bars_agree_with_each_other(stub: Stub) -> None:
    now = datetime.now(UTC)
    today = now.astimezone(NEW_YORK).date()
    start = now - timedelta(days=3 * 365)
    symbol = "JPM"
    for adjusted in (False, True):
        daily = await _history(stub, symbol, resources_pb2.INTERVAL_1D, start, now, adjusted=adjusted)
        weekly = await _history(stub, symbol, resources_pb2.INTERVAL_1WK, start, now, adjusted=adjusted)
        monthly = await _history(stub, symbol, resources_pb2.INTERVAL_1MO, start, now, adjusted=adjusted)
        for bars, label in ((daily, "1d"), (weekly, "1wk"), (monthly, "1mo")):
            _assert_well_formed(bars, label)
            assert all(_at(b.start).time() == time() for b in bars), label

        # Daily: a bar for every NYSE session; the last one may be the live day's.
        stored = [b for b in daily if _day(b) < today]
        assert [_day(b) for b in stored] == NYSE.sessions(_day(stored[0]), _day(stored[-1]))

        for bars, key in (
            (weekly, lambda day: day.isocalendar()[:2]),
            (monthly, lambda day: (day.year, day.month)),
        ):
            groups: dict[Any, list[resources_pb2.Bar]] = defaultdict(list)
            for bar in daily:
                groups[key(_day(bar))].append(bar)
            assert [key(_day(b)) for b in bars] == list(groups)
            for position, bar in enumerate(bars):
                members = groups[key(_day(bar))]
                assert _day(bar) == _day(members[0])  # starts on its first trading day
                if position == 0 or key(_day(bar)) == key(today):
                    continue  # the range cuts the first period; the live day moves between reads
                assert bar.close == members[-1].close  # a month's close is its last daily close
                assert _ohlcv(bar) == pytest.approx(_aggregate(members), abs=1e-6)


# The simulated splits as stored -----------------------------------------------------------


async def test_the_default_markets_splits_are_stored_raw_with_adjusted_history_continuous(stub: Stub) -> None:
    everyone = (await stub.ListMovers(pb.ListMoversRequest(limit=200))).most_active
    now = datetime.now(UTC)
    splits = []
    for mover in everyone:
        request = pb.ListCorporateActionsRequest(symbol=mover.instrument.symbol)
        actions = await stub.ListCorporateActions(request)
        splits += [a for a in actions.actions if a.kind == "split"]
    # The default market splits a handful of names in its decade; most fall in the stored years.
    assert 1 <= len(splits) <= 20
    assert len({a.symbol for a in splits}) == len(splits)
    for split in splits:
        ex_date = from_date_pb(split.ex_date)
        assert split.split_ratio in (2.0, 3.0, 4.0, 10.0)
        assert ex_date <= date(2024, 12, 31)
        window = (datetime.combine(ex_date, time(), UTC) - timedelta(days=20), now)
        raw = await _history(stub, split.symbol, resources_pb2.INTERVAL_1D, *window)
        adjusted = await _history(stub, split.symbol, resources_pb2.INTERVAL_1D, *window, adjusted=True)
        days = [_day(b) for b in raw]
        assert days == [_day(b) for b in adjusted]
        ex = days.index(ex_date)
        before, on = raw[ex - 1], raw[ex]
        # Raw: the price falls by the ratio overnight and the volume rises by it.
        assert 0.85 < on.open * split.split_ratio / before.close < 1.15, split.symbol
        volumes_before = sorted(b.volume for b in raw[max(0, ex - 10) : ex])
        volumes_after = sorted(b.volume for b in raw[ex : ex + 10])
        ratio = volumes_after[len(volumes_after) // 2] / volumes_before[len(volumes_before) // 2]
        assert split.split_ratio / 3 < ratio < split.split_ratio * 3, split.symbol
        # Adjusted: no jump; before the ex-date the raw prices divided by the ratio (and by the
        # dividends since), the volumes multiplied by it.
        move = math.log(adjusted[ex].close / adjusted[ex - 1].close)
        assert abs(move) < 0.15, split.symbol
        factor_before = adjusted[ex - 1].close / before.close
        factor_on = adjusted[ex].close / on.close
        assert factor_before / factor_on == pytest.approx(1 / split.split_ratio, rel=0.03), split.symbol
        assert adjusted[ex - 1].volume == pytest.approx(before.volume * split.split_ratio, rel=1e-6, abs=1)
