"""Settings shared by every service process: twelve-factor, env vars only.

The common knobs keep their plain names (``DATABASE_URL``, ``GRPC_PORT`` ...) whatever the
service; a service's own knobs carry its prefix (``AUTH_...``) through ``env_prefix`` on the
subclass, which ``validation_alias`` on the common fields overrides.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore", frozen=True)

    service_name: str = Field("eqr", validation_alias="SERVICE_NAME")
    environment: Literal["dev", "prod"] = Field("dev", validation_alias="ENVIRONMENT")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    database_url: str = Field(
        "postgresql+psycopg://postgres@127.0.0.1:5432/eqr", validation_alias="DATABASE_URL"
    )
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias="NATS_URL")
    redis_url: str = Field("redis://127.0.0.1:6379/0", validation_alias="REDIS_URL")
    grpc_port: int = Field(50051, ge=0, le=65535, validation_alias="GRPC_PORT")
    http_port: int = Field(9090, ge=0, le=65535, validation_alias="HTTP_PORT")
    migrate_on_start: bool = Field(True, validation_alias="MIGRATE_ON_START")
    otel_exporter_otlp_endpoint: str | None = Field(None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    shutdown_grace_seconds: float = Field(10.0, gt=0, validation_alias="SHUTDOWN_GRACE_SECONDS")

    @property
    def is_dev(self) -> bool:
        return self.environment == "dev"
