"""The migrations build exactly the schema the tables describe, and run twice safely."""

from __future__ import annotations

from alembic import command
from alembic.config import Config

from eqr_auth.adapters.db.tables import SCHEMA
from eqr_auth.bootstrap import MIGRATIONS
from eqr_platform.db.migrations import upgrade


def test_migrations_match_the_models_and_are_idempotent(database_url: str) -> None:
    upgrade(database_url, SCHEMA, MIGRATIONS)
    upgrade(database_url, SCHEMA, MIGRATIONS)
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", database_url)
    config.attributes["schema"] = SCHEMA
    command.check(config)  # raises when autogenerate would find a difference
