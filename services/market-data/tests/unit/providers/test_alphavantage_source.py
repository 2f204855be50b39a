"""The Alpha Vantage adapter against recorded answers in its documented formats."""

from __future__ import annotations

import logging
import math
from datetime import UTC, date, datetime

import httpx
import pytest

from eqr_market_data.adapters.providers import AlphaVantageSource, Resilience
from eqr_market_data.app.ports import (
    MarketDataSource,
    NotFoundAtSource,
    NotSupported,
    RateLimited,
    SourceError,
)
from eqr_market_data.domain.errors import InvalidRequest
from eqr_market_data.domain.model import ActionKind, AssetClass, Interval, Period, Source
from eqr_platform.resilience import CircuitBreaker, RateLimiter

PROVIDER = "alphavantage"
NOW = datetime(2024, 2, 12, 23, 0, tzinfo=UTC)


def av_route(request: httpx.Request) -> str:
    params = request.url.params
    return f"{params['function']}:{params.get('symbol', params.get('tickers', ''))}"


@pytest.fixture
def clock(make_clock):
    return make_clock(NOW)


@pytest.fixture
def av(recorded):
    def answer(name: str = "", **kwargs):
        return recorded(PROVIDER, name, **kwargs)

    return answer


@pytest.fixture
def build(replay, clock, api_key):
    def make(routes, *, premium=False, resilience=None):
        served = replay(av_route, routes)
        source = AlphaVantageSource(
            served.client(), api_key, premium=premium, resilience=resilience, clock=clock, sleep=clock.sleep
        )
        return source, served

    return make


@pytest.fixture
def roomy(clock):
    """Limits out of the way, a breaker that opens after 3 failed calls."""
    return Resilience(
        limiter=RateLimiter(1000, 1, clock=clock, sleep=clock.sleep),
        breaker=CircuitBreaker(failure_threshold=3, cool_down=60, clock=clock),
    )


def test_it_is_a_market_data_source(build) -> None:
    source, _ = build({})
    typed: MarketDataSource = source
    assert typed.name == Source.ALPHA_VANTAGE == "alphavantage"


def test_an_api_key_is_required(clock) -> None:
    with pytest.raises(ValueError, match="API key"):
        AlphaVantageSource(httpx.AsyncClient(), "")


# --- happy paths -----------------------------------------------------------------------------


async def test_quote_from_global_quote(build, av, api_key) -> None:
    source, served = build({"GLOBAL_QUOTE:IBM": av("global_quote_ibm.json")})
    [quote] = await source.quotes([" ibm "])
    assert quote.symbol == "IBM"
    assert (quote.price, quote.open, quote.high, quote.low) == (186.34, 184.44, 187.18, 183.85)
    assert quote.previous_close == 184.36
    assert quote.volume == 5_064_641
    assert isinstance(quote.volume, int)
    assert quote.timestamp == datetime(2024, 2, 9, 21, 0, tzinfo=UTC)  # 16:00 New York
    assert quote.source == "alphavantage"
    assert served.params() == {"function": "GLOBAL_QUOTE", "symbol": "IBM", "apikey": api_key}
    assert served.requests[0].url.host == "www.alphavantage.co"
    assert served.requests[0].url.path == "/query"


async def test_quote_time_is_now_while_its_trading_day_runs(build, av, clock) -> None:
    clock.now = datetime(2024, 2, 9, 17, 30, tzinfo=UTC).timestamp()
    source, _ = build({"GLOBAL_QUOTE:IBM": av("global_quote_ibm.json")})
    [quote] = await source.quotes(["IBM"])
    assert quote.timestamp == datetime(2024, 2, 9, 17, 30, tzinfo=UTC)


async def test_unknown_symbols_are_left_out_of_batch_quotes(build, av) -> None:
    source, served = build(
        {
            "GLOBAL_QUOTE:NOPE": av("global_quote_unknown.json"),
            "GLOBAL_QUOTE:IBM": av("global_quote_ibm.json"),
        }
    )
    quotes = await source.quotes(["NOPE", "IBM", "ibm"])
    assert [quote.symbol for quote in quotes] == ["IBM"]
    assert len(served.requests) == 2


