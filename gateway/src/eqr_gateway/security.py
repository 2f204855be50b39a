"""Who is calling: a bearer access token or an API key, verified here before any service sees it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Literal

import grpc
from fastapi import Depends, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

from eqr_gateway.grpc_calls import Upstream, outgoing_metadata, problem_from_rpc_error
from eqr_gateway.problems import ProblemError, unauthenticated
from eqr_gateway.resources import Resources, get_resources
from eqr_platform.tokens import AccessClaims, ExpiredTokenError, TokenError

ROLES: tuple[str, ...] = ("viewer", "analyst", "admin")
_MAX_TOKEN_CHARS = 8192
_PRINCIPAL_STATE = "eqr_principal"

bearer_scheme = OAuth2PasswordBearer(
    tokenUrl="/api/v1/auth/login",
    scheme_name="bearer",
    description="An access token from POST /api/v1/auth/login, sent as `Authorization: Bearer <token>`.",
    auto_error=False,
)
api_key_scheme = APIKeyHeader(
    name="X-API-Key",
    scheme_name="apiKey",
    description="An API key (`eqr_...`) from POST /api/v1/auth/api-keys, for scripts and integrations.",
    auto_error=False,
)


@dataclass(frozen=True)
class Principal:
    user_id: str
    role: str
    session_id: str | None
    scopes: tuple[str, ...]
    access_token: str
    expires_at: datetime
    via: Literal["bearer", "api_key"]

    @classmethod
    def from_claims(cls, claims: AccessClaims, token: str, via: Literal["bearer", "api_key"]) -> Principal:
        return cls(
            user_id=claims.subject,
            role=claims.role,
            session_id=claims.session_id,
            scopes=claims.scopes,
            access_token=token,
            expires_at=claims.expires_at,
            via=via,
        )


class SessionEndedError(Exception):
    """The token is genuine and current, but its session was ended (logout, revocation)."""


async def verify_access_token(resources: Resources, token: str) -> Principal:
    """The caller an access token names. Raises ``TokenError`` (``ExpiredTokenError`` when it
    has expired), ``SessionEndedError``, or the ``AioRpcError`` of fetching the signing keys."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        raise TokenError("malformed")
    claims = await resources.verifier.verify(token)
    if claims.session_id and await resources.denylist.is_revoked(claims.session_id):
        raise SessionEndedError
    return Principal.from_claims(claims, token, "bearer")


async def _from_bearer(resources: Resources, token: str) -> Principal:
    try:
        return await verify_access_token(resources, token)
    except ExpiredTokenError:
        raise unauthenticated("The access token has expired.", invalid_token=True) from None
    except TokenError as exc:
        if exc.reason == "malformed":
            raise unauthenticated("The access token is malformed.", invalid_token=True) from None
        raise unauthenticated(f"The access token is not valid: {exc.reason}.", invalid_token=True) from None
    except SessionEndedError:
        raise unauthenticated("The session of this access token has ended.", invalid_token=True) from None
    except grpc.aio.AioRpcError as err:
        raise problem_from_rpc_error(err, service="auth") from None


async def _authenticate(request: Request) -> Principal | None:
    authorization = request.headers.get("authorization")
    api_key = request.headers.get("x-api-key")
    if authorization is None and api_key is None:
        return None
    if authorization is not None and api_key is not None:
        raise ProblemError(400, "Send either an Authorization header or an X-API-Key header, not both.")
    resources = get_resources(request)
    if api_key is None:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer":
            raise unauthenticated("Only Bearer authorization is supported.")
        return await _from_bearer(resources, token.strip())
    upstream = Upstream("auth", outgoing_metadata(request, None), resources.settings.upstream_timeout_seconds)
    claims, token = await resources.api_keys.authenticate(api_key, upstream)
    return Principal.from_claims(claims, token, "api_key")


async def optional_principal(request: Request) -> Principal | None:
    """The caller when credentials were sent (401 when they are bad); ``None`` when anonymous.

    Authenticates once per request, whoever asks first: a dependency or a direct call.
    """
    if _PRINCIPAL_STATE not in request.scope.setdefault("state", {}):
        request.scope["state"][_PRINCIPAL_STATE] = await _authenticate(request)
    principal: Principal | None = request.scope["state"][_PRINCIPAL_STATE]
    return principal


async def get_principal(
    principal: Annotated[Principal | None, Depends(optional_principal)],
    _bearer: Annotated[str | None, Depends(bearer_scheme)],
    _api_key: Annotated[str | None, Depends(api_key_scheme)],
) -> Principal:
    """The authenticated caller; the two scheme dependencies put the schemes in the OpenAPI."""
    if principal is None:
        raise unauthenticated("Authentication is required: send a Bearer access token or an X-API-Key.")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def require_role(role: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting callers with ``role`` or a higher one (viewer < analyst < admin)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    needed = ROLES.index(role)

    async def dependency(principal: CurrentPrincipal) -> Principal:
        if principal.role not in ROLES or ROLES.index(principal.role) < needed:
            raise ProblemError(403, f"This operation needs the {role} role.")
        return principal

    return dependency
