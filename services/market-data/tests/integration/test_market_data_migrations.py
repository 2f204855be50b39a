"""The migrations build exactly the schema the tables describe, and run twice safely."""

from __future__ import annotations

from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, inspect

from eqr_market_data.adapters.db.tables import MIGRATIONS, SCHEMA
from eqr_platform.db.migrations import upgrade


def test_migrations_match_the_models_and_are_idempotent(market_data_url: str) -> None:
    upgrade(market_data_url, SCHEMA, MIGRATIONS)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", market_data_url)
    config.attributes["schema"] = SCHEMA
    command.check(config)  # raises when autogenerate would find a difference


def test_the_version_table_lives_in_the_schema(market_data_url: str) -> None:
    engine = create_engine(market_data_url)
    try:
        tables = set(inspect(engine).get_table_names(schema=SCHEMA))
    finally:
        engine.dispose()
    assert "alembic_version" in tables
    assert {"instruments", "latest_quotes", "daily_bars", "intraday_bars", "news", "outbox"} <= tables
