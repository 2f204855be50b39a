"""Per-request handles on the services: the stub plus this request's metadata and deadline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, Request

from eqr_gateway.grpc_calls import Upstream, outgoing_metadata
from eqr_gateway.history_cache import HistoryCache
from eqr_gateway.quote_cache import QuoteCache
from eqr_gateway.resources import get_resources
from eqr_gateway.security import CurrentPrincipal

if TYPE_CHECKING:
    from eqr.auth.v1.auth_service_pb2_grpc import AuthServiceAsyncStub
    from eqr.market_data.v1.market_data_service_pb2_grpc import MarketDataServiceAsyncStub
    from eqr.options.v1.options_service_pb2_grpc import OptionsServiceAsyncStub
    from eqr.portfolio.v1.portfolio_service_pb2_grpc import PortfolioServiceAsyncStub


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
    bulk: Upstream
    """The same caller with the longer deadline of file imports."""
    quotes: QuoteCache
    history: HistoryCache


async def user_market_data(request: Request, principal: CurrentPrincipal) -> MarketDataClient:
    """Market data for a signed-in caller (any role); their token travels for the admin calls."""
    resources = get_resources(request)
    metadata = outgoing_metadata(request, principal.access_token)
    upstream = Upstream("market-data", metadata, resources.settings.upstream_timeout_seconds)
    bulk = upstream.lasting(resources.settings.import_timeout_seconds)
    return MarketDataClient(resources.market_data, upstream, bulk, resources.quotes, resources.history)


UserMarketData = Annotated[MarketDataClient, Depends(user_market_data)]


@dataclass(frozen=True)
class PortfolioClient:
    stub: PortfolioServiceAsyncStub
    upstream: Upstream
    bulk: Upstream
    """The same caller with the longer deadline of file imports."""


async def user_portfolio(request: Request, principal: CurrentPrincipal) -> PortfolioClient:
    """Portfolios act for the caller: their token travels and the service decides what they may see."""
    resources = get_resources(request)
    metadata = outgoing_metadata(request, principal.access_token)
    upstream = Upstream("portfolio", metadata, resources.settings.upstream_timeout_seconds)
    return PortfolioClient(
        resources.portfolio, upstream, upstream.lasting(resources.settings.import_timeout_seconds)
    )


UserPortfolio = Annotated[PortfolioClient, Depends(user_portfolio)]


@dataclass(frozen=True)
class OptionsClient:
    stub: OptionsServiceAsyncStub
    upstream: Upstream
    max_rows: int
    """The most option rows one pricing request may carry (``GATEWAY_OPTIONS_MAX_ROWS``)."""


async def user_options(request: Request, principal: CurrentPrincipal) -> OptionsClient:
    """Options for a signed-in caller; their token travels, so saved strategies are theirs alone."""
    resources = get_resources(request)
    metadata = outgoing_metadata(request, principal.access_token)
    upstream = Upstream("options", metadata, resources.settings.upstream_timeout_seconds)
    return OptionsClient(resources.options, upstream, resources.settings.options_max_rows)


UserOptions = Annotated[OptionsClient, Depends(user_options)]
