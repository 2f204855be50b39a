"""Every knob of the market-data service, as an env var with a safe default.

A source list the service cannot honour is a start-up error, not a silent fallback (ADR 16):
an unknown or repeated name, a provider listed without its API key, a base URL that is not
an http(s) URL.
"""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import NoDecode, SettingsConfigDict

from eqr_platform.settings import ServiceSettings

KNOWN_SOURCES = ("simulator", "alphavantage", "yahoo", "finnhub")
NEEDS_API_KEY = ("alphavantage", "finnhub")


class MarketDataSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="MARKET_DATA_", extra="ignore", frozen=True)

    service_name: str = Field("market-data", validation_alias="SERVICE_NAME")
    grpc_port: int = Field(50052, ge=0, le=65535, validation_alias="GRPC_PORT")
    http_port: int = Field(9092, ge=0, le=65535, validation_alias="HTTP_PORT")

    auth_addr: str = Field("127.0.0.1:50051", validation_alias="AUTH_ADDR")
    """The auth service, whose JWKS verifies the admin calls' tokens."""

    sources: Annotated[tuple[str, ...], NoDecode] = ("simulator",)
    """Ordered: the first source that answers serves; the response names it. The simulator's
    live market (back-fill, ticker, published quotes) runs only when it is first."""

    simulator_seed: int = 42
    simulator_history_years: int = Field(10, ge=1, le=15)
    tick_interval_seconds: float = Field(1.0, gt=0, le=60)
    tick_spread: float = Field(0.9, ge=0, lt=1)
    """The fraction of each tick interval over which its quotes go out, one symbol at a time,
    each stamped when sent (0: all at once)."""
    calendar_mode: Literal["always", "nyse"] = "always"
    """``always`` ticks at any hour (a newcomer sees prices move); ``nyse`` only in NYSE sessions."""

    quote_max_age_seconds: float = Field(60.0, gt=0)
    """A quote older than this is stale: the next source is tried, or it is served flagged."""
    quote_cache_ttl_ms: int = Field(2000, gt=0)
    history_cache_ttl_seconds: int = Field(300, gt=0)
    overview_cache_ttl_ms: int = Field(2000, gt=0)
    """The market snapshot in Redis; the ticker replaces it every second while it ticks."""
    quote_store_interval_seconds: float = Field(5.0, gt=0)
    """How often live quotes are written to PostgreSQL (they are in Redis at once)."""
    max_batch_symbols: int = Field(500, ge=1)
    news_refresh_minutes: float = Field(60.0, gt=0)
    """Stored news of a symbol (or the market) asks the sources again after this long."""
    fundamentals_refresh_hours: float = Field(24.0, gt=0)
    """Stored statements of a symbol ask the sources again after this long."""
    instrument_refresh_hours: float = Field(24.0, gt=0)
    """An instrument described by a source other than the first asks the sources again after this long."""

    alphavantage_api_key: SecretStr | None = None
    alphavantage_base_url: str = "https://www.alphavantage.co"
    yahoo_api_key: SecretStr | None = None
    yahoo_base_url: str = "https://query1.finance.yahoo.com"
    finnhub_api_key: SecretStr | None = None
    finnhub_base_url: str = "https://finnhub.io/api/v1"

    @field_validator("sources", mode="before")
    @classmethod
    def _split_sources(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(part.strip().lower() for part in value.split(",") if part.strip())
        return value

    @field_validator("sources")
    @classmethod
    def _known_sources(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [name for name in value if name not in KNOWN_SOURCES]
        if unknown or not value:
            raise ValueError(
                f"MARKET_DATA_SOURCES must list some of {', '.join(KNOWN_SOURCES)}; got {','.join(value)!r}"
            )
        repeated = sorted({name for name in value if value.count(name) > 1})
        if repeated:
            raise ValueError(f"MARKET_DATA_SOURCES lists {', '.join(repeated)} more than once")
        return value

    @field_validator("alphavantage_base_url", "yahoo_base_url", "finnhub_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL; got {value!r}")
        return value

    @model_validator(mode="after")
    def _keys_of_listed_providers(self) -> MarketDataSettings:
        missing = [name for name in self.sources if name in NEEDS_API_KEY and not self.api_key(name)]
        if missing:
            needed = ", ".join(f"MARKET_DATA_{name.upper()}_API_KEY" for name in missing)
            raise ValueError(
                f"MARKET_DATA_SOURCES lists {', '.join(missing)} but {needed} is not set: "
                "set the key or take the provider out of the list"
            )
        return self

    def api_key(self, provider: str) -> str:
        """The provider's API key ("" when unset or blank)."""
        secret: SecretStr | None = getattr(self, f"{provider}_api_key", None)
        return secret.get_secret_value().strip() if secret is not None else ""
