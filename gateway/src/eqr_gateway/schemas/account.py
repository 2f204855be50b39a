"""The signed-in user's own profile, preferences, sessions and API keys."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, StringConstraints
from pydantic_core import PydanticCustomError

from eqr_gateway.schemas.fields import Email, FullName, RequestModel

Theme = Literal["light", "dark", "system"]
TimeZone = Annotated[
    str,
    StringConstraints(max_length=64, pattern=r"^[A-Za-z][A-Za-z0-9_+\-]*(/[A-Za-z0-9_+\-]+){0,3}$"),
    Field(description="IANA time zone.", examples=["Europe/London"]),
]
Currency = Annotated[
    str, StringConstraints(pattern=r"^[A-Z]{3}$"), Field(description="ISO 4217 code.", examples=["USD"])
]
Locale = Annotated[
    str,
    StringConstraints(max_length=35, pattern=r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8}){0,4}$"),
    Field(description="BCP 47 language tag.", examples=["en-US"]),
]
Symbol = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9.^=:\-]{1,32}$")]
Scope = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_.:\-]{0,63}$")]
MAX_LAYOUT_BYTES = 64 * 1024


def _bounded_layout(layout: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(layout, separators=(",", ":"))) > MAX_LAYOUT_BYTES:
        raise PydanticCustomError(
            "too_long", "dashboard layout is larger than {limit} bytes", {"limit": MAX_LAYOUT_BYTES}
        )
    return layout


class UpdateMeRequest(RequestModel):
    """Only the fields present change; absent (or null) fields keep their value."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"full_name": "Ada King"}]})

    full_name: FullName | None = None
    email: Email | None = None


class Preferences(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "theme": "dark",
                    "timezone": "Europe/London",
                    "currency": "GBP",
                    "locale": "en-GB",
                    "watchlist": ["AAPL", "MSFT", "^GSPC"],
                    "dashboard_layout": {"widgets": ["watchlist", "movers"]},
                }
            ]
        }
    )

    theme: Theme
    timezone: str
    currency: str
    locale: str
    watchlist: list[str]
    dashboard_layout: dict[str, Any] = Field(description="The frontend's own layout state, stored as given.")


class PreferencesUpdate(RequestModel):
    """Only the fields present are replaced; absent (or null) fields keep their value."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"theme": "dark", "watchlist": ["AAPL", "NVDA"]}]}
    )

    theme: Theme | None = None
    timezone: TimeZone | None = None
    currency: Currency | None = None
    locale: Locale | None = None
    watchlist: Annotated[list[Symbol], Field(max_length=200)] | None = None
    dashboard_layout: Annotated[dict[str, Any], AfterValidator(_bounded_layout)] | None = None


class Session(BaseModel):
    id: UUID
    user_agent: str
    ip_address: str
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    current: bool = Field(description="True for the session of the token making this request.")


class SessionList(BaseModel):
    items: list[Session]


class ApiKey(BaseModel):
    id: UUID
    name: str
    prefix: str = Field(
        description="The first characters of the key, safe to display.", examples=["eqr_ab12cd"]
    )
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class ApiKeyList(BaseModel):
    items: list[ApiKey]


def _in_future(moment: datetime) -> datetime:
    if moment <= datetime.now(UTC):
        raise PydanticCustomError("past", "must be in the future")
    return moment


class CreateApiKeyRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"name": "nightly export", "scopes": ["portfolio:read"], "expires_at": "2026-12-31T00:00:00Z"}
            ]
        }
    )

    name: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    scopes: Annotated[list[Scope], Field(max_length=32)] = Field(default_factory=list)
    expires_at: Annotated[AwareDatetime, AfterValidator(_in_future)] | None = Field(
        None, description="When the key stops working; null for a key that does not expire."
    )


class CreatedApiKey(ApiKey):
    secret: str = Field(
        description="The full key. Shown exactly once: store it now.", examples=["eqr_ab12cd..."]
    )
