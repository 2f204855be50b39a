"""MARKET_DATA_SOURCES and the providers' settings: parsed from the environment, and a source
list the service cannot honour refused at start-up, naming what to fix (ADR 16)."""

from __future__ import annotations

import os

import pytest
from pydantic import ValidationError

from eqr_market_data.settings import MarketDataSettings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("MARKET_DATA_"):
            monkeypatch.delenv(name)


def test_the_simulator_alone_by_default() -> None:
    settings = MarketDataSettings()
    assert settings.sources == ("simulator",)
    assert settings.api_key("alphavantage") == ""


def test_the_order_is_read_as_written_case_and_spaces_aside(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKET_DATA_SOURCES", " AlphaVantage , simulator,YAHOO ")
    monkeypatch.setenv("MARKET_DATA_ALPHAVANTAGE_API_KEY", "AV-KEY")
    settings = MarketDataSettings()
    assert settings.sources == ("alphavantage", "simulator", "yahoo")
    assert settings.api_key("alphavantage") == "AV-KEY"
    assert "AV-KEY" not in repr(settings)


def test_keys_and_base_urls_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKET_DATA_SOURCES", "finnhub,alphavantage,yahoo")
    monkeypatch.setenv("MARKET_DATA_FINNHUB_API_KEY", "FH-KEY")
    monkeypatch.setenv("MARKET_DATA_ALPHAVANTAGE_API_KEY", "AV-KEY")
    monkeypatch.setenv("MARKET_DATA_FINNHUB_BASE_URL", "http://finnhub.proxy.internal:8080/api/v1")
    monkeypatch.setenv("MARKET_DATA_ALPHAVANTAGE_BASE_URL", "https://av.proxy.internal")
    monkeypatch.setenv("MARKET_DATA_YAHOO_BASE_URL", "http://127.0.0.1:9999")
    settings = MarketDataSettings()
    assert (settings.api_key("finnhub"), settings.api_key("alphavantage")) == ("FH-KEY", "AV-KEY")
    assert settings.finnhub_base_url == "http://finnhub.proxy.internal:8080/api/v1"
    assert settings.alphavantage_base_url == "https://av.proxy.internal"
    assert settings.yahoo_base_url == "http://127.0.0.1:9999"


@pytest.mark.parametrize(
    ("sources", "keys", "named"),
    [
        ("alphavantage", {}, "MARKET_DATA_ALPHAVANTAGE_API_KEY"),
        ("alphavantage,simulator", {}, "MARKET_DATA_ALPHAVANTAGE_API_KEY"),
        ("simulator,finnhub", {"MARKET_DATA_ALPHAVANTAGE_API_KEY": "AV"}, "MARKET_DATA_FINNHUB_API_KEY"),
        ("alphavantage", {"MARKET_DATA_ALPHAVANTAGE_API_KEY": "   "}, "MARKET_DATA_ALPHAVANTAGE_API_KEY"),
    ],
    ids=["alone", "with-a-fallback", "second", "blank-key"],
)
def test_a_listed_provider_without_its_key_is_a_start_up_error(
    monkeypatch: pytest.MonkeyPatch, sources: str, keys: dict[str, str], named: str
) -> None:
    monkeypatch.setenv("MARKET_DATA_SOURCES", sources)
    for name, value in keys.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as refused:
        MarketDataSettings()
    assert named in str(refused.value)
    assert "take the provider out of the list" in str(refused.value)


def test_a_key_is_needed_only_for_a_listed_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKET_DATA_SOURCES", "yahoo,simulator")
    assert MarketDataSettings().sources == ("yahoo", "simulator")


@pytest.mark.parametrize(
    ("sources", "message"),
    [
        ("iex,simulator", "must list some of"),
        ("", "must list some of"),
        (" , ", "must list some of"),
        ("simulator,yahoo,simulator", "lists simulator more than once"),
    ],
)
def test_an_unusable_source_list_is_refused(
    monkeypatch: pytest.MonkeyPatch, sources: str, message: str
) -> None:
    monkeypatch.setenv("MARKET_DATA_SOURCES", sources)
    with pytest.raises(ValidationError, match=message):
        MarketDataSettings()


@pytest.mark.parametrize("url", ["ftp://finnhub.io", "finnhub.io/api/v1", "https://", ""])
def test_a_base_url_must_be_an_http_url(monkeypatch: pytest.MonkeyPatch, url: str) -> None:
    monkeypatch.setenv("MARKET_DATA_FINNHUB_BASE_URL", url)
    with pytest.raises(ValidationError) as refused:
        MarketDataSettings()
    assert "finnhub_base_url" in str(refused.value)
