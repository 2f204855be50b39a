"""Every knob of the auth service, as an env var with a safe default."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from eqr_auth.app.dependencies import AuthConfig
from eqr_auth.domain.lockout import LockoutPolicy
from eqr_platform.settings import ServiceSettings


class AuthSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="AUTH_", extra="ignore", frozen=True)

    service_name: str = Field("auth", validation_alias="SERVICE_NAME")
    grpc_port: int = Field(50051, ge=0, le=65535, validation_alias="GRPC_PORT")
    http_port: int = Field(9091, ge=0, le=65535, validation_alias="HTTP_PORT")

    access_token_ttl_seconds: int = Field(900, ge=60, le=86_400)
    refresh_token_ttl_seconds: int = Field(7 * 86_400, ge=300)
    api_key_token_ttl_seconds: int = Field(900, ge=60, le=86_400)
    password_reset_ttl_seconds: int = Field(1800, ge=60)
    signing_key_max_age_days: int = Field(30, ge=1, description="the signer rotates after this age")

    lockout_account_limit: int = Field(5, ge=1)
    lockout_ip_limit: int = Field(20, ge=1)
    lockout_window_seconds: int = Field(900, ge=1)

    password_reset_url: str = "http://127.0.0.1:8000/reset-password?token={token}"
    mail_from: str = "Equity Research Platform <no-reply@eqr.local>"
    mail_dir: Path = Path(".data/mail")
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_starttls: bool = True

    demo_email: str | None = None
    demo_password: SecretStr | None = None

    def auth_config(self) -> AuthConfig:
        window = timedelta(seconds=self.lockout_window_seconds)
        return AuthConfig(
            access_token_ttl=timedelta(seconds=self.access_token_ttl_seconds),
            refresh_token_ttl=timedelta(seconds=self.refresh_token_ttl_seconds),
            api_key_token_ttl=timedelta(seconds=self.api_key_token_ttl_seconds),
            password_reset_ttl=timedelta(seconds=self.password_reset_ttl_seconds),
            lockout=LockoutPolicy(
                account_limit=self.lockout_account_limit,
                account_window=window,
                ip_limit=self.lockout_ip_limit,
                ip_window=window,
            ),
            password_reset_url=self.password_reset_url,
        )