async def test_daily_bars_are_raw_oldest_first_at_midnight_utc(build, av) -> None:
    source, served = build({"TIME_SERIES_DAILY:IBM": av("time_series_daily_ibm.json")})
    bars = await source.daily_bars("IBM", date(2024, 2, 6), date(2024, 2, 9))
    assert [bar.start for bar in bars] == [datetime(2024, 2, day, tzinfo=UTC) for day in (6, 7, 8, 9)]
    first = bars[0]
    assert (first.open, first.high, first.low, first.close, first.volume) == (
        183.55,
        184.68,
        183.04,
        183.41,
        3_338_196,
    )
    assert all(bar.interval is Interval.D1 and bar.source == "alphavantage" for bar in bars)
    assert served.params()["outputsize"] == "compact"


async def test_daily_bars_ask_for_the_full_series_when_the_start_is_old(build, av) -> None:
    source, served = build({"TIME_SERIES_DAILY:IBM": av("time_series_daily_ibm.json")})
    assert len(await source.daily_bars("IBM", date(2020, 1, 1), date(2024, 2, 12))) == 6
    assert served.params()["outputsize"] == "full"


async def test_premium_daily_bars_use_the_adjusted_series_but_stay_raw(build, av) -> None:
    source, served = build(
        {"TIME_SERIES_DAILY_ADJUSTED:NVDA": av("time_series_daily_adjusted_nvda.json")}, premium=True
    )
    bars = await source.daily_bars("NVDA", date(2024, 6, 7), date(2024, 6, 10))
    assert [(bar.start.date(), bar.close, bar.volume) for bar in bars] == [
        (date(2024, 6, 7), 1208.88, 41_238_580),
        (date(2024, 6, 10), 121.79, 314_162_700),
    ]
    assert served.params()["function"] == "TIME_SERIES_DAILY_ADJUSTED"


async def test_corporate_actions_come_from_the_adjusted_series(build, av) -> None:
    source, _ = build({"TIME_SERIES_DAILY_ADJUSTED:NVDA": av("time_series_daily_adjusted_nvda.json")})
    actions = await source.corporate_actions("NVDA")
    assert [(a.ex_date, a.kind, a.split_ratio, a.dividend) for a in actions] == [
        (date(2024, 6, 10), ActionKind.SPLIT, 10.0, 0.0),
        (date(2024, 6, 11), ActionKind.DIVIDEND, 0.0, 0.01),
    ]
    assert all(action.source == "alphavantage" for action in actions)


async def test_intraday_times_are_read_in_the_series_time_zone(build, av) -> None:
    source, served = build({"TIME_SERIES_INTRADAY:IBM": av("time_series_intraday_5min_ibm.json")})
    bars = await source.intraday_bars(
        "IBM", Interval.M5, datetime(2024, 2, 9, 20, 0, tzinfo=UTC), datetime(2024, 2, 9, 21, 0, tzinfo=UTC)
    )
    # 15:45..15:55 US/Eastern (EST, UTC-5).
    assert [bar.start for bar in bars] == [
        datetime(2024, 2, 9, 20, minute, tzinfo=UTC) for minute in (45, 50, 55)
    ]
    assert bars[-1].close == 186.34
    assert bars[-1].volume == 412_355
    assert all(bar.interval is Interval.M5 for bar in bars)
    assert served.params() == served.params() | {
        "interval": "5min",
        "month": "2024-02",
        "outputsize": "full",
        "adjusted": "false",
        "extended_hours": "false",
    }


async def test_intraday_asks_one_month_per_request(build, av) -> None:
    source, served = build({"TIME_SERIES_INTRADAY:IBM": av("time_series_intraday_5min_ibm.json")})
    bars = await source.intraday_bars(
        "IBM", Interval.M5, datetime(2024, 1, 30, tzinfo=UTC), datetime(2024, 2, 9, 23, tzinfo=UTC)
    )
    assert [served.params(i)["month"] for i in range(2)] == ["2024-01", "2024-02"]
    assert len(bars) == 5  # the same recorded month twice, merged by bar start


