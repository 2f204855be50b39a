"""Every knob of the options service, as an env var with a safe default."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from eqr_platform.settings import ServiceSettings


class OptionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="OPTIONS_", extra="ignore", frozen=True)

    service_name: str = Field("options", validation_alias="SERVICE_NAME")
    grpc_port: int = Field(50055, ge=0, le=65535, validation_alias="GRPC_PORT")
    http_port: int = Field(9095, ge=0, le=65535, validation_alias="HTTP_PORT")

    auth_addr: str = Field("127.0.0.1:50051", validation_alias="AUTH_ADDR")
    """The auth service: its JWKS verifies the tokens of saved-strategy callers."""
    market_data_addr: str = Field("127.0.0.1:50052", validation_alias="MARKET_DATA_ADDR")

    risk_free_rate: float = Field(0.045, ge=-1.0, le=1.0)
    """Continuous rate the chains, valuations and strategy builds use, and batches that give none."""
    simulator_seed: int = Field(20_261_127, ge=0)
    """With the symbol and the date, seeds a chain's simulated volume, open interest and last prices."""
    max_batch_rows: int = Field(1_000_000, ge=1)
    """Rows one pricing, implied-vol or boundary batch may hold."""
    max_american_rows: int = Field(20_000, ge=1)
    """Rows of American style one batch may hold (each costs ~1,000x a European row with Greeks)."""
    max_positions: int = Field(10_000, ge=1)
    """Option positions one ValueOptionPositions call may value."""
    chain_cache_ttl_seconds: float = Field(1.0, ge=0.0)
    """How long a quoted chain (and its surface) is reused: one quote tick."""
    max_message_bytes: int = Field(256 * 1024 * 1024, ge=4 * 1024 * 1024)
    """Largest gRPC request or reply: a 1,000,000-row batch with every Greek is ~120 MB."""
    market_data_timeout_seconds: float = Field(5.0, gt=0)
