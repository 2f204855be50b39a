"""Every knob of the gateway, read from the environment (12-factor).

Gateway-specific knobs carry the ``GATEWAY_`` prefix; the fleet-wide ones (``REDIS_URL``,
``NATS_URL``, ``LOG_LEVEL``, ``AUTH_ADDR`` ...) keep their plain names.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", frozen=True)

    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)
    environment: Literal["dev", "prod"] = Field("dev", validation_alias="ENVIRONMENT")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    auth_addr: str = Field("127.0.0.1:50051", validation_alias="AUTH_ADDR")
    market_data_addr: str = Field("127.0.0.1:50052", validation_alias="MARKET_DATA_ADDR")
    portfolio_addr: str = Field("127.0.0.1:50053", validation_alias="PORTFOLIO_ADDR")
    options_addr: str = Field("127.0.0.1:50055", validation_alias="OPTIONS_ADDR")
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias="NATS_URL")
    otel_exporter_otlp_endpoint: str | None = Field(None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")

    # Proxies trusted for X-Forwarded-For/-Proto (comma list or "*"); unset trusts none, so the
    # client address the services see is the TCP peer.
    forwarded_allow_ips: str | None = None
    cors_origins: Annotated[tuple[str, ...], NoDecode] = ()
    max_body_bytes: int = Field(1024 * 1024, gt=0)
    # End-of-day files are larger than any JSON body: the import route alone gets this limit.
    max_import_bytes: int = Field(20 * 1024 * 1024, gt=0)
    # A portfolio's transaction file (100,000 CSV rows are about 6 MB) or whole portfolio document.
    max_transaction_import_bytes: int = Field(8 * 1024 * 1024, gt=0)
    # The option pricing routes' batches: 10,000 rows of JSON are about 1.2 MB.
    max_options_body_bytes: int = Field(4 * 1024 * 1024, gt=0)
    # The most option rows one price, Greeks or implied-vol request may carry (more: 422).
    options_max_rows: int = Field(10_000, gt=0, le=1_000_000)
    security_headers: bool = True
    # Strict-Transport-Security max-age; 0 leaves the header off (set it behind TLS only).
    hsts_seconds: int = Field(0, ge=0)
    idempotency_ttl_seconds: int = Field(86_400, gt=0)
    # How long an Idempotency-Key stays locked while its first request is still running.
    idempotency_lock_seconds: int = Field(60, gt=0)
    # Access tokens live 15 minutes; a revoked session is denied a little longer than that.
    revoked_session_ttl_seconds: int = Field(15 * 60 + 60, gt=0)
    upstream_timeout_seconds: float = Field(5.0, gt=0)
    # File imports validate and write up to 100,000 rows in one call: they get longer.
    import_timeout_seconds: float = Field(60.0, gt=0)
    # How long a quote read from the market-data service is served from Redis (and a history
    # reply whose window reaches today, which ends with the live bar).
    quote_cache_ttl_ms: int = Field(500, gt=0)
    # How long a history reply of closed days only is served from Redis (new bars drop it sooner).
    history_cache_ttl_seconds: int = Field(300, gt=0)
    # The WebSocket (docs/websocket.md): deadlines, heartbeats and per-socket limits.
    ws_auth_timeout_seconds: float = Field(5.0, gt=0)
    ws_heartbeat_seconds: float = Field(15.0, gt=0)
    ws_idle_timeout_seconds: float = Field(60.0, gt=0)
    ws_max_subscriptions: int = Field(200, gt=0, le=10_000)
    ws_max_message_bytes: int = Field(16 * 1024, gt=0)
    ws_messages_per_second: float = Field(20.0, gt=0)
    ws_message_burst: int = Field(40, gt=0)

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(origin.strip() for origin in value.split(",") if origin.strip())
        return value
