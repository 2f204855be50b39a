"""Per-request handles on the services: the stub plus this request's metadata and deadline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from eqr_gateway.grpc_calls import Upstream, outgoing_metadata
from eqr_gateway.quote_cache import QuoteCache
from eqr_gateway.resources import get_resources
from eqr_gateway.security import CurrentPrincipal

if TYPE_CHECKING:
    from eqr.auth.v1.auth_service_pb2_grpc import AuthServiceAsyncStub
    from eqr.market_data.v1.market_data_service_pb2_grpc import MarketDataServiceAsyncStub


@dataclass(frozen=True)
class AuthClient:
    stub: AuthServiceAsyncStub
    upstream: Upstream


# The dependencies are ``async`` although they await nothing: FastAPI runs a plain ``def``
# dependency in a worker thread, a hop that costs more than the work itself.
async def public_auth(request: Request) -> AuthClient:
    resources = get_resources(request)
    upstream = Upstream("auth", outgoing_metadata(request, None), resources.settings.upstream_timeout_seconds)
    return AuthClient(resources.auth, upstream)


async def user_auth(request: Request, principal: CurrentPrincipal) -> AuthClient:
    """Calls on behalf of the caller: their access token travels as ``authorization`` metadata."""
    resources = get_resources(request)
    metadata = outgoing_metadata(request, principal.access_token)
    return AuthClient(resources.auth, Upstream("auth", metadata, resources.settings.upstream_timeout_seconds))


PublicAuth = Annotated[AuthClient, Depends(public_auth)]
UserAuth = Annotated[AuthClient, Depends(user_auth)]


@dataclass(frozen=True)
class MarketDataClient:
    stub: MarketDataServiceAsyncStub
    upstream: Upstream
    quotes: QuoteCache


async def user_market_data(request: Request, principal: CurrentPrincipal) -> MarketDataClient:
    """Market data for a signed-in caller (any role); their token travels for the admin calls."""
    resources = get_resources(request)
    metadata = outgoing_metadata(request, principal.access_token)
    upstream = Upstream("market-data", metadata, resources.settings.upstream_timeout_seconds)
    return MarketDataClient(resources.market_data, upstream, resources.quotes)


UserMarketData = Annotated[MarketDataClient, Depends(user_market_data)]