async def test_intraday_rejects_what_it_cannot_serve_without_asking(build) -> None:
    source, served = build({})
    start, end = datetime(2023, 1, 1, tzinfo=UTC), datetime(2024, 2, 1, tzinfo=UTC)
    with pytest.raises(NotSupported, match="month"):
        await source.intraday_bars("IBM", Interval.M5, start, end)
    with pytest.raises(InvalidRequest) as bad_interval:
        await source.intraday_bars("IBM", Interval.D1, start, end)
    assert bad_interval.value.field == "interval"
    with pytest.raises(InvalidRequest) as naive:
        await source.intraday_bars("IBM", Interval.M5, datetime(2024, 2, 1), end)
    assert naive.value.field == "start"
    assert served.requests == []


async def test_instrument_from_overview(build, av) -> None:
    source, _ = build({"OVERVIEW:IBM": av("overview_ibm.json")})
    instrument = await source.instrument("ibm")
    assert instrument.symbol == "IBM"
    assert instrument.name == "International Business Machines"
    assert (instrument.exchange, instrument.currency, instrument.country) == ("NYSE", "USD", "US")
    assert instrument.asset_class is AssetClass.EQUITY
    assert (instrument.sector, instrument.industry) == ("TECHNOLOGY", "COMPUTER & OFFICE EQUIPMENT")
    assert instrument.shares_outstanding == 915_013_000
    assert instrument.source == "alphavantage"


async def test_annual_fundamentals_merge_the_three_statements_newest_first(build, av) -> None:
    source, served = build(
        {
            "INCOME_STATEMENT:IBM": av("income_statement_ibm.json"),
            "BALANCE_SHEET:IBM": av("balance_sheet_ibm.json"),
            "CASH_FLOW:IBM": av("cash_flow_ibm.json"),
        }
    )
    latest, previous = await source.fundamentals("IBM", Period.ANNUAL)
    assert (latest.fiscal_date, previous.fiscal_date) == (date(2023, 12, 31), date(2022, 12, 31))
    assert latest.period is Period.ANNUAL
    assert latest.currency == "USD"
    assert latest.source == "alphavantage"
    assert latest.revenue == 61_860_000_000
    assert latest.net_income == 7_502_000_000
    assert latest.ebitda == 14_693_000_000
    assert latest.total_assets == 135_241_000_000
    assert latest.total_debt == 56_548_000_000
    assert latest.shares_outstanding == 913_000_000
    assert latest.operating_cash_flow == 13_931_000_000
    assert latest.free_cash_flow == 13_931_000_000 - 1_763_000_000
    assert latest.dividends_paid == 6_040_000_000
    assert math.isnan(latest.eps_diluted)
    assert [served.params(i)["function"] for i in range(3)] == [
        "INCOME_STATEMENT",
        "BALANCE_SHEET",
        "CASH_FLOW",
    ]


async def test_quarterly_fundamentals_keep_absent_figures_as_nan(build, av) -> None:
    source, _ = build(
        {
            "INCOME_STATEMENT:IBM": av("income_statement_ibm.json"),
            "BALANCE_SHEET:IBM": av("balance_sheet_ibm.json"),
            "CASH_FLOW:IBM": av("cash_flow_ibm.json"),
        }
    )
    quarters = await source.fundamentals("IBM", Period.QUARTERLY)
    assert [quarter.fiscal_date for quarter in quarters] == [date(2023, 12, 31), date(2023, 9, 30)]
    assert math.isnan(quarters[0].interest_expense)
    assert math.isnan(quarters[0].dividends_paid)
    assert quarters[1].interest_expense == 425_000_000


async def test_search_keeps_equities_and_etfs_in_the_providers_order(build, av) -> None:
    source, served = build({"SYMBOL_SEARCH:": av("symbol_search_tesco.json")})
    found = await source.search(" tesco ", 3)
    assert [(i.symbol, i.currency, i.country) for i in found] == [
        ("TSCO.LON", "GBX", "GB"),
        ("TSCDF", "USD", "US"),
        ("TSCDY", "USD", "US"),
    ]
    assert served.params()["keywords"] == "tesco"
    everything = await source.search("tesco", 10)
    assert "0P0000Y5GX.LON" not in [i.symbol for i in everything]  # a mutual fund


