"""The Yahoo chart adapter against recorded answers of the v8 chart API."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import httpx
import pytest

from eqr_market_data.adapters.providers import Resilience, YahooSource
from eqr_market_data.app.ports import (
    MarketDataSource,
    NotFoundAtSource,
    NotSupported,
    RateLimited,
    SourceError,
)
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import ActionKind, Interval, Period, Source
from eqr_platform.resilience import CircuitBreaker, RateLimiter

PROVIDER = "yahoo"
NOW = datetime(2024, 6, 12, 21, 0, tzinfo=UTC)


def chart_route(request: httpx.Request) -> str:
    params = request.url.params
    symbol = request.url.path.rsplit("/", 1)[-1]
    return f"{symbol}:{params['interval']}:{params.get('range', 'period')}"


@pytest.fixture
def clock(make_clock):
    return make_clock(NOW)


@pytest.fixture
def yahoo(recorded):
    def answer(name: str = "", **kwargs):
        return recorded(PROVIDER, name, **kwargs)

    return answer


@pytest.fixture
def build(replay, clock):
    def make(routes, *, resilience=None):
        served = replay(chart_route, routes)
        return YahooSource(served.client(), resilience=resilience, clock=clock, sleep=clock.sleep), served

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
    assert typed.name == Source.YAHOO == "yahoo"


async def test_quote_from_the_chart_meta(build, yahoo) -> None:
    source, served = build({"NVDA:1d:1d": yahoo("chart_nvda_quote.json")})
    [quote] = await source.quotes(["nvda"])
    assert quote.symbol == "NVDA"
    assert (quote.price, quote.open, quote.high, quote.low) == (125.2, 123.06, 126.88, 122.57)
    assert quote.previous_close == 120.91
    assert quote.volume == 299_595_000
    assert quote.timestamp == datetime(2024, 6, 12, 20, 0, 1, tzinfo=UTC)
    assert quote.source == "yahoo"
    request = served.requests[0]
    assert (request.url.host, request.url.path) == ("query1.finance.yahoo.com", "/v8/finance/chart/NVDA")
    assert served.params() == {
        "range": "1d",
        "interval": "1d",
        "events": "div,splits",
        "includePrePost": "false",
    }
    assert "Mozilla" in request.headers["user-agent"]


async def test_unknown_symbols_are_left_out_of_batch_quotes(build, yahoo) -> None:
    source, _ = build(
        {
            "ZZZZ:1d:1d": yahoo("chart_not_found.json", status=404),
            "NVDA:1d:1d": yahoo("chart_nvda_quote.json"),
        }
    )
    assert [quote.symbol for quote in await source.quotes(["ZZZZ", "NVDA"])] == ["NVDA"]


async def test_daily_bars_are_turned_back_into_raw_prices_across_a_split(build, yahoo) -> None:
    source, served = build({"NVDA:1d:period": yahoo("chart_nvda_daily.json")})
    bars = await source.daily_bars("NVDA", date(2024, 6, 5), date(2024, 6, 12))
    assert [bar.start for bar in bars] == [
        datetime(2024, 6, day, tzinfo=UTC) for day in (5, 6, 7, 10, 11, 12)
    ]
    before_split, after_split = bars[2], bars[3]
    assert before_split.close == pytest.approx(1208.88)
    assert before_split.high == pytest.approx(1216.917)
    assert before_split.volume == 41_238_580
    assert (after_split.close, after_split.volume) == (121.79, 314_162_700)
    assert all(bar.interval is Interval.D1 and bar.source == "yahoo" for bar in bars)
    params = served.params()
    assert params["interval"] == "1d"
    assert params["events"] == "div,splits"
    assert int(params["period1"]) == int(datetime(2024, 6, 4, tzinfo=UTC).timestamp())
    assert int(params["period2"]) >= int(NOW.timestamp())  # runs to now, so later splits are seen


async def test_bars_before_a_later_split_are_raw_too(build, yahoo) -> None:
    source, _ = build({"NVDA:1d:period": yahoo("chart_nvda_daily.json")})
    [bar] = await source.daily_bars("NVDA", date(2024, 6, 5), date(2024, 6, 5))
    assert bar.close == pytest.approx(1224.4)
    assert bar.volume == 63_844_340


async def test_intraday_bars_skip_empty_intervals_and_are_utc(build, yahoo) -> None:
    source, served = build({"AAPL:5m:period": yahoo("chart_aapl_5m.json")})
    start, end = datetime(2024, 6, 12, 13, 30, tzinfo=UTC), datetime(2024, 6, 12, 14, 0, tzinfo=UTC)
    bars = await source.intraday_bars("AAPL", Interval.M5, start, end)
    assert [bar.start for bar in bars] == [
        datetime(2024, 6, 12, 13, minute, tzinfo=UTC) for minute in (30, 35, 45)
    ]
    assert (bars[0].open, bars[0].close, bars[0].volume) == (207.37, 209.8, 8_122_961)
    assert all(bar.interval is Interval.M5 for bar in bars)
    assert served.params()["period1"] == str(int(start.timestamp()))


async def test_hourly_bars_ask_for_60m(build, yahoo) -> None:
    source, served = build({"AAPL:60m:period": yahoo("chart_aapl_5m.json")})
    await source.intraday_bars("AAPL", Interval.H1, datetime(2024, 6, 12, tzinfo=UTC), NOW)
    assert served.params()["interval"] == "60m"


async def test_corporate_actions_with_dividends_as_paid(build, yahoo) -> None:
    source, served = build({"NVDA:1mo:max": yahoo("chart_nvda_max_monthly.json")})
    actions = await source.corporate_actions("NVDA")
    assert [(a.ex_date, a.kind) for a in actions] == [
        (date(2021, 6, 9), ActionKind.DIVIDEND),
        (date(2021, 7, 20), ActionKind.SPLIT),
        (date(2024, 3, 5), ActionKind.DIVIDEND),
        (date(2024, 6, 10), ActionKind.SPLIT),
        (date(2024, 6, 11), ActionKind.DIVIDEND),
    ]
    assert actions[0].dividend == pytest.approx(0.16)  # 0.004 split-adjusted by 4 and 10
    assert actions[1].split_ratio == 4.0
    assert actions[2].dividend == pytest.approx(0.04)
    assert actions[3].split_ratio == 10.0
    assert actions[4].dividend == pytest.approx(0.01)
    assert all(action.source == "yahoo" for action in actions)
    assert served.params()["range"] == "max"


async def test_what_the_chart_api_lacks_is_not_supported(build) -> None:
    source, served = build({})
    for call in (
        source.instrument("NVDA"),
        source.search("nvidia", 5),
        source.fundamentals("NVDA", Period.ANNUAL),
        source.news("NVDA", 5),
    ):
        with pytest.raises(NotSupported):
            await call
    assert served.requests == []


async def test_index_symbols_are_escaped_in_the_path(build, yahoo) -> None:
    source, served = build({"^GSPC:1d:1d": yahoo("chart_not_found.json", status=404)})
    assert await source.quotes(["^gspc"]) == []
    assert served.requests[0].url.raw_path.startswith(b"/v8/finance/chart/%5EGSPC?")


async def test_hostile_symbols_never_reach_the_provider(build) -> None:
    source, served = build({})
    for hostile in ("../../v7/finance/quote", "NVDA?range=max", "nvda/"):
        with pytest.raises(InvalidRequest):
            await source.daily_bars(hostile, date(2024, 6, 1), date(2024, 6, 12))
    assert served.requests == []


# --- errors and resilience -------------------------------------------------------------------


async def test_an_unknown_symbol_is_not_found(build, yahoo) -> None:
    source, _ = build({"ZZZZ:1d:period": yahoo("chart_not_found.json", status=404)})
    with pytest.raises(NotFoundAtSource, match="delisted"):
        await source.daily_bars("ZZZZ", date(2024, 6, 1), date(2024, 6, 12))


async def test_a_404_without_a_body_is_not_found(build, yahoo) -> None:
    source, _ = build({"ZZZZ:1mo:max": yahoo(status=404, body=b"Not Found")})
    with pytest.raises(NotFoundAtSource):
        await source.corporate_actions("ZZZZ")


async def test_a_bad_request_is_a_source_error_and_not_retried(build, yahoo) -> None:
    source, served = build({"NVDA:1d:period": yahoo("chart_bad_request.json", status=400)})
    with pytest.raises(SourceError, match="Bad Request") as failed:
        await source.daily_bars("NVDA", date(2024, 6, 1), date(2024, 6, 12))
    assert not isinstance(failed.value, NotFoundAtSource)
    assert len(served.requests) == 1


async def test_429_honours_retry_after_and_blocks_the_limiter(build, yahoo, clock) -> None:
    source, served = build(
        {
            "NVDA:1d:1d": [
                yahoo("too_many_requests.txt", status=429, headers={"Retry-After": "120"}),
                yahoo("chart_nvda_quote.json"),
            ]
        }
    )
    with pytest.raises(RateLimited) as limited:
        await source.quotes(["NVDA"])
    assert limited.value.retry_after == 120
    clock.advance(119)
    with pytest.raises(RateLimited):
        await source.quotes(["NVDA"])
    assert len(served.requests) == 1
    clock.advance(1)
    assert len(await source.quotes(["NVDA"])) == 1


async def test_429_without_retry_after_pauses_for_a_minute(build, yahoo) -> None:
    source, _ = build({"NVDA:1d:1d": yahoo("too_many_requests.txt", status=429)})
    with pytest.raises(RateLimited) as limited:
        await source.quotes(["NVDA"])
    assert limited.value.retry_after == 60


async def test_a_bad_gateway_is_retried(build, yahoo) -> None:
    source, served = build(
        {"NVDA:1d:1d": [yahoo(status=502, body=b"Bad Gateway"), yahoo("chart_nvda_quote.json")]}
    )
    assert len(await source.quotes(["NVDA"])) == 1
    assert len(served.requests) == 2


async def test_connection_failures_open_the_circuit(build, yahoo, clock, roomy) -> None:
    source, served = build(
        {"NVDA:1d:1d": [httpx.ConnectError("connection refused")] * 6 + [yahoo("chart_nvda_quote.json")]},
        resilience=roomy,
    )
    for _ in range(2):
        with pytest.raises(SourceError, match="connection refused"):
            await source.quotes(["NVDA"])
    with pytest.raises(SourceError, match="circuit open"):
        await source.quotes(["NVDA"])
    assert len(served.requests) == 6
    clock.advance(30)
    assert len(await source.quotes(["NVDA"])) == 1


NEW_YORK = {"exchangeTimezoneName": "America/New_York"}
ONE_BAR = {"open": [1.0], "high": [1.0], "low": [1.0], "close": [1.0], "volume": [1]}


def _chart(**result) -> bytes:
    return json.dumps({"chart": {"result": [result], "error": None}}).encode()


@pytest.mark.parametrize(
    "body",
    [
        b"<!doctype html><title>Yahoo</title>",
        b'{"chart": null}',
        b'{"chart": {"result": [], "error": null}}',
        _chart(timestamp=[1718199000]),
        _chart(meta=NEW_YORK, timestamp=[1718199000], indicators={"quote": [ONE_BAR | {"open": [1.0, 2.0]}]}),
        _chart(meta=NEW_YORK, timestamp=["soon"], indicators={"quote": [ONE_BAR]}),
        _chart(meta=NEW_YORK, timestamp=[1718199000], indicators={"quote": [ONE_BAR | {"close": ["x"]}]}),
        _chart(
            meta=NEW_YORK, events={"splits": {"1": {"date": 1718026200, "numerator": 0, "denominator": 1}}}
        ),
        _chart(meta=NEW_YORK, events={"dividends": {"1": {"date": 1718026200}}}),
    ],
)
async def test_malformed_charts_are_source_errors(build, yahoo, body) -> None:
    source, _ = build({"NVDA:1d:period": yahoo(body=body)})
    with pytest.raises(SourceError):
        await source.daily_bars("NVDA", date(2024, 6, 1), date(2024, 6, 12))
