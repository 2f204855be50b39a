"""Alembic per service, its version table inside the service's own schema.

Each service's ``migrations/env.py`` calls :func:`run_env`; :func:`upgrade` is what both
``python -m eqr_<id> migrate`` and start-up in dev call. A PostgreSQL advisory lock makes
concurrent start-ups (several replicas) migrate one at a time.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config


def upgrade(database_url: str, schema: str, migrations_dir: Path, revision: str = "head") -> None:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    config.attributes["schema"] = schema
    command.upgrade(config, revision)


def run_env(target_metadata: sa.MetaData) -> None:
    """The body of every service's ``env.py`` (online mode only)."""
    config = context.config
    schema: str = config.attributes["schema"]
    engine = sa.create_engine(config.get_main_option("sqlalchemy.url") or "", poolclass=sa.NullPool)
    with engine.connect() as connection:
        connection.execute(
            sa.text("SELECT pg_advisory_lock(hashtext(:key))"), {"key": f"eqr-migrate-{schema}"}
        )
        try:
            connection.execute(sa.text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
            connection.commit()
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                version_table_schema=schema,
                include_schemas=True,
                include_name=lambda name, type_, _parent: type_ != "schema" or name == schema,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            connection.execute(
                sa.text("SELECT pg_advisory_unlock(hashtext(:key))"), {"key": f"eqr-migrate-{schema}"}
            )
            connection.commit()
