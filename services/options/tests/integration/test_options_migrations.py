"""The migrations build exactly the schema the tables describe, and run twice harmlessly."""

from __future__ import annotations

from eqr_options.adapters.db.tables import MIGRATIONS, SCHEMA
from eqr_testing.migrations import assert_migrations_match_models


def test_migrations_match_the_tables(database_url: str) -> None:
    assert_migrations_match_models(database_url, SCHEMA, MIGRATIONS)
