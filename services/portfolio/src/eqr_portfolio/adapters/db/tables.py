"""The ``portfolio`` schema. Only this service reads or writes it.

Money and quantities are NUMERIC without a declared scale: PostgreSQL keeps exactly the
digits it is given, and Python reads them back as the same ``Decimal``.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Numeric,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import JSONB

from eqr_platform.db import outbox_table, schema_metadata

SCHEMA = "portfolio"
MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"

metadata = schema_metadata(SCHEMA)


def _created_at() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


def _exact(name: str) -> Column[object]:
    return Column(name, Numeric(asdecimal=True), nullable=False, server_default="0")


portfolios = Table(
    "portfolios",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("base_currency", Text, nullable=False),
    Column("benchmark", Text),
    Column("cost_method", Text, nullable=False),
    Column("cash_mode", Text, nullable=False),
    Column("allow_short", Boolean, nullable=False, server_default="false"),
    Column("ledger_version", BigInteger, nullable=False, server_default="0"),
    _created_at(),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("deleted_at", DateTime(timezone=True)),
    Index("ix_portfolios_owner", "owner_id", "created_at", "id"),
)

transactions = Table(
    "transactions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("portfolio_id", Uuid, ForeignKey("portfolios.id", ondelete="CASCADE"), nullable=False),
    Column("sequence", BigInteger, Identity(), nullable=False, unique=True),
    Column("kind", Text, nullable=False),
    Column("trade_date", Date, nullable=False),
    Column("symbol", Text),
    _exact("quantity"),
    _exact("price"),
    _exact("amount"),
    _exact("ratio"),
    _exact("commission"),
    Column("notes", Text, nullable=False, server_default=""),
    Column("created_by", Uuid, nullable=False),
    _created_at(),
    Column("deleted_at", DateTime(timezone=True)),
    CheckConstraint(
        "quantity >= 0 AND price >= 0 AND amount >= 0 AND ratio >= 0 AND commission >= 0", "non_negative"
    ),
    Index("ix_transactions_ledger", "portfolio_id", "trade_date", "sequence"),
)

shares = Table(
    "shares",
    metadata,
    Column("portfolio_id", Uuid, ForeignKey("portfolios.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Uuid, primary_key=True),
    Column("email", Text, nullable=False),
    Column("role", Text, nullable=False),
    _created_at(),
    Index("ix_shares_user", "user_id"),
)

templates = Table(
    "templates",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("owner_id", Uuid, nullable=False),
    Column("name", Text, nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("weights", JSONB, nullable=False),
    _created_at(),
    Index("ix_templates_owner", "owner_id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("portfolio_id", Uuid, ForeignKey("portfolios.id", ondelete="CASCADE"), nullable=False),
    Column("kind", Text, nullable=False),
    Column("symbol", Text),
    Column("threshold", Numeric(asdecimal=True), nullable=False),
    Column("rearm_band_percent", Numeric(asdecimal=True), nullable=False),
    Column("note", Text, nullable=False, server_default=""),
    Column("state", JSONB, nullable=False),
    Column("created_by", Uuid, nullable=False),
    _created_at(),
    Column("last_triggered_at", DateTime(timezone=True)),
    Column("deleted_at", DateTime(timezone=True)),
    Index("ix_alerts_portfolio", "portfolio_id"),
    Index("ix_alerts_symbol", "symbol"),
)

alert_triggers = Table(
    "alert_triggers",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("alert_id", Uuid, ForeignKey("alerts.id", ondelete="CASCADE"), nullable=False),
    Column("portfolio_id", Uuid, nullable=False),
    Column("kind", Text, nullable=False),
    Column("symbol", Text),
    Column("threshold", Numeric(asdecimal=True), nullable=False),
    Column("observed", Numeric(asdecimal=True), nullable=False),
    Column("message", Text, nullable=False),
    Column("triggered_at", DateTime(timezone=True), nullable=False),
    Index("ix_alert_triggers_portfolio", "portfolio_id", "triggered_at", "id"),
)

changes = Table(
    "changes",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("portfolio_id", Uuid, nullable=False),
    Column("actor_id", Uuid, nullable=False),
    Column("action", Text, nullable=False),
    Column("subject_id", Text, nullable=False, server_default=""),
    Column("details", JSONB, nullable=False),
    Column("occurred_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Index("ix_changes_portfolio", "portfolio_id", "id"),
)

outbox = outbox_table(metadata)
