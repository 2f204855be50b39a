"""The options schema, migrated once, on the session's real PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from eqr_options.adapters.db.tables import MIGRATIONS, SCHEMA
from eqr_platform.db import create_engine
from eqr_platform.db.migrations import upgrade


@pytest.fixture(scope="module")
def options_database(database_url: str) -> str:
    upgrade(database_url, SCHEMA, MIGRATIONS)
    return database_url


@pytest.fixture
async def engine(options_database: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(options_database)
    yield engine
    await engine.dispose()
