"""Composition root: settings in, a running service (or one CLI command) out."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import numpy as np
from sqlalchemy.ext.asyncio import async_sessionmaker

from eqr.options.v1 import options_service_pb2, options_service_pb2_grpc
from eqr_options.adapters.clients.market_data import GrpcMarketData
from eqr_options.adapters.clock import SystemClock
from eqr_options.adapters.db.tables import MIGRATIONS, SCHEMA
from eqr_options.adapters.db.unit_of_work import SqlUnitOfWork
from eqr_options.api.errors import ERRORS
from eqr_options.api.servicer import OptionsServicer
from eqr_options.app.batches import Limits
from eqr_options.app.chains import ChainBook, ChainConfig
from eqr_options.app.dependencies import Dependencies
from eqr_options.domain import black_scholes
from eqr_options.domain.inputs import option_terms
from eqr_options.heap import keep_freed_arrays_in_heap
from eqr_options.settings import OptionsSettings
from eqr_platform.db import create_engine
from eqr_platform.db.migrations import upgrade
from eqr_platform.grpc import create_channel
from eqr_platform.grpc.jwks import jwks_from_auth_service
from eqr_platform.grpc.server import Servicer, serve
from eqr_platform.tokens import JwksCache, TokenVerifier


def migrate(settings: OptionsSettings) -> None:
    upgrade(settings.database_url, SCHEMA, MIGRATIONS)


@asynccontextmanager
async def dependencies(settings: OptionsSettings) -> AsyncIterator[Dependencies]:
    engine = create_engine(settings.database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    market_channel = create_channel(settings.market_data_addr)
    clock = SystemClock()
    market = GrpcMarketData(market_channel, timeout=settings.market_data_timeout_seconds)
    config = ChainConfig(settings.risk_free_rate, settings.simulator_seed, settings.chain_cache_ttl_seconds)
    try:
        yield Dependencies(
            unit_of_work=lambda: SqlUnitOfWork(sessions),
            clock=clock,
            chains=ChainBook(market, clock, config),
            limits=Limits(max_rows=settings.max_batch_rows, max_american_rows=settings.max_american_rows),
            risk_free_rate=settings.risk_free_rate,
            max_positions=settings.max_positions,
        )
    finally:
        await market_channel.close()
        await engine.dispose()


def warm_up() -> None:
    """Compile (or load from the disk cache) the numba kernels before the first request pays it."""
    black_scholes.greeks(option_terms(spot=100.0, strike=100.0, years=1.0, is_call=True), np.array([0.2]))


async def run(settings: OptionsSettings, *, stop: asyncio.Event | None = None) -> None:
    """Serve until SIGTERM/SIGINT (or ``stop``)."""
    if settings.migrate_on_start:
        await asyncio.to_thread(migrate, settings)
    keep_freed_arrays_in_heap()
    await asyncio.to_thread(warm_up)
    async with dependencies(settings) as deps:
        await serve(
            settings,
            [
                Servicer(
                    options_service_pb2_grpc.add_OptionsServiceServicer_to_server,
                    OptionsServicer(deps),
                    options_service_pb2.DESCRIPTOR.services_by_name["OptionsService"].full_name,
                )
            ],
            errors=ERRORS,
            verifier=TokenVerifier(JwksCache(jwks_from_auth_service(settings.auth_addr))),
            stop=stop,
            max_message_bytes=settings.max_message_bytes,
        )