async def test_search_without_keywords_asks_nothing(build) -> None:
    source, served = build({})
    assert await source.search("   ", 10) == []
    with pytest.raises(InvalidRequest):
        await source.search("x" * 101, 10)
    assert served.requests == []


async def test_symbol_news_carry_that_symbols_sentiment_newest_first(build, av) -> None:
    source, served = build({"NEWS_SENTIMENT:IBM": av("news_sentiment_ibm.json")})
    items = await source.news("ibm", 2)
    assert [item.published_at for item in items] == [
        datetime(2024, 2, 9, 20, 10, tzinfo=UTC),
        datetime(2024, 2, 9, 18, 30, tzinfo=UTC),
    ]
    deal = items[1]
    assert deal.sentiment == pytest.approx(0.402113)
    assert deal.symbols == ("IBM", "MSFT")
    assert deal.publisher == "Example Wire"
    assert deal.url == "https://news.example.com/2024/02/09/ibm-cloud-deal"
    assert deal.id.startswith("alphavantage:")
    assert deal.source == "alphavantage"
    assert served.params() | {"apikey": ""} == {
        "function": "NEWS_SENTIMENT",
        "tickers": "IBM",
        "sort": "LATEST",
        "limit": "2",
        "apikey": "",
    }


async def test_market_news_carry_the_overall_sentiment(build, av) -> None:
    source, served = build({"NEWS_SENTIMENT:": av("news_sentiment_ibm.json")})
    items = await source.news(None, 10)
    assert len(items) == 3
    mainframe = next(item for item in items if "Mainframe" in item.headline)
    assert mainframe.sentiment == pytest.approx(-0.102245)
    assert mainframe.symbols == ("IBM",)  # FOREX:USD is no symbol of ours
    assert "tickers" not in served.params()


# --- error shapes ----------------------------------------------------------------------------


async def test_error_message_means_an_unknown_symbol(build, av, api_key) -> None:
    source, _ = build({"TIME_SERIES_DAILY:ZZZZ": av("error_invalid_call.json")})
    with pytest.raises(NotFoundAtSource) as unknown:
        await source.daily_bars("ZZZZ", date(2024, 2, 1), date(2024, 2, 9))
    assert api_key not in str(unknown.value)


async def test_an_empty_object_means_an_unknown_symbol(build, av) -> None:
    source, _ = build({"OVERVIEW:ZZZZ": av("empty.json")})
    with pytest.raises(NotFoundAtSource):
        await source.instrument("ZZZZ")


async def test_a_rejected_key_is_a_source_error_not_an_unknown_symbol(build, av, api_key) -> None:
    source, _ = build({"OVERVIEW:IBM": av("error_invalid_apikey.json")})
    with pytest.raises(SourceError) as rejected:
        await source.instrument("IBM")
    assert not isinstance(rejected.value, NotFoundAtSource)
    assert "API key was rejected" in str(rejected.value)
    assert api_key not in str(rejected.value)


async def test_premium_only_functions_are_not_supported_on_a_free_key(build, av, roomy) -> None:
    source, _ = build(
        {"TIME_SERIES_DAILY_ADJUSTED:NVDA": av("information_premium_endpoint.json")}, resilience=roomy
    )
    for _ in range(4):
        with pytest.raises(NotSupported, match="premium"):
            await source.corporate_actions("NVDA")
    assert roomy.breaker.state == "closed"


async def test_a_frequency_note_is_rate_limited_and_pauses_the_limiter(build, av, clock) -> None:
    source, served = build(
        {"GLOBAL_QUOTE:IBM": [av("note_call_frequency.json"), av("global_quote_ibm.json")]}
    )
    with pytest.raises(RateLimited) as limited:
        await source.quotes(["IBM"])
    assert limited.value.retry_after == 60
    with pytest.raises(RateLimited):
        await source.quotes(["IBM"])
    assert len(served.requests) == 1
    clock.advance(60)
    assert len(await source.quotes(["IBM"])) == 1


