"""The real market-data service (composition root and all) in-process on real infrastructure.

Module-scoped: its ticker writes to the database, so it must be gone before other modules'
tests (which empty the schema) run.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator

import pytest

from eqr.market_data.v1 import market_data_service_pb2_grpc
from eqr_market_data import bootstrap
from eqr_market_data.settings import MarketDataSettings
from eqr_platform.grpc import create_channel


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(scope="session")
async def market_settings(database_url: str, nats_url: str, redis_url: str) -> MarketDataSettings:
    return MarketDataSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "NATS_URL": nats_url,
            "REDIS_URL": redis_url,
            "GRPC_PORT": _free_port(),
            "HTTP_PORT": 0,
            "MARKET_DATA_TICK_INTERVAL_SECONDS": 0.2,
        }
    )


@pytest.fixture(scope="module")
async def market_stub(
    market_settings: MarketDataSettings,
) -> AsyncIterator[market_data_service_pb2_grpc.MarketDataServiceStub]:
    stop = asyncio.Event()
    service = asyncio.create_task(bootstrap.run(market_settings, stop=stop))
    channel = create_channel(f"127.0.0.1:{market_settings.grpc_port}", default_deadline=30)
    ready = asyncio.create_task(channel.channel_ready())
    done, _ = await asyncio.wait([ready, service], timeout=120, return_when=asyncio.FIRST_COMPLETED)
    if service in done:
        service.result()  # start-up failed: raise its error
    assert ready in done, "the market-data service did not start in time"
    yield market_data_service_pb2_grpc.MarketDataServiceStub(channel)
    await channel.close()
    stop.set()
    await asyncio.wait_for(service, 30)
