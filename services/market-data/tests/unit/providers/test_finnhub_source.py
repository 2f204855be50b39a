"""The Finnhub adapter against recorded answers in its documented formats."""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime

import httpx
import pytest

from eqr_market_data.adapters.providers import FinnhubSource, Resilience
from eqr_market_data.app.ports import (
    MarketDataSource,
    NotFoundAtSource,
    NotSupported,
    RateLimited,
    SourceError,
)
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import AssetClass, Interval, Period, Source
from eqr_platform.resilience import CircuitBreaker, RateLimiter

PROVIDER = "finnhub"
NOW = datetime(2024, 6, 12, 21, 0, tzinfo=UTC)


def finnhub_route(request: httpx.Request) -> str:
    params = request.url.params
    subject = params.get("symbol") or params.get("q") or params.get("category") or ""
    resolution = params.get("resolution")
    path = request.url.path.removeprefix("/api/v1")
    return f"{path}:{subject}" + (f":{resolution}" if resolution else "")


@pytest.fixture
def clock(make_clock):
    return make_clock(NOW)


@pytest.fixture
def finnhub(recorded):
    def answer(name: str = "", **kwargs):
        return recorded(PROVIDER, name, **kwargs)

    return answer


@pytest.fixture
def build(replay, clock, api_key):
    def make(routes, *, resilience=None):
        served = replay(finnhub_route, routes)
        source = FinnhubSource(
            served.client(), api_key, resilience=resilience, clock=clock, sleep=clock.sleep
        )
        return source, served

    return make


@pytest.fixture
def roomy(clock):
    return Resilience(
        limiter=RateLimiter(1000, 1, clock=clock, sleep=clock.sleep),
        breaker=CircuitBreaker(failure_threshold=2, cool_down=30, clock=clock),
    )


def test_it_is_a_market_data_source(build) -> None:
    source, _ = build({})
    typed: MarketDataSource = source
    assert typed.name == Source.FINNHUB == "finnhub"


async def test_quote_with_the_key_in_a_header_not_the_url(build, finnhub, api_key) -> None:
    source, served = build({"/quote:AAPL": finnhub("quote_aapl.json")})
    [quote] = await source.quotes(["aapl"])
    assert (quote.symbol, quote.price, quote.open, quote.high, quote.low) == (
        "AAPL",
        213.07,
        207.37,
        220.2,
        206.9,
    )
    assert quote.previous_close == 207.15
    assert quote.volume == 0  # /quote carries no volume
    assert quote.timestamp == datetime(2024, 6, 12, 20, 0, tzinfo=UTC)
    assert quote.source == "finnhub"
    request = served.requests[0]
    assert str(request.url) == "https://finnhub.io/api/v1/quote?symbol=AAPL"
    assert request.headers["x-finnhub-token"] == api_key


async def test_an_all_zero_quote_means_an_unknown_symbol(build, finnhub) -> None:
    source, _ = build(
        {"/quote:ZZZZ": finnhub("quote_unknown.json"), "/quote:AAPL": finnhub("quote_aapl.json")}
    )
    assert [quote.symbol for quote in await source.quotes(["ZZZZ", "AAPL"])] == ["AAPL"]


async def test_instrument_from_profile2(build, finnhub) -> None:
    source, _ = build({"/stock/profile2:AAPL": finnhub("profile2_aapl.json")})
    instrument = await source.instrument("AAPL")
    assert (instrument.symbol, instrument.name) == ("AAPL", "Apple Inc")
    assert (instrument.exchange, instrument.currency, instrument.country) == (
        "NASDAQ NMS - GLOBAL MARKET",
        "USD",
        "US",
    )
    assert instrument.industry == "Technology"
    assert instrument.shares_outstanding == 15_334_080_000  # reported in millions
    assert instrument.asset_class is AssetClass.EQUITY
    assert instrument.source == "finnhub"


async def test_an_empty_profile_means_an_unknown_symbol(build, finnhub) -> None:
    source, _ = build({"/stock/profile2:ZZZZ": finnhub("profile2_unknown.json")})
    with pytest.raises(NotFoundAtSource):
        await source.instrument("ZZZZ")


async def test_search_maps_types_and_drops_unknown_ones(build, finnhub) -> None:
    source, served = build({"/search:apple": finnhub("search_apple.json")})
    found = await source.search("apple", 10)
    assert [(i.symbol, i.asset_class) for i in found] == [
        ("AAPL", AssetClass.EQUITY),
        ("APLE", AssetClass.EQUITY),
        ("AAPL.SW", AssetClass.EQUITY),
        ("AAPU", AssetClass.ETF),
        ("AAPL.MX", AssetClass.EQUITY),
    ]
    assert found[0].name == "APPLE INC"
    assert [i.symbol for i in await source.search("apple", 2)] == ["AAPL", "APLE"]
    assert served.params()["q"] == "apple"


