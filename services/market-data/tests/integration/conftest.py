"""The ``market_data`` schema migrated once per session on real PostgreSQL; each store test starts empty."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from eqr_market_data.adapters.db.store import SqlMarketStore
from eqr_market_data.adapters.db.tables import MIGRATIONS, SCHEMA, metadata
from eqr_platform.db import create_engine
from eqr_platform.db.migrations import upgrade


@pytest.fixture(scope="session")
def market_data_url(database_url: str) -> str:
    upgrade(database_url, SCHEMA, MIGRATIONS)
    return database_url


@pytest.fixture(scope="session")
async def market_engine(market_data_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(market_data_url)
    yield engine
    await engine.dispose()


@pytest.fixture
async def store(market_engine: AsyncEngine) -> SqlMarketStore:
    names = ", ".join(f'"{SCHEMA}"."{table.name}"' for table in metadata.sorted_tables)
    async with market_engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
    return SqlMarketStore(market_engine)
