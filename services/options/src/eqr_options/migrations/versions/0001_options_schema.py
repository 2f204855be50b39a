"""options schema: saved strategies (and the outbox of the platform's unit of work)

Revision ID: 0001
Revises:
Create Date: 2026-11-28 10:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('saved_strategies',
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.Column('owner', sa.Uuid(), nullable=False),
    sa.Column('symbol', sa.Text(), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('legs', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_saved_strategies')),
    schema='options'
    )
    op.create_index('ix_saved_strategies_owner', 'saved_strategies', ['owner', 'created_at', 'id'], unique=False, schema='options')
    op.create_index('ix_saved_strategies_owner_symbol', 'saved_strategies', ['owner', 'symbol', 'created_at', 'id'], unique=False, schema='options')
    op.create_table('outbox',
    sa.Column('id', sa.BigInteger(), sa.Identity(always=False), nullable=False),
    sa.Column('msg_id', sa.Uuid(), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('payload', sa.LargeBinary(), nullable=False),
    sa.Column('headers', postgresql.JSONB(astext_type=sa.Text()), server_default=sa.text("'{}'::jsonb"), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('msg_id', name=op.f('uq_outbox_msg_id')),
    schema='options'
    )
    op.create_index('ix_options_outbox_unpublished', 'outbox', ['id'], unique=False, schema='options', postgresql_where=sa.text('published_at IS NULL'))


def downgrade() -> None:
    op.drop_index('ix_options_outbox_unpublished', table_name='outbox', schema='options', postgresql_where=sa.text('published_at IS NULL'))
    op.drop_table('outbox', schema='options')
    op.drop_index('ix_saved_strategies_owner_symbol', table_name='saved_strategies', schema='options')
    op.drop_index('ix_saved_strategies_owner', table_name='saved_strategies', schema='options')
    op.drop_table('saved_strategies', schema='options')
