"""Composition root: settings in, a running market-data service out."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import httpx

from eqr.market_data.v1 import market_data_service_pb2, market_data_service_pb2_grpc
from eqr_market_data.adapters.cache import (
    RedisHistoryCache,
    RedisOverviewCache,
    RedisQuoteCache,
    RedisRefreshMarks,
)
from eqr_market_data.adapters.calendar import NyseCalendar
from eqr_market_data.adapters.clock import SystemClock
from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.adapters.db.tables import MIGRATIONS, SCHEMA, outbox
from eqr_market_data.adapters.feed import NatsQuoteFeed
from eqr_market_data.adapters.publisher import EVENTS_STREAM, QUOTES_STREAM, JetStreamQuotePublisher
from eqr_market_data.api.errors import ERRORS
from eqr_market_data.api.servicer import MarketDataServicer
from eqr_market_data.app.closes import ClosesService
from eqr_market_data.app.daily_ingest import DailyIngest
from eqr_market_data.app.ingest import BarImporter, ImportReport
from eqr_market_data.app.live import Ticker
from eqr_market_data.app.live_checks import LiveChecks
from eqr_market_data.app.quote_quality import QuoteScreen
from eqr_market_data.app.service import MarketDataApp
from eqr_market_data.app.universe import Universe
from eqr_market_data.composition import Ports, compose, configure_sources, directory, source_chain
from eqr_market_data.settings import MarketDataSettings
from eqr_platform import bus
from eqr_platform.cache import connect_redis
from eqr_platform.db import OutboxRelay, create_engine
from eqr_platform.db.migrations import upgrade
from eqr_platform.grpc.jwks import jwks_from_auth_service
from eqr_platform.grpc.server import BackgroundTask, Servicer, serve
from eqr_platform.tokens import JwksCache, TokenVerifier

log = logging.getLogger(__name__)
PROVIDER_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def migrate(settings: MarketDataSettings) -> None:
    upgrade(settings.database_url, SCHEMA, MIGRATIONS)


async def import_file(
    settings: MarketDataSettings, symbol: str, content: bytes, file_format: str, *, dry_run: bool
) -> ImportReport:
    """The CLI's end-of-day import: the same checks and storage as the admin endpoint (an
    unknown symbol is looked up through the configured sources, as the service would)."""
    engine = create_engine(settings.database_url)
    redis = connect_redis(settings.redis_url)
    http = httpx.AsyncClient(timeout=PROVIDER_TIMEOUT, follow_redirects=False)
    try:
        store = SqlMarketStore(engine)
        calendar, clock = NyseCalendar(), SystemClock()
        configured = configure_sources(settings, http, store=store, calendar=calendar, clock=clock)
        sources = source_chain(configured, settings, clock, exchange=calendar)
        universe = Universe(await store.instruments())
        history_cache = RedisHistoryCache(redis, ttl_seconds=settings.history_cache_ttl_seconds)
        importer = BarImporter(
            directory(universe, store, sources, RedisRefreshMarks(redis), settings, clock),
            store,
            DailyIngest(store, history_cache, calendar, sources.rank),
            clock,
        )
        return await importer.import_bars(symbol, file_format, content, dry_run=dry_run)
    finally:
        await http.aclose()
        await redis.aclose()
        await engine.dispose()


@dataclass
class Runtime:
    app: MarketDataApp
    closes: ClosesService
    background: list[BackgroundTask]


@asynccontextmanager
async def runtime(
    settings: MarketDataSettings, *, http: httpx.AsyncClient | None = None
) -> AsyncIterator[Runtime]:
    """Everything the service runs on, built and torn down in order. ``http``: the client the
    providers use (tests pass one over recorded answers); made here when not given."""
    clock = SystemClock()
    calendar = NyseCalendar(always_open=settings.calendar_mode == "always")
    engine = create_engine(settings.database_url)
    redis = connect_redis(settings.redis_url)
    nats_client, js = await bus.connect(settings.nats_url, name="market-data")
    client = http or httpx.AsyncClient(timeout=PROVIDER_TIMEOUT, follow_redirects=False)
    try:
        await bus.ensure_streams(js, [QUOTES_STREAM, EVENTS_STREAM])
        store = SqlMarketStore(engine)
        configured = configure_sources(settings, client, store=store, calendar=calendar, clock=clock)
        if configured.live is not None:
            written = await configured.live.backfill(clock.now())
            log.info("simulator history ready", extra={"bars_written": written})
        quote_cache = RedisQuoteCache(redis, ttl_ms=settings.quote_cache_ttl_ms)
        history_cache = RedisHistoryCache(redis, ttl_seconds=settings.history_cache_ttl_seconds)
        ports = Ports(
            store=store,
            quote_cache=quote_cache,
            history_cache=history_cache,
            closes_cache=history_cache,
            overview_cache=RedisOverviewCache(redis, ttl_ms=settings.overview_cache_ttl_ms),
            marks=RedisRefreshMarks(redis),
            feed=NatsQuoteFeed(nats_client),
        )
        composed = await compose(
            settings, configured, ports, calendar=calendar, exchange=NyseCalendar(), clock=clock
        )
        background: list[BackgroundTask] = [OutboxRelay(engine, outbox, js).run]
        if configured.fallback is not None:
            background.append(configured.fallback.run)
        if configured.live is not None:
            screen = QuoteScreen(composed.quality, max_age=timedelta(seconds=settings.quote_max_age_seconds))
            ticker = Ticker(
                configured.live,
                quote_cache,
                JetStreamQuotePublisher(js),
                store,
                LiveChecks(composed.universe, screen, composed.quality, composed.ingest),
                composed.app.refresh_overview,
                calendar,
                clock,
                interval_seconds=settings.tick_interval_seconds,
                store_every_seconds=settings.quote_store_interval_seconds,
                spread=settings.tick_spread,
            )
            await ticker.step(asyncio.get_running_loop().time())
            background.append(ticker.run)
        yield Runtime(composed.app, composed.closes, background)
    finally:
        if http is None:
            await client.aclose()
        await nats_client.close()
        await redis.aclose()
        await engine.dispose()


async def run(settings: MarketDataSettings, *, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or ``stop``), with the ticker and the outbox relay."""
    if settings.migrate_on_start:
        await asyncio.to_thread(migrate, settings)
    async with runtime(settings) as running:
        verifier = TokenVerifier(JwksCache(jwks_from_auth_service(settings.auth_addr)))
        await serve(
            settings,
            [
                Servicer(
                    market_data_service_pb2_grpc.add_MarketDataServiceServicer_to_server,
                    MarketDataServicer(running.app, running.closes),
                    market_data_service_pb2.DESCRIPTOR.services_by_name["MarketDataService"].full_name,
                )
            ],
            errors=ERRORS,
            verifier=verifier,
            background=running.background,
            stop=stop,
        )