async def test_daily_candles_are_bars_at_midnight_utc(build, finnhub) -> None:
    source, served = build({"/stock/candle:AAPL:D": finnhub("candle_aapl_daily.json")})
    bars = await source.daily_bars("AAPL", date(2024, 6, 11), date(2024, 6, 12))
    assert [(bar.start, bar.close, bar.volume) for bar in bars] == [
        (datetime(2024, 6, 11, tzinfo=UTC), 207.15, 172_373_296),
        (datetime(2024, 6, 12, tzinfo=UTC), 213.07, 198_134_293),
    ]
    assert all(bar.interval is Interval.D1 and bar.source == "finnhub" for bar in bars)
    params = served.params()
    assert params["from"] == str(int(datetime(2024, 6, 11, tzinfo=UTC).timestamp()))
    assert params["to"] == str(int(datetime(2024, 6, 12, 23, 59, 59, tzinfo=UTC).timestamp()))


async def test_no_data_candles_are_no_bars(build, finnhub) -> None:
    source, _ = build({"/stock/candle:AAPL:D": finnhub("candle_no_data.json")})
    assert await source.daily_bars("AAPL", date(2024, 6, 8), date(2024, 6, 9)) == []


async def test_intraday_candles(build, finnhub) -> None:
    source, served = build({"/stock/candle:AAPL:5": finnhub("candle_aapl_5.json")})
    bars = await source.intraday_bars(
        "AAPL",
        Interval.M5,
        datetime(2024, 6, 12, 13, 30, tzinfo=UTC),
        datetime(2024, 6, 12, 13, 40, tzinfo=UTC),
    )
    assert [bar.start for bar in bars] == [
        datetime(2024, 6, 12, 13, minute, tzinfo=UTC) for minute in (30, 35)
    ]
    assert served.params()["resolution"] == "5"


async def test_candles_outside_the_plan_are_not_supported_and_not_retried(build, finnhub, roomy) -> None:
    source, served = build(
        {"/stock/candle:AAPL:D": finnhub("error_no_access.json", status=403)}, resilience=roomy
    )
    for _ in range(3):
        with pytest.raises(NotSupported, match="plan"):
            await source.daily_bars("AAPL", date(2024, 6, 1), date(2024, 6, 12))
    assert len(served.requests) == 3
    assert roomy.breaker.state == "closed"


async def test_company_news_over_the_last_30_days_newest_first(build, finnhub) -> None:
    source, served = build({"/company-news:AAPL": finnhub("company_news_aapl.json")})
    items = await source.news("AAPL", 2)
    assert [item.id for item in items] == ["finnhub:128052310", "finnhub:128041122"]
    assert items[0].symbols == ("AAPL", "MSFT", "NVDA")
    assert items[0].published_at == datetime(2024, 6, 12, 19, 30, tzinfo=UTC)
    assert items[1].publisher == "Example Wire"
    assert items[1].sentiment == 0.0
    assert served.params() == {"symbol": "AAPL", "from": "2024-05-13", "to": "2024-06-12"}


async def test_market_news(build, finnhub) -> None:
    source, _ = build({"/news:general": finnhub("news_general.json")})
    items = await source.news(None, 10)
    assert next(item.headline for item in items).startswith("Fixture: Fed holds")
    assert all(item.symbols == () and item.source == "finnhub" for item in items)


async def test_fundamentals_and_corporate_actions_are_not_supported(build) -> None:
    source, served = build({})
    with pytest.raises(NotSupported):
        await source.fundamentals("AAPL", Period.QUARTERLY)
    with pytest.raises(NotSupported):
        await source.corporate_actions("AAPL")
    assert served.requests == []


# --- errors and resilience -------------------------------------------------------------------


async def test_an_invalid_key_is_a_source_error_without_the_key_and_not_retried(
    build, finnhub, api_key
) -> None:
    source, served = build({"/quote:AAPL": finnhub("error_invalid_key.json", status=401)})
    with pytest.raises(SourceError, match="rejected") as rejected:
        await source.quotes(["AAPL"])
    assert api_key not in str(rejected.value)
    assert len(served.requests) == 1


async def test_429_is_rate_limited_and_blocks_the_limiter(build, finnhub, clock) -> None:
    source, served = build(
        {"/quote:AAPL": [finnhub("error_limit.json", status=429), finnhub("quote_aapl.json")]}
    )
    with pytest.raises(RateLimited) as limited:
        await source.quotes(["AAPL"])
    assert limited.value.retry_after == 60
    with pytest.raises(RateLimited):
        await source.quotes(["AAPL"])
    assert len(served.requests) == 1
    clock.advance(60)
    assert len(await source.quotes(["AAPL"])) == 1