async def test_the_daily_limit_message_spends_the_budget_until_the_next_utc_day(build, av, clock) -> None:
    source, served = build(
        {"GLOBAL_QUOTE:IBM": [av("information_daily_limit.json"), av("global_quote_ibm.json")]}
    )
    with pytest.raises(RateLimited) as limited:
        await source.quotes(["IBM"])
    assert limited.value.retry_after == pytest.approx(3600)  # 23:00 UTC -> midnight
    with pytest.raises(RateLimited, match="daily budget"):
        await source.quotes(["IBM"])
    assert len(served.requests) == 1
    clock.advance(3600)
    assert len(await source.quotes(["IBM"])) == 1


async def test_the_burst_message_is_a_short_pause_not_a_premium_refusal(build, av, clock) -> None:
    source, served = build(
        {"GLOBAL_QUOTE:IBM": [av("information_burst_limit.json"), av("global_quote_ibm.json")]}
    )
    with pytest.raises(RateLimited) as limited:
        await source.quotes(["IBM"])
    assert limited.value.retry_after == 1.0
    clock.advance(1.0)
    assert len(await source.quotes(["IBM"])) == 1
    assert len(served.requests) == 2


async def test_the_default_limiter_is_the_free_plan(build, av, clock) -> None:
    source, served = build({"GLOBAL_QUOTE:IBM": av("global_quote_ibm.json")})
    clock.now = datetime(2024, 2, 12, 9, 0, tzinfo=UTC).timestamp()
    for _ in range(5):
        await source.quotes(["IBM"])
    with pytest.raises(RateLimited) as per_minute:
        await source.quotes(["IBM"])
    assert per_minute.value.retry_after == pytest.approx(12)
    for _ in range(20):
        clock.advance(12)
        await source.quotes(["IBM"])
    clock.advance(60)
    with pytest.raises(RateLimited, match="daily budget of 25"):
        await source.quotes(["IBM"])
    assert len(served.requests) == 25


# --- resilience ------------------------------------------------------------------------------


async def test_a_5xx_is_retried_with_backoff(build, av, clock) -> None:
    source, served = build(
        {"GLOBAL_QUOTE:IBM": [av(status=503, body=b"Service Unavailable"), av("global_quote_ibm.json")]}
    )
    [quote] = await source.quotes(["IBM"])
    assert quote.price == 186.34
    assert len(served.requests) == 2
    assert len(clock.sleeps) == 1
    assert 0 <= clock.sleeps[0] <= 0.25


async def test_a_timeout_is_retried(build, av) -> None:
    source, served = build({"OVERVIEW:IBM": [httpx.ReadTimeout("read timed out"), av("overview_ibm.json")]})
    assert (await source.instrument("IBM")).symbol == "IBM"
    assert len(served.requests) == 2


async def test_repeated_failures_open_the_circuit_until_the_cool_down(build, av, clock, roomy) -> None:
    source, served = build(
        {"OVERVIEW:IBM": [av(status=500, body=b"")] * 9 + [av("overview_ibm.json")]}, resilience=roomy
    )
    for _ in range(3):
        with pytest.raises(SourceError, match="HTTP 500"):
            await source.instrument("IBM")
    assert len(served.requests) == 9  # three attempts per call
    with pytest.raises(SourceError, match="circuit open"):
        await source.instrument("IBM")
    assert len(served.requests) == 9
    clock.advance(60)
    assert (await source.instrument("IBM")).symbol == "IBM"
    assert roomy.breaker.state == "closed"


