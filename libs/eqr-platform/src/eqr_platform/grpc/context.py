"""Who is calling and on whose behalf, for the duration of one RPC."""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass

import grpc

from eqr_platform.grpc.errors import ServiceError
from eqr_platform.tokens import AccessClaims


@dataclass(frozen=True)
class CallContext:
    claims: AccessClaims | None
    access_token: str | None
    client_ip: str
    user_agent: str


ANONYMOUS = CallContext(claims=None, access_token=None, client_ip="", user_agent="")
call_context: ContextVar[CallContext | None] = ContextVar("call_context", default=None)


def current_call() -> CallContext:
    return call_context.get() or ANONYMOUS


def require_claims() -> AccessClaims:
    """The verified caller, or UNAUTHENTICATED when the call carries no access token."""
    claims = current_call().claims
    if claims is None:
        raise ServiceError(grpc.StatusCode.UNAUTHENTICATED, "an access token is required")
    return claims
