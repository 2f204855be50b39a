"""The check every service's migration test makes."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

from eqr_platform.db.migrations import upgrade


def assert_migrations_match_models(database_url: str, schema: str, migrations: Path) -> None:
    """Upgrades twice (the second must be a no-op), then fails when Alembic's autogenerate
    would find any difference between the migrated schema and the service's tables."""
    upgrade(database_url, schema, migrations)
    upgrade(database_url, schema, migrations)
    config = Config()
    config.set_main_option("script_location", str(migrations))
    config.set_main_option("sqlalchemy.url", database_url)
    config.attributes["schema"] = schema
    command.check(config)