async def test_unknown_symbols_do_not_count_against_the_circuit(build, av, roomy) -> None:
    source, _ = build({"OVERVIEW:ZZZZ": av("empty.json")}, resilience=roomy)
    for _ in range(5):
        with pytest.raises(NotFoundAtSource):
            await source.instrument("ZZZZ")
    assert roomy.breaker.state == "closed"


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("GLOBAL_QUOTE:IBM", b"<html><body>Bad gateway page</body></html>"),
        ("GLOBAL_QUOTE:IBM", b"[1, 2, 3]"),
        ("GLOBAL_QUOTE:IBM", b'{"Global Quote": []}'),
        ("GLOBAL_QUOTE:IBM", b'{"Global Quote": {"01. symbol": "IBM", "05. price": "n/a"}}'),
        ("GLOBAL_QUOTE:IBM", b'{"Something Else": {}}'),
    ],
)
async def test_malformed_quotes_are_source_errors(build, av, route, body) -> None:
    source, _ = build({route: av(body=body)})
    with pytest.raises(SourceError) as malformed:
        await source.quotes(["IBM"])
    assert type(malformed.value) is SourceError


@pytest.mark.parametrize(
    "body",
    [
        b'{"Time Series (Daily)": {"2024-02-09": {"1. open": "1"}}}',
        b'{"Time Series (Daily)": {"yesterday": {"1. open": "1", "2. high": "1", "3. low": "1", '
        b'"4. close": "1", "5. volume": "1"}}}',
        b'{"Time Series (Daily)": {"2024-02-09": {"1. open": "1", "2. high": "1", "3. low": "1", '
        b'"4. close": "1", "5. volume": "-5"}}}',
        b'{"Time Series (Daily)": {"2024-02-09": {"1. open": "Infinity", "2. high": "1", "3. low": "1", '
        b'"4. close": "1", "5. volume": "5"}}}',
        b'{"Time Series (Daily)": "none"}',
    ],
)
async def test_malformed_daily_series_are_source_errors(build, av, body) -> None:
    source, _ = build({"TIME_SERIES_DAILY:IBM": av(body=body)})
    with pytest.raises(SourceError, match="malformed TIME_SERIES_DAILY"):
        await source.daily_bars("IBM", date(2024, 2, 1), date(2024, 2, 9))


async def test_malformed_intraday_time_zone_is_a_source_error(build, av) -> None:
    body = b'{"Meta Data": {"6. Time Zone": "Mars/Olympus"}, "Time Series (5min)": {}}'
    source, _ = build({"TIME_SERIES_INTRADAY:IBM": av(body=body)})
    with pytest.raises(SourceError, match="time zone"):
        await source.intraday_bars(
            "IBM", Interval.M5, datetime(2024, 2, 9, tzinfo=UTC), datetime(2024, 2, 9, 23, tzinfo=UTC)
        )


async def test_hostile_symbols_never_reach_the_provider(build) -> None:
    source, served = build({})
    for hostile in ("../etc/passwd", "IBM&apikey=x", "", "A" * 16):
        with pytest.raises(InvalidRequest):
            await source.instrument(hostile)
    assert served.requests == []


async def test_the_api_key_appears_in_no_error_and_no_log_line(build, av, api_key, caplog, roomy) -> None:
    caplog.set_level(logging.DEBUG)
    source, _ = build(
        {
            "OVERVIEW:IBM": av("error_invalid_apikey.json"),
            "OVERVIEW:ZZZZ": av("error_invalid_call.json"),
            "GLOBAL_QUOTE:IBM": [httpx.ConnectError(f"connection refused for apikey={api_key}")] * 3,
            "TIME_SERIES_DAILY:IBM": av(body=b"garbage"),
            "NEWS_SENTIMENT:IBM": av("note_call_frequency.json"),
        },
        resilience=roomy,
    )
    calls = [
        source.instrument("IBM"),
        source.instrument("ZZZZ"),
        source.quotes(["IBM"]),
        source.daily_bars("IBM", date(2024, 2, 1), date(2024, 2, 9)),
        source.news("IBM", 5),
    ]
    messages = []
    for call in calls:
        with pytest.raises(SourceError) as failed:
            await call
        messages.append(str(failed.value))
    assert all(api_key not in message for message in messages)
    assert "***" in messages[2]
    assert "HTTP Request" in caplog.text  # httpx logged each URL ...
    assert api_key not in caplog.text  # ... with the key scrubbed