async def test_the_default_limiter_allows_60_calls_a_minute(build, finnhub) -> None:
    source, served = build({"/quote:AAPL": finnhub("quote_aapl.json")})
    for _ in range(60):
        await source.quotes(["AAPL"])
    with pytest.raises(RateLimited) as limited:
        await source.quotes(["AAPL"])
    assert limited.value.retry_after == pytest.approx(1.0)
    assert len(served.requests) == 60


async def test_an_error_body_is_a_source_error(build, finnhub) -> None:
    source, _ = build({"/stock/profile2:AAPL": finnhub(body=b'{"error": "Something went wrong"}')})
    with pytest.raises(SourceError, match="Something went wrong"):
        await source.instrument("AAPL")


async def test_a_server_error_is_retried(build, finnhub) -> None:
    source, served = build({"/quote:AAPL": [finnhub(status=500, body=b"{}"), finnhub("quote_aapl.json")]})
    assert len(await source.quotes(["AAPL"])) == 1
    assert len(served.requests) == 2


async def test_repeated_timeouts_open_the_circuit_and_a_trial_closes_it(build, finnhub, clock, roomy) -> None:
    source, served = build(
        {"/quote:AAPL": [httpx.ConnectTimeout("timed out")] * 6 + [finnhub("quote_aapl.json")]},
        resilience=roomy,
    )
    for _ in range(2):
        with pytest.raises(SourceError, match="timed out"):
            await source.quotes(["AAPL"])
    with pytest.raises(SourceError, match="circuit open"):
        await source.quotes(["AAPL"])
    assert len(served.requests) == 6
    clock.advance(30)
    assert len(await source.quotes(["AAPL"])) == 1
    assert roomy.breaker.state == "closed"


async def test_a_partial_batch_is_returned_when_a_later_request_fails(build, finnhub, roomy) -> None:
    source, _ = build(
        {"/quote:AAPL": finnhub("quote_aapl.json"), "/quote:MSFT": finnhub("error_limit.json", status=429)},
        resilience=roomy,
    )
    assert [quote.symbol for quote in await source.quotes(["AAPL", "MSFT"])] == ["AAPL"]
    with pytest.raises(RateLimited):
        await source.quotes(["MSFT", "AAPL"])


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/quote:AAPL", b'{"c": "lots", "h": 1, "l": 1, "o": 1, "pc": 1, "t": 1718222400}'),
        ("/quote:AAPL", b'{"c": 213.07, "h": 1, "l": 1, "o": 1, "pc": 1, "t": 1e30}'),
        ("/quote:AAPL", b'{"c": true, "h": 1, "l": 1, "o": 1, "pc": 1, "t": 1718222400}'),
        ("/quote:AAPL", b"[]"),
        ("/quote:AAPL", b"not json"),
    ],
)
async def test_malformed_quotes_are_source_errors(build, finnhub, route, body) -> None:
    source, _ = build({route: finnhub(body=body)})
    with pytest.raises(SourceError):
        await source.quotes(["AAPL"])


@pytest.mark.parametrize(
    "body",
    [
        b'{"s": "ok", "t": [1718150400, 1718236800], "o": [1], "h": [1], "l": [1], "c": [1], "v": [1]}',
        b'{"s": "pending"}',
        b'{"s": "ok", "t": [1718150400], "o": [1], "h": [1], "l": [1], "c": [1]}',
        b'{"c": [1]}',
    ],
)
async def test_malformed_candles_are_source_errors(build, finnhub, body) -> None:
    source, _ = build({"/stock/candle:AAPL:D": finnhub(body=body)})
    with pytest.raises(SourceError, match="malformed candles"):
        await source.daily_bars("AAPL", date(2024, 6, 1), date(2024, 6, 12))


async def test_malformed_news_is_a_source_error(build, finnhub) -> None:
    source, _ = build({"/news:general": finnhub(body=b'[{"headline": "no id or time"}]')})
    with pytest.raises(SourceError, match="malformed market news"):
        await source.news(None, 5)


async def test_the_api_key_appears_in_no_log_line(build, finnhub, api_key, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    source, _ = build(
        {"/quote:AAPL": [finnhub(status=503, body=b""), finnhub("error_invalid_key.json", status=401)]}
    )
    with pytest.raises(SourceError):
        await source.quotes(["AAPL"])
    assert "retrying" in caplog.text
    assert api_key not in caplog.text


async def test_bad_inputs_are_rejected_before_any_request(build) -> None:
    source, served = build({})
    with pytest.raises(InvalidRequest):
        await source.quotes(["AAPL", "bad symbol!"])
    with pytest.raises(InvalidRequest) as interval:
        await source.intraday_bars("AAPL", Interval.W1, NOW, NOW)
    assert interval.value.field == "interval"
    assert await source.search("", 5) == []
    assert await source.news("AAPL", 0) == []
    assert served.requests == []
