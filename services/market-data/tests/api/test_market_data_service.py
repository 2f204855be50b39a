"""MarketDataService over real gRPC, PostgreSQL, Redis and JetStream, on the simulator."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, date, datetime, timedelta

import grpc
import nats
import pytest
from google.protobuf.timestamp_pb2 import Timestamp
from nats.js.api import ConsumerConfig, DeliverPolicy

from eqr.common.v1 import date_pb2
from eqr.market_data.v1 import events_pb2, market_data_service_pb2_grpc, resources_pb2
from eqr.market_data.v1 import market_data_service_pb2 as pb
from eqr_platform.grpc import decode_error
from eqr_platform.protobuf import date_pb

Stub = market_data_service_pb2_grpc.MarketDataServiceStub


def date_pb_raw(year: int, month: int, day: int) -> date_pb2.Date:
    """A date message as a hostile caller may send it: not necessarily a real date."""
    return date_pb2.Date(year=year, month=month, day=day)


def _ts(at: datetime) -> Timestamp:
    value = Timestamp()
    value.FromDatetime(at)
    return value


async def test_quote_says_its_source_and_moves(market_stub: Stub) -> None:
    first = (await market_stub.GetQuote(pb.GetQuoteRequest(symbol="aapl"))).quote
    assert first.symbol == "AAPL"
    assert first.source == "simulated"
    assert first.price > 0
    assert first.bid < first.price < first.ask
    await asyncio.sleep(2.5)  # the cache TTL is 2 s and the ticker steps every 0.2 s
    later = (await market_stub.GetQuote(pb.GetQuoteRequest(symbol="AAPL"))).quote
    assert later.timestamp.ToDatetime() > first.timestamp.ToDatetime()
    assert later.previous_close == first.previous_close


async def test_unknown_symbol_is_not_found_and_bad_symbol_names_the_field(market_stub: Stub) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as unknown:
        await market_stub.GetQuote(pb.GetQuoteRequest(symbol="NOPE"))
    assert unknown.value.code() == grpc.StatusCode.NOT_FOUND
    with pytest.raises(grpc.aio.AioRpcError) as bad:
        await market_stub.GetQuote(pb.GetQuoteRequest(symbol="../etc"))
    error = decode_error(bad.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["symbol"]


async def test_batch_quotes_report_unknown_symbols(market_stub: Stub) -> None:
    response = await market_stub.BatchGetQuotes(
        pb.BatchGetQuotesRequest(symbols=["MSFT", "NOPE", "^GSPC", "msft"])
    )
    assert [q.symbol for q in response.quotes] == ["MSFT", "^GSPC"]
    assert list(response.unknown_symbols) == ["NOPE"]


async def test_ten_years_of_daily_history_end_at_the_live_price(market_stub: Stub) -> None:
    now = datetime.now(UTC)
    history = await market_stub.GetHistory(
        pb.GetHistoryRequest(
            symbol="JPM",
            interval=resources_pb2.INTERVAL_1D,
            start=_ts(now - timedelta(days=3650)),
            end=_ts(now),
        )
    )
    assert len(history.bars) > 2400
    assert history.source.startswith("simulated")
    starts = [bar.start.ToDatetime() for bar in history.bars]
    assert starts == sorted(starts)
    for bar in history.bars:
        assert 0 < bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high
    quote = (await market_stub.GetQuote(pb.GetQuoteRequest(symbol="JPM"))).quote
    # The last bar is the live session's: today's, or on a weekend or holiday the last
    # trading day's, which the ticker keeps moving. The bar before it closed the day the
    # quote's change is measured from.
    live, completed = history.bars[-1], history.bars[-2]
    assert live.start.ToDatetime().date() <= now.date()
    assert math.isclose(completed.close, quote.previous_close, rel_tol=1e-9)


async def test_history_read_again_streamed_or_adjusted_agrees_on_the_stored_days(market_stub: Stub) -> None:
    start = _ts(datetime.now(UTC) - timedelta(days=3650))
    request = pb.GetHistoryRequest(symbol="JPM", interval=resources_pb2.INTERVAL_1D, start=start)
    first = await market_stub.GetHistory(request)
    again = await market_stub.GetHistory(request)  # from the cache
    streamed = [
        bar
        async for chunk in market_stub.StreamHistory(
            pb.StreamHistoryRequest(symbol="JPM", interval=resources_pb2.INTERVAL_1D, start=start)
        )
        for bar in chunk.bars
    ]
    adjusted = await market_stub.GetHistory(
        pb.GetHistoryRequest(symbol="JPM", interval=resources_pb2.INTERVAL_1D, start=start, adjusted=True)
    )
    # The last bar is the live day's, which ticks between the reads.
    assert list(again.bars)[:-1] == list(first.bars)[:-1]
    assert streamed[:-1] == list(first.bars)[:-1]
    assert len(adjusted.bars) == len(first.bars)
    assert adjusted.bars[-2] == first.bars[-2]  # the newest stored day keeps its raw prices
    assert adjusted.bars[0].close < first.bars[0].close  # ten years of dividends scale the oldest down


async def test_inverted_range_names_the_field(market_stub: Stub) -> None:
    now = datetime.now(UTC)
    with pytest.raises(grpc.aio.AioRpcError) as exc_info:
        await market_stub.GetHistory(
            pb.GetHistoryRequest(
                symbol="JPM",
                interval=resources_pb2.INTERVAL_1D,
                start=_ts(now),
                end=_ts(now - timedelta(days=5)),
            )
        )
    error = decode_error(exc_info.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == ["from"]


def _closes_query(symbol: str, start: date, *, adjusted: bool = False) -> pb.DailyClosesQuery:
    return pb.DailyClosesQuery(
        symbol=symbol, start=date_pb(start), end=date_pb(date.today()), adjusted=adjusted
    )


async def test_batch_closes_agree_with_history_and_name_unknown_symbols(market_stub: Stub) -> None:
    start = datetime.now(UTC) - timedelta(days=3650)
    request = pb.BatchGetDailyClosesRequest(
        queries=[
            _closes_query("jpm", start.date()),
            _closes_query("NOPE", start.date()),
            _closes_query("^GSPC", start.date(), adjusted=True),
        ]
    )
    reply = await market_stub.BatchGetDailyCloses(request)
    again = await market_stub.BatchGetDailyCloses(request)  # from the cache
    assert list(reply.unknown_symbols) == ["NOPE"]
    assert [(s.symbol, s.adjusted) for s in reply.series] == [("JPM", False), ("^GSPC", True)]
    for series, symbol, adjusted in [(reply.series[0], "JPM", False), (reply.series[1], "^GSPC", True)]:
        history = await market_stub.GetHistory(
            pb.GetHistoryRequest(
                symbol=symbol, interval=resources_pb2.INTERVAL_1D, start=_ts(start), adjusted=adjusted
            )
        )
        days = [(date(1970, 1, 1) + timedelta(days=d)) for d in series.days]
        # The last close is the live day's, which ticks between the reads.
        assert days == [bar.start.ToDatetime().date() for bar in history.bars]
        assert list(series.closes)[:-1] == [bar.close for bar in history.bars][:-1]
    assert list(again.series[0].days) == list(reply.series[0].days)
    assert list(again.series[0].closes)[:-1] == list(reply.series[0].closes)[:-1]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        (pb.DailyClosesQuery(symbol="x" * 10_000, start=date_pb(date(2024, 1, 2))), "queries[0].symbol"),
        (pb.DailyClosesQuery(symbol="JPM"), "queries[0].start"),
        (pb.DailyClosesQuery(symbol="JPM", start=date_pb_raw(2024, 13, 1)), "queries[0].start"),
        (pb.DailyClosesQuery(symbol="JPM", start=date_pb_raw(-5, 1, 1)), "queries[0].start"),
        (
            pb.DailyClosesQuery(symbol="JPM", start=date_pb(date(2024, 1, 2)), end=date_pb_raw(2024, 2, 30)),
            "queries[0].end",
        ),
        (
            pb.DailyClosesQuery(symbol="JPM", start=date_pb(date(2024, 3, 1)), end=date_pb(date(2024, 2, 1))),
            "queries[0].start",
        ),
        (pb.DailyClosesQuery(symbol="JPM", start=date_pb(date(1950, 1, 1))), "queries[0].start"),
    ],
)
async def test_a_bad_closes_query_names_its_field(
    market_stub: Stub, query: pb.DailyClosesQuery, field: str
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await market_stub.BatchGetDailyCloses(pb.BatchGetDailyClosesRequest(queries=[query]))
    error = decode_error(refused.value)
    assert error.code == grpc.StatusCode.INVALID_ARGUMENT
    assert [v.field for v in error.violations] == [field]


async def test_too_many_closes_queries_are_refused(market_stub: Stub) -> None:
    for queries in ([], [_closes_query("JPM", date.today())] * 501):
        with pytest.raises(grpc.aio.AioRpcError) as refused:
            await market_stub.BatchGetDailyCloses(pb.BatchGetDailyClosesRequest(queries=queries))
        error = decode_error(refused.value)
        assert error.code == grpc.StatusCode.INVALID_ARGUMENT
        assert [v.field for v in error.violations] == ["queries"]


async def test_intraday_history_is_resampled(market_stub: Stub) -> None:
    now = datetime.now(UTC)
    history = await market_stub.GetHistory(
        pb.GetHistoryRequest(
            symbol="AAPL",
            interval=resources_pb2.INTERVAL_1H,
            start=_ts(now - timedelta(days=7)),
            end=_ts(now),
        )
    )
    assert len(history.bars) >= 7  # at least one full session of hourly bars in any week
    for bar in history.bars:
        assert bar.low <= min(bar.open, bar.close) <= max(bar.open, bar.close) <= bar.high


async def test_market_overview_has_benchmarks_movers_and_breadth(market_stub: Stub) -> None:
    overview = await market_stub.GetMarketOverview(pb.GetMarketOverviewRequest())
    assert {m.instrument.symbol for m in overview.indices} >= {"^GSPC", "^DJI", "^IXIC"}
    assert len(overview.sectors) == 11
    breadth = overview.breadth
    assert breadth.advancers + breadth.decliners + breadth.unchanged == 150


async def test_search_peers_fundamentals_and_news(market_stub: Stub) -> None:
    found = await market_stub.SearchInstruments(pb.SearchInstrumentsRequest(query="micro", limit=5))
    assert "MSFT" in [i.symbol for i in found.instruments]
    peers = await market_stub.ListPeers(pb.ListPeersRequest(symbol="JPM", limit=5))
    assert peers.peers
    assert all(p.sector == "Financials" for p in peers.peers)
    fundamentals = await market_stub.GetFundamentals(
        pb.GetFundamentalsRequest(symbol="AAPL", period="annual")
    )
    assert len(fundamentals.financials) == 10
    latest = fundamentals.financials[0]
    assert math.isclose(latest.gross_profit, latest.revenue - latest.cost_of_revenue, rel_tol=1e-9)
    news = await market_stub.ListNews(pb.ListNewsRequest(limit=5))
    assert len(news.news) == 5
    assert all(-1 <= item.sentiment <= 1 for item in news.news)


async def test_the_60_40_funds_are_listed_quoted_with_history_and_dividends(market_stub: Stub) -> None:
    for symbol in ("SPY", "AGG"):
        instrument = (await market_stub.GetInstrument(pb.GetInstrumentRequest(symbol=symbol))).instrument
        assert (instrument.asset_class, instrument.exchange) == (resources_pb2.ASSET_CLASS_ETF, "NYSE Arca")
        found = await market_stub.SearchInstruments(
            pb.SearchInstrumentsRequest(query=symbol.lower(), limit=3)
        )
        assert found.instruments[0].symbol == symbol
    spy, agg, gspc = (
        await market_stub.BatchGetQuotes(pb.BatchGetQuotesRequest(symbols=["SPY", "AGG", "^GSPC"]))
    ).quotes
    assert spy.previous_close == pytest.approx(gspc.previous_close * 586 / 5_882, abs=0.02)
    assert 50 < agg.previous_close < 200
    now = datetime.now(UTC)
    history = await market_stub.GetHistory(
        pb.GetHistoryRequest(
            symbol="AGG",
            interval=resources_pb2.INTERVAL_1D,
            start=_ts(now - timedelta(days=365)),
            end=_ts(now),
        )
    )
    assert len(history.bars) > 240
    for symbol, per_year in (("SPY", 4), ("AGG", 12)):
        actions = (
            await market_stub.ListCorporateActions(pb.ListCorporateActionsRequest(symbol=symbol))
        ).actions
        recent = [a for a in actions if a.kind == "dividend" and a.ex_date.year == now.year - 1]
        assert len(recent) == per_year


async def test_quotes_are_published_with_the_last_value_kept(market_stub: Stub, nats_url: str) -> None:
    client = await nats.connect(nats_url)
    try:
        sub = await client.jetstream().subscribe(
            "eqr.market-data.quote.updated.AAPL",
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.LAST_PER_SUBJECT),
        )
        message = await sub.next_msg(timeout=5)
        quote = events_pb2.QuoteUpdated.FromString(message.data).quote
        assert quote.symbol == "AAPL"
        assert quote.source == "simulated"
        # The stream itself keeps one message per subject: what a late subscriber relies on.
        subject = "eqr.market-data.quote.updated.AAPL"
        info = await client.jetstream().stream_info("MARKET_DATA_QUOTES", subjects_filter=subject)
        assert info.config.max_msgs_per_subject == 1
        assert info.state.subjects == {subject: 1}
    finally:
        await client.close()


async def test_quote_stream_starts_with_the_current_quote_then_follows_the_ticks(market_stub: Stub) -> None:
    stream = market_stub.StreamQuotes(pb.StreamQuotesRequest(symbols=["AAPL", "MSFT"]), timeout=20)
    received: list[resources_pb2.Quote] = []
    async for message in stream:
        received.append(message.quote)
        if len(received) >= 6:
            break
    stream.cancel()
    assert {q.symbol for q in received[:2]} == {"AAPL", "MSFT"}
    aapl = [q.timestamp.ToDatetime() for q in received if q.symbol == "AAPL"]
    assert aapl == sorted(aapl)
    assert len(aapl) >= 2


async def test_market_snapshots_are_published(market_stub: Stub, nats_url: str) -> None:
    client = await nats.connect(nats_url)
    try:
        sub = await client.jetstream().subscribe(
            "eqr.market-data.market.updated",
            ordered_consumer=True,
            config=ConsumerConfig(deliver_policy=DeliverPolicy.LAST_PER_SUBJECT),
        )
        market = events_pb2.MarketUpdated.FromString((await sub.next_msg(timeout=5)).data)
    finally:
        await client.close()
    assert len(market.sectors) == 11
    assert market.breadth.advancers + market.breadth.decliners + market.breadth.unchanged == 150
