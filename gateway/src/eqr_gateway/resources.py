"""What the gateway holds open while it runs: channels, Redis, keys, the auth event feeds, the quote cache."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

import grpc
import redis.asyncio as redis
from fastapi import Request

from eqr.auth.v1 import auth_service_pb2, auth_service_pb2_grpc
from eqr.market_data.v1 import market_data_service_pb2_grpc
from eqr.options.v1 import options_service_pb2_grpc
from eqr.portfolio.v1 import portfolio_service_pb2_grpc
from eqr_gateway.api_keys import CONSUMER as API_KEY_CONSUMER
from eqr_gateway.api_keys import ApiKeyTokens
from eqr_gateway.auth_events import Feed, follow_auth_events
from eqr_gateway.denylist import CONSUMER as DENYLIST_CONSUMER
from eqr_gateway.denylist import SessionDenylist
from eqr_gateway.history_cache import CONSUMER as HISTORY_CONSUMER
from eqr_gateway.history_cache import HistoryCache
from eqr_gateway.idempotency_store import IdempotencyStore
from eqr_gateway.quote_cache import QuoteCache
from eqr_gateway.settings import GatewaySettings
from eqr_gateway.ws.fanout import Fanout
from eqr_gateway.ws.hub import Hub
from eqr_platform.cache import connect_redis
from eqr_platform.grpc import create_channel
from eqr_platform.tokens import JwksCache, TokenVerifier

if TYPE_CHECKING:
    from eqr.auth.v1.auth_service_pb2_grpc import AuthServiceAsyncStub
    from eqr.market_data.v1.market_data_service_pb2_grpc import MarketDataServiceAsyncStub
    from eqr.options.v1.options_service_pb2_grpc import OptionsServiceAsyncStub
    from eqr.portfolio.v1.portfolio_service_pb2_grpc import PortfolioServiceAsyncStub


_SHUTDOWN_GRACE_SECONDS = 1.5
_REDIS_TIMEOUT_SECONDS = 2.0


@dataclass(frozen=True)
class Resources:
    settings: GatewaySettings
    auth_channel: grpc.aio.Channel
    auth: AuthServiceAsyncStub
    market_data_channel: grpc.aio.Channel
    market_data: MarketDataServiceAsyncStub
    portfolio_channel: grpc.aio.Channel
    portfolio: PortfolioServiceAsyncStub
    options_channel: grpc.aio.Channel
    options: OptionsServiceAsyncStub
    redis: redis.Redis
    verifier: TokenVerifier
    denylist: SessionDenylist
    api_keys: ApiKeyTokens
    idempotency: IdempotencyStore
    quotes: QuoteCache
    history: HistoryCache
    hub: Hub
    """The live sockets of this process and the events they receive."""


def get_resources(request: Request) -> Resources:
    return cast(Resources, request.app.state.resources)


def _redis(settings: GatewaySettings, *, decode_responses: bool) -> redis.Redis:
    return connect_redis(
        settings.redis_url, decode_responses=decode_responses, timeout_seconds=_REDIS_TIMEOUT_SECONDS
    )


@contextlib.asynccontextmanager
async def open_resources(settings: GatewaySettings) -> AsyncIterator[Resources]:
    auth_channel = create_channel(settings.auth_addr, default_deadline=settings.upstream_timeout_seconds)
    auth = auth_service_pb2_grpc.AuthServiceStub(auth_channel)
    market_data_channel = create_channel(
        settings.market_data_addr, default_deadline=settings.upstream_timeout_seconds
    )
    portfolio_channel = create_channel(
        settings.portfolio_addr, default_deadline=settings.upstream_timeout_seconds
    )
    options_channel = create_channel(
        settings.options_addr, default_deadline=settings.upstream_timeout_seconds
    )
    store = _redis(settings, decode_responses=True)
    # Cached quotes are JSON bytes sent as they are: that client does not decode them.
    quotes = QuoteCache(_redis(settings, decode_responses=False), ttl_ms=settings.quote_cache_ttl_ms)
    history = HistoryCache(
        _redis(settings, decode_responses=False),
        live_ttl_ms=settings.quote_cache_ttl_ms,
        closed_ttl_seconds=settings.history_cache_ttl_seconds,
    )

    async def fetch_jwks() -> str:
        response = await auth.GetJwks(auth_service_pb2.GetJwksRequest())
        return response.jwks_json

    verifier = TokenVerifier(JwksCache(fetch_jwks))
    denylist = SessionDenylist(store, ttl_seconds=settings.revoked_session_ttl_seconds)
    api_key_tokens = ApiKeyTokens(store, verifier, auth)
    resources = Resources(
        settings=settings,
        auth_channel=auth_channel,
        auth=auth,
        market_data_channel=market_data_channel,
        market_data=market_data_service_pb2_grpc.MarketDataServiceStub(market_data_channel),
        portfolio_channel=portfolio_channel,
        portfolio=portfolio_service_pb2_grpc.PortfolioServiceStub(portfolio_channel),
        options_channel=options_channel,
        options=options_service_pb2_grpc.OptionsServiceStub(options_channel),
        redis=store,
        verifier=verifier,
        denylist=denylist,
        api_keys=api_key_tokens,
        idempotency=IdempotencyStore(
            store,
            ttl_seconds=settings.idempotency_ttl_seconds,
            lock_seconds=settings.idempotency_lock_seconds,
        ),
        quotes=quotes,
        history=history,
        hub=Hub(Fanout(settings.nats_url)),
    )
    await resources.hub.start()
    stop = asyncio.Event()
    feeds = [Feed(DENYLIST_CONSUMER, denylist.handle), Feed(API_KEY_CONSUMER, api_key_tokens.handle)]
    followers = {
        asyncio.create_task(follow_auth_events(settings.nats_url, feeds, stop)),
        # Apart from the auth feeds: a missing market-data stream must not hold up revocations.
        asyncio.create_task(
            follow_auth_events(
                settings.nats_url, [Feed(HISTORY_CONSUMER, history.handle)], stop, name="market-data"
            )
        ),
    }
    try:
        yield resources
    finally:
        stop.set()
        # A consumer stops within a fetch; one still connecting is cancelled (unacked work is redelivered).
        await asyncio.wait(followers, timeout=_SHUTDOWN_GRACE_SECONDS)
        for follower in followers:
            follower.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await follower
        await resources.hub.close()
        await quotes.close()
        await history.close()
        await store.aclose()
        await options_channel.close()
        await portfolio_channel.close()
        await market_data_channel.close()
        await auth_channel.close()
