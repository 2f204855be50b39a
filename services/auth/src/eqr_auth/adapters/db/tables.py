"""The ``auth`` schema. Only this service reads or writes it."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    DateTime,
    ForeignKey,
    Identity,
    Index,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY

from eqr_platform.db import outbox_table, schema_metadata

SCHEMA = "auth"

metadata = schema_metadata(SCHEMA)


def _now() -> Column[object]:
    return Column("created_at", DateTime(timezone=True), nullable=False, server_default=func.now())


users = Table(
    "users",
    metadata,
    Column("id", Uuid, primary_key=True),
    # Stored normalised (trimmed, lower-case): uniqueness is case-insensitive by construction.
    Column("email", Text, nullable=False, unique=True),
    Column("full_name", Text, nullable=False),
    Column("role", Text, nullable=False),
    Column("password_hash", Text, nullable=False),
    Column("is_active", Boolean, nullable=False),
    _now(),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    Column("last_login_at", DateTime(timezone=True)),
    CheckConstraint("role IN ('viewer', 'analyst', 'admin')", name="role"),
    CheckConstraint("email = lower(email)", name="email_normalised"),
)

user_preferences = Table(
    "user_preferences",
    metadata,
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("theme", Text, nullable=False),
    Column("timezone", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("locale", Text, nullable=False),
    Column("watchlist", ARRAY(Text), nullable=False),
    # Kept as the caller wrote it (a JSON object validated by the domain), byte for byte.
    Column("dashboard_layout_json", Text, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

user_sessions = Table(
    "user_sessions",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("user_agent", Text, nullable=False),
    Column("ip_address", Text, nullable=False),
    _now(),
    Column("last_used_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("revoked_at", DateTime(timezone=True)),
    Column("revocation_reason", Text),
)

refresh_tokens = Table(
    "refresh_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column(
        "session_id", Uuid, ForeignKey("user_sessions.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("issued_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("rotated_at", DateTime(timezone=True)),
)

password_reset_tokens = Table(
    "password_reset_tokens",
    metadata,
    Column("token_hash", Text, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    _now(),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Column("used_at", DateTime(timezone=True)),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Uuid, primary_key=True),
    Column("user_id", Uuid, ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
    Column("name", Text, nullable=False),
    Column("public_id", Text, nullable=False, unique=True),
    Column("secret_hash", Text, nullable=False),
    Column("scopes", ARRAY(Text), nullable=False),
    _now(),
    Column("expires_at", DateTime(timezone=True)),
    Column("last_used_at", DateTime(timezone=True)),
    Column("revoked_at", DateTime(timezone=True)),
)

login_attempts = Table(
    "login_attempts",
    metadata,
    Column("id", BigInteger, Identity(), primary_key=True),
    Column("email", Text, nullable=False),
    Column("ip_address", Text, nullable=False),
    Column("succeeded", Boolean, nullable=False),
    Column("attempted_at", DateTime(timezone=True), nullable=False),
    Index("ix_login_attempts_email_attempted_at", "email", "attempted_at"),
    Index("ix_login_attempts_ip_address_attempted_at", "ip_address", "attempted_at"),
)

signing_keys = Table(
    "signing_keys",
    metadata,
    Column("kid", Text, primary_key=True),
    # PKCS#8 PEM. Production keeps the database encrypted at rest; see docs/adr.
    Column("private_key_pem", Text, nullable=False),
    _now(),
    Column("retired_at", DateTime(timezone=True)),
)

outbox = outbox_table(metadata)
