"""Composition root: settings in, a running service (or one CLI command) out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from functools import partial
from uuid import uuid4

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from eqr.portfolio.v1 import portfolio_service_pb2, portfolio_service_pb2_grpc
from eqr_platform import bus
from eqr_platform.db import OutboxRelay, create_engine
from eqr_platform.db.migrations import upgrade
from eqr_platform.grpc import create_channel
from eqr_platform.grpc.jwks import jwks_from_auth_service
from eqr_platform.grpc.server import Servicer, serve
from eqr_platform.tokens import JwksCache, TokenVerifier
from eqr_portfolio.adapters.clients.auth import GrpcDirectory
from eqr_portfolio.adapters.clients.market_data import GrpcMarketData
from eqr_portfolio.adapters.clients.options import GrpcOptionPricing
from eqr_portfolio.adapters.clock import SystemClock
from eqr_portfolio.adapters.db.ledger_index import SqlLedgerIndex
from eqr_portfolio.adapters.db.tables import MIGRATIONS, SCHEMA, outbox
from eqr_portfolio.adapters.db.unit_of_work import SqlUnitOfWork
from eqr_portfolio.adapters.nats.events import STREAM
from eqr_portfolio.adapters.nats.quotes import follow_portfolio_events, follow_quotes
from eqr_portfolio.adapters.nats.valuations import VALUES_STREAM, JetStreamValuationPublisher
from eqr_portfolio.api.errors import ERRORS
from eqr_portfolio.api.servicer import PortfolioServicer
from eqr_portfolio.app.dependencies import Dependencies, Limits
from eqr_portfolio.app.live import LiveValuation
from eqr_portfolio.settings import PortfolioSettings


def migrate(settings: PortfolioSettings) -> None:
    upgrade(settings.database_url, SCHEMA, MIGRATIONS)


@asynccontextmanager
async def dependencies(settings: PortfolioSettings) -> AsyncIterator[tuple[Dependencies, AsyncEngine]]:
    engine = create_engine(settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    market_channel = create_channel(settings.market_data_addr)
    auth_channel = create_channel(settings.auth_addr)
    options_channel = create_channel(settings.options_addr)
    try:
        yield (
            Dependencies(
                unit_of_work=lambda: SqlUnitOfWork(sessions),
                clock=SystemClock(),
                market_data=GrpcMarketData(market_channel),
                options=GrpcOptionPricing(options_channel),
                directory=GrpcDirectory(auth_channel),
                limits=Limits(
                    max_import_rows=settings.max_import_rows, max_transactions=settings.max_transactions
                ),
            ),
            engine,
        )
    finally:
        await market_channel.close()
        await auth_channel.close()
        await options_channel.close()
        await engine.dispose()


async def run(settings: PortfolioSettings, *, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or ``stop``), with the outbox relay and live valuation."""
    if settings.migrate_on_start:
        await asyncio.to_thread(migrate, settings)
    async with dependencies(settings) as (deps, engine):
        client, js = await bus.connect(settings.nats_url, name="portfolio")
        try:
            await bus.ensure_streams(js, [STREAM, VALUES_STREAM])
            interval = timedelta(milliseconds=settings.valuation_interval_ms)
            instance = uuid4().hex[:12]  # this process's own quote and ledger-change consumers
            live = LiveValuation(
                deps,
                SqlLedgerIndex(async_sessionmaker(engine)),
                JetStreamValuationPublisher(js, interval=interval),
                interval=interval,
            )
            await serve(
                settings,
                [
                    Servicer(
                        portfolio_service_pb2_grpc.add_PortfolioServiceServicer_to_server,
                        PortfolioServicer(deps),
                        portfolio_service_pb2.DESCRIPTOR.services_by_name["PortfolioService"].full_name,
                    )
                ],
                errors=ERRORS,
                verifier=TokenVerifier(JwksCache(jwks_from_auth_service(settings.auth_addr))),
                background=[
                    OutboxRelay(engine, outbox, js).run,
                    live.run,
                    partial(follow_quotes, js, live, instance),
                    partial(follow_portfolio_events, js, live, instance),
                ],
                stop=stop,
            )
        finally:
            await client.close()
