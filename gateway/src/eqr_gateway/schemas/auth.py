"""Sign-up, sign-in, tokens and passwords."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field
from pydantic.config import JsonDict

from eqr_gateway.schemas.fields import Email, FullName, NewPassword, Password, RequestModel, Role, Token

_USER_EXAMPLE: JsonDict = {
    "id": "0b8f1c2e-6d7a-4f0e-9a51-3c2d1e0f4a5b",
    "email": "ada@example.com",
    "full_name": "Ada Lovelace",
    "role": "analyst",
    "is_active": True,
    "created_at": "2025-01-02T09:30:00Z",
    "updated_at": "2025-01-02T09:30:00Z",
    "last_login_at": "2025-03-14T08:00:00Z",
}
_TOKENS_EXAMPLE: JsonDict = {
    "access_token": "eyJhbGciOiJFZERTQSIsImtpZCI6ImsxIn0...",
    "refresh_token": "rt_8dK3...",
    "token_type": "bearer",
    "expires_in": 900,
    "refresh_expires_in": 604800,
}


class User(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_USER_EXAMPLE]})

    id: UUID
    email: str
    full_name: str
    role: Role
    is_active: bool
    created_at: datetime
    updated_at: datetime
    last_login_at: datetime | None = Field(description="Null until the first login.")


class RegisterRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"email": "ada@example.com", "password": "correct horse battery", "full_name": "Ada Lovelace"}
            ]
        }
    )

    email: Email
    password: NewPassword
    full_name: FullName


class LoginRequest(RequestModel):
    """JSON login."""

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"email": "ada@example.com", "password": "s3cret!pass"}]}
    )

    email: Email
    password: Password


class LoginForm(BaseModel):
    """OAuth2 password grant (RFC 6749 §4.3), as sent by Swagger UI's Authorize dialog."""

    model_config = ConfigDict(extra="ignore")

    grant_type: Literal["password"] | None = None
    username: Email = Field(description="The account's email address.")
    password: Password
    scope: str = Field("", max_length=1000, description="Ignored: a token carries its user's role.")
    client_id: str | None = Field(None, max_length=200)
    client_secret: str | None = Field(None, max_length=200)


class TokenResponse(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [_TOKENS_EXAMPLE]})

    access_token: str = Field(description="EdDSA-signed JWT, sent as `Authorization: Bearer <token>`.")
    refresh_token: str = Field(description="Single use: each refresh returns a new one.")
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_expires_in: int = Field(description="Seconds until the refresh token expires.")


class LoginResponse(TokenResponse):
    model_config = ConfigDict(json_schema_extra={"examples": [{**_TOKENS_EXAMPLE, "user": _USER_EXAMPLE}]})

    user: User


class RefreshRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"refresh_token": "rt_8dK3..."}]})

    refresh_token: Token


class ForgotPasswordRequest(RequestModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"email": "ada@example.com"}]})

    email: Email


class ResetPasswordRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"token": "pr_Yk2...", "new_password": "a much longer passphrase"}]}
    )

    token: Token
    new_password: NewPassword


class ChangePasswordRequest(RequestModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"current_password": "s3cret!pass", "new_password": "a much longer passphrase"}]
        }
    )

    current_password: Password
    new_password: NewPassword


class Accepted(BaseModel):
    message: str = Field(examples=["If the address belongs to an account, a reset link is on its way."])
