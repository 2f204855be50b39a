"""The migrations build exactly the schema the tables describe, and run twice safely."""

from __future__ import annotations

from eqr_portfolio.adapters.db.tables import MIGRATIONS, SCHEMA
from eqr_testing.migrations import assert_migrations_match_models


def test_migrations_match_the_models_and_are_idempotent(database_url: str) -> None:
    assert_migrations_match_models(database_url, SCHEMA, MIGRATIONS)
