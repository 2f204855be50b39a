"""From MARKET_DATA_SOURCES to the chain: the sources in the configured order, each provider
with its key and base URL, and the simulator live only when it is first (ADR 16)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import httpx
import pytest

from eqr_market_data.adapters.providers import AlphaVantageSource, YahooSource
from eqr_market_data.adapters.simulator import SimulatorSource
from eqr_market_data.adapters.simulator_on_demand import OnDemandSimulator
from eqr_market_data.composition import configure_sources
from eqr_market_data.settings import MarketDataSettings


class _Clock:
    def now(self) -> datetime:
        return datetime(2024, 2, 9, 19, 0, tzinfo=UTC)


class _Calendar:
    def sessions(self, start: date, end: date) -> list[date]:
        return []

    def session_bounds(self, day: date) -> tuple[datetime, datetime]:
        raise AssertionError("not asked")

    def is_open(self, at: datetime) -> bool:
        return True


def _settings(**values: str) -> MarketDataSettings:
    """Settings from the variables an operator sets (``MARKET_DATA_SOURCES`` ...)."""
    return MarketDataSettings.model_validate(
        {name.removeprefix("MARKET_DATA_").lower(): value for name, value in values.items()}
    )


def _configure(settings: MarketDataSettings, http: httpx.AsyncClient | None = None):  # type: ignore[no-untyped-def]
    return configure_sources(
        settings,
        http or httpx.AsyncClient(),
        store=None,  # type: ignore[arg-type]  # nothing is stored while configuring
        calendar=_Calendar(),
        clock=_Clock(),
    )


def test_the_simulator_first_is_the_live_market() -> None:
    configured = _configure(_settings(MARKET_DATA_SOURCES="simulator,yahoo"))
    assert [type(s) for s in configured.sources] == [SimulatorSource, YahooSource]
    assert configured.live is configured.sources[0]
    assert configured.fallback is None


def test_the_simulator_after_a_provider_is_a_fallback_with_nothing_running() -> None:
    configured = _configure(
        _settings(MARKET_DATA_SOURCES="alphavantage,simulator", MARKET_DATA_ALPHAVANTAGE_API_KEY="AV")
    )
    assert [type(s) for s in configured.sources] == [AlphaVantageSource, OnDemandSimulator]
    assert [s.name for s in configured.sources] == ["alphavantage", "simulated"]
    assert configured.live is None
    assert configured.fallback is configured.sources[1]


def test_without_the_simulator_only_the_providers_serve() -> None:
    configured = _configure(
        _settings(
            MARKET_DATA_SOURCES="finnhub,yahoo,alphavantage",
            MARKET_DATA_FINNHUB_API_KEY="FH",
            MARKET_DATA_ALPHAVANTAGE_API_KEY="AV",
        )
    )
    assert [s.name for s in configured.sources] == ["finnhub", "yahoo", "alphavantage"]
    assert (configured.live, configured.fallback) == (None, None)


async def test_each_provider_calls_its_configured_base_url_with_its_key(recorded, api_key) -> None:
    seen: list[httpx.Request] = []
    answers = {
        "av.proxy.internal": recorded("alphavantage", "global_quote_ibm.json"),
        "fh.proxy.internal": recorded("finnhub", "quote_aapl.json"),
        "yahoo.proxy.internal": recorded("yahoo", "chart_nvda_quote.json"),
    }

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[request.url.host].response()

    settings = _settings(
        MARKET_DATA_SOURCES="alphavantage,finnhub,yahoo",
        MARKET_DATA_ALPHAVANTAGE_API_KEY=api_key,
        MARKET_DATA_ALPHAVANTAGE_BASE_URL="https://av.proxy.internal",
        MARKET_DATA_FINNHUB_API_KEY=api_key,
        MARKET_DATA_FINNHUB_BASE_URL="https://fh.proxy.internal/api/v1",
        MARKET_DATA_YAHOO_BASE_URL="http://yahoo.proxy.internal",
    )
    configured = _configure(settings, httpx.AsyncClient(transport=httpx.MockTransport(answer)))
    alphavantage, finnhub, yahoo = configured.sources
    assert [q.source for q in await alphavantage.quotes(["IBM"])] == ["alphavantage"]
    assert [q.source for q in await finnhub.quotes(["AAPL"])] == ["finnhub"]
    assert [q.source for q in await yahoo.quotes(["NVDA"])] == ["yahoo"]
    av, fh, yh = seen
    assert (av.url.host, av.url.path, av.url.params["apikey"]) == ("av.proxy.internal", "/query", api_key)
    assert (fh.url.host, fh.url.path, fh.headers["X-Finnhub-Token"]) == (
        "fh.proxy.internal",
        "/api/v1/quote",
        api_key,
    )
    assert (yh.url.scheme, yh.url.host, yh.url.path) == (
        "http",
        "yahoo.proxy.internal",
        "/v8/finance/chart/NVDA",
    )


def test_a_provider_without_its_key_never_reaches_the_chain() -> None:
    with pytest.raises(ValueError, match="MARKET_DATA_ALPHAVANTAGE_API_KEY"):
        _settings(MARKET_DATA_SOURCES="alphavantage")
