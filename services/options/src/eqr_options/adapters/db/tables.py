"""The ``options`` schema. Only this service reads or writes it."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Column, DateTime, Index, Table, Text, Uuid
from sqlalchemy.dialects.postgresql import JSONB

from eqr_platform.db import outbox_table, schema_metadata

SCHEMA = "options"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

metadata = schema_metadata(SCHEMA)

saved_strategies = Table(
    "saved_strategies",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner", Uuid, nullable=False),
    Column("symbol", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("legs", JSONB, nullable=False),
    Column("notes", Text, nullable=False, server_default=""),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Index("ix_saved_strategies_owner", "owner", "created_at", "id"),
    Index("ix_saved_strategies_owner_symbol", "owner", "symbol", "created_at", "id"),
)

outbox = outbox_table(metadata)
"""The platform's unit of work writes events here in the business transaction; the options
service publishes none yet, so no relay runs."""
