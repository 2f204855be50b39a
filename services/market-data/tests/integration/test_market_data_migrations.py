"""The migrations build exactly the schema the tables describe, and run twice safely."""

from __future__ import annotations

from sqlalchemy import create_engine, inspect

from eqr_market_data.adapters.db.tables import MIGRATIONS, SCHEMA
from eqr_testing.migrations import assert_migrations_match_models


def test_migrations_match_the_models_and_are_idempotent(market_data_url: str) -> None:
    assert_migrations_match_models(market_data_url, SCHEMA, MIGRATIONS)


def test_the_version_table_lives_in_the_schema(market_data_url: str) -> None:
    engine = create_engine(market_data_url)
    try:
        tables = set(inspect(engine).get_table_names(schema=SCHEMA))
    finally:
        engine.dispose()
    assert "alembic_version" in tables
    assert {"instruments", "latest_quotes", "daily_bars", "intraday_bars", "news", "outbox"} <= tables
