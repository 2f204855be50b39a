"""portfolios.ledger_version: bumped by every ledger write, so readers can cache the ledger

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-27 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "portfolios",
        sa.Column("ledger_version", sa.BigInteger(), server_default="0", nullable=False),
        schema="portfolio",
    )


def downgrade() -> None:
    op.drop_column("portfolios", "ledger_version", schema="portfolio")
