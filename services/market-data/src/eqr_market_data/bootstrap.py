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
from eqr_market_data.adapters.cache import RedisHistoryCache, RedisOverviewCache, RedisQuoteCache
from eqr_market_data.adapters.calendar import NyseCalendar
from eqr_market_data.adapters.clock import SystemClock
from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.adapters.db.tables import MIGRATIONS, SCHEMA, outbox
from eqr_market_data.adapters.feed import NatsQuoteFeed
from eqr_market_data.adapters.providers import AlphaVantageSource, FinnhubSource, YahooSource
from eqr_market_data.adapters.publisher import EVENTS_STREAM, QUOTES_STREAM, JetStreamQuotePublisher
from eqr_market_data.adapters.simulator import SimulatorSource
from eqr_market_data.api.errors import ERRORS
from eqr_market_data.api.servicer import MarketDataServicer
from eqr_market_data.app.closes import ClosesService
from eqr_market_data.app.history import HistoryService
from eqr_market_data.app.ingest import BarImporter, ImportReport
from eqr_market_data.app.live import Ticker
from eqr_market_data.app.ports import MarketDataSource
from eqr_market_data.app.quotes import QuoteService
from eqr_market_data.app.service import MarketDataApp
from eqr_market_data.app.sources import SourceChain
from eqr_market_data.app.universe import Universe
from eqr_market_data.domain.simulator.market import SimulatedMarket
from eqr_market_data.settings import MarketDataSettings
from eqr_platform import bus
from eqr_platform.cache import SingleFlight, connect_redis
from eqr_platform.db import OutboxRelay, create_engine
from eqr_platform.db.migrations import upgrade
from eqr_platform.grpc.jwks import jwks_from_auth_service
from eqr_platform.grpc.server import BackgroundTask, Servicer, serve
from eqr_platform.tokens import JwksCache, TokenVerifier

log = logging.getLogger(__name__)
PROVIDER_TIMEOUT = httpx.Timeout(10.0, connect=5.0)


def migrate(settings: MarketDataSettings) -> None:
    upgrade(settings.database_url, SCHEMA, MIGRATIONS)


def _providers(settings: MarketDataSettings, http: httpx.AsyncClient) -> dict[str, MarketDataSource]:
    """The real providers that are configured (an API key where one is needed)."""
    providers: dict[str, MarketDataSource] = {
        "yahoo": YahooSource(http, base_url=settings.yahoo_base_url),
    }
    if settings.alphavantage_api_key:
        providers["alphavantage"] = AlphaVantageSource(
            http, settings.alphavantage_api_key.get_secret_value(), base_url=settings.alphavantage_base_url
        )
    if settings.finnhub_api_key:
        providers["finnhub"] = FinnhubSource(
            http, settings.finnhub_api_key.get_secret_value(), base_url=settings.finnhub_base_url
        )
    return providers


async def import_file(
    settings: MarketDataSettings, symbol: str, content: bytes, file_format: str, *, dry_run: bool
) -> ImportReport:
    """The CLI's end-of-day import: the same checks and storage as the admin endpoint."""
    engine = create_engine(settings.database_url)
    redis = connect_redis(settings.redis_url)
    try:
        store = SqlMarketStore(engine)
        importer = BarImporter(
            Universe(await store.instruments()),
            store,
            RedisHistoryCache(redis, ttl_seconds=settings.history_cache_ttl_seconds),
            NyseCalendar(),
            SystemClock(),
        )
        return await importer.import_bars(symbol, file_format, content, dry_run=dry_run)
    finally:
        await redis.aclose()
        await engine.dispose()


@dataclass
class Runtime:
    app: MarketDataApp
    closes: ClosesService
    background: list[BackgroundTask]


@asynccontextmanager
async def runtime(settings: MarketDataSettings) -> AsyncIterator[Runtime]:
    """Everything the service runs on, built and torn down in order."""
    clock = SystemClock()
    calendar = NyseCalendar(always_open=settings.calendar_mode == "always")
    engine = create_engine(settings.database_url)
    redis = connect_redis(settings.redis_url)
    nats_client, js = await bus.connect(settings.nats_url, name="market-data")
    http = httpx.AsyncClient(timeout=PROVIDER_TIMEOUT, follow_redirects=False)
    try:
        await bus.ensure_streams(js, [QUOTES_STREAM, EVENTS_STREAM])
        store = SqlMarketStore(engine)
        providers = _providers(settings, http)
        simulator: SimulatorSource | None = None
        if "simulator" in settings.sources:
            simulator = SimulatorSource(
                SimulatedMarket(settings.simulator_seed),
                store,
                calendar,
                years=settings.simulator_history_years,
            )
            written = await simulator.backfill(clock.now())
            log.info("simulator history ready", extra={"bars_written": written})
        chain_sources: list[MarketDataSource] = [
            simulator if name == "simulator" and simulator else providers[name]
            for name in settings.sources
            if (name == "simulator" and simulator) or name in providers
        ]
        sources = SourceChain(
            chain_sources, clock, max_quote_age=timedelta(seconds=settings.quote_max_age_seconds)
        )
        universe = Universe(await store.instruments())
        quote_cache = RedisQuoteCache(redis, ttl_ms=settings.quote_cache_ttl_ms)
        history_cache = RedisHistoryCache(redis, ttl_seconds=settings.history_cache_ttl_seconds)
        quotes = QuoteService(
            universe, sources, quote_cache, SingleFlight(), max_batch=settings.max_batch_symbols
        )
        history = HistoryService(
            universe, store, sources, quotes, history_cache, SingleFlight(), calendar, clock
        )
        closes = ClosesService(
            universe,
            store,
            history,
            quotes,
            history_cache,
            SingleFlight(),
            calendar,
            clock,
            max_queries=settings.max_batch_symbols,
        )
        importer = BarImporter(universe, store, history_cache, calendar, clock)
        app = MarketDataApp(
            universe,
            store,
            sources,
            quotes,
            history,
            importer,
            NatsQuoteFeed(nats_client),
            RedisOverviewCache(redis, ttl_ms=settings.overview_cache_ttl_ms),
            SingleFlight(),
            calendar,
            clock,
        )
        background: list[BackgroundTask] = [OutboxRelay(engine, outbox, js).run]
        if simulator is not None:
            ticker = Ticker(
                simulator,
                quote_cache,
                JetStreamQuotePublisher(js),
                store,
                history_cache,
                app.refresh_overview,
                calendar,
                clock,
                interval_seconds=settings.tick_interval_seconds,
                store_every_seconds=settings.quote_store_interval_seconds,
                spread=settings.tick_spread,
            )
            await ticker.step(asyncio.get_running_loop().time())
            background.append(ticker.run)
        yield Runtime(app, closes, background)
    finally:
        await http.aclose()
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
