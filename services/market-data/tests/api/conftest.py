"""The real market-data service (composition root and all) in-process on real infrastructure.

Module-scoped: its ticker writes to the database, so it must be gone before other modules'
tests (which empty the schema) run.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from eqr.market_data.v1 import market_data_service_pb2_grpc
from eqr_launcher.ports import free_port
from eqr_market_data import bootstrap
from eqr_market_data.settings import MarketDataSettings
from eqr_testing.services import service_in_process


@pytest.fixture(scope="session")
async def market_settings(database_url: str, nats_url: str, redis_url: str) -> MarketDataSettings:
    return MarketDataSettings.model_validate(
        {
            "DATABASE_URL": database_url,
            "NATS_URL": nats_url,
            "REDIS_URL": redis_url,
            "GRPC_PORT": free_port(),
            "HTTP_PORT": 0,
            "MARKET_DATA_TICK_INTERVAL_SECONDS": 0.2,
        }
    )


@pytest.fixture(scope="module")
async def market_stub(
    market_settings: MarketDataSettings,
) -> AsyncIterator[market_data_service_pb2_grpc.MarketDataServiceStub]:
    async with service_in_process(
        lambda stop: bootstrap.run(market_settings, stop=stop), market_settings.grpc_port
    ) as channel:
        yield market_data_service_pb2_grpc.MarketDataServiceStub(channel)
