"""Every knob of the portfolio service, as an env var with a safe default."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eqr_platform.settings import ServiceSettings


class PortfolioSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="PORTFOLIO_", extra="ignore", frozen=True)

    service_name: str = Field("portfolio", validation_alias="SERVICE_NAME")
    grpc_port: int = Field(50053, ge=0, le=65535, validation_alias="GRPC_PORT")
    http_port: int = Field(9093, ge=0, le=65535, validation_alias="HTTP_PORT")

    auth_addr: str = Field("127.0.0.1:50051", validation_alias="AUTH_ADDR")
    """The auth service: its JWKS verifies callers' tokens; it resolves share invitees' emails."""
    market_data_addr: str = Field("127.0.0.1:50052", validation_alias="MARKET_DATA_ADDR")
    options_addr: str = Field("127.0.0.1:50055", validation_alias="OPTIONS_ADDR")
    """The options service: marks option holdings and reports their Greeks."""

    max_import_rows: int = Field(50_000, ge=1)
    """Rows one CSV import may hold; the whole file is refused beyond it."""
    max_transactions: int = Field(100_000, ge=1)
    """Ledger entries one portfolio may hold."""
    valuation_interval_ms: int = Field(1000, ge=50)
    """At most one live ``portfolio_update`` per portfolio per interval."""
