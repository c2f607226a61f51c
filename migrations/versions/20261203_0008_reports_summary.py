"""reports summary

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 15:00:00

The reports page's summary (casework/summary.py): per whole Bangkok week and calendar month, the calls per
province and language, the cases per province and kind (and their sums per province, kind and language), and
each acknowledged case's seconds to acknowledge, counted by the `recount_reports` job. Derived data: empty after the upgrade (the page counts live until the
relay's first recount fills it), dropped by the downgrade.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'summary_periods',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(length=8), nullable=False),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('counted_until', sa.Date(), nullable=False),
        sa.Column('counted_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_periods')),
        sa.UniqueConstraint('unit', 'start', name=op.f('uq_summary_periods_unit_start')),
    )
    op.create_table(
        'summary_counts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(length=8), nullable=False),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('figure', sa.String(length=16), nullable=False),
        sa.Column('province_code', sa.String(length=2), nullable=True),
        sa.Column('key', sa.String(length=32), nullable=True),
        sa.Column('count', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_counts')),
    )
    op.create_index('ix_summary_counts_unit_figure_start', 'summary_counts', ['unit', 'figure', 'start'])
    op.create_table(
        'summary_acks',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('unit', sa.String(length=8), nullable=False),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('province_code', sa.String(length=2), nullable=True),
        sa.Column('level', sa.Integer(), nullable=True),
        sa.Column('seconds', sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_summary_acks')),
    )
    op.create_index('ix_summary_acks_unit_start', 'summary_acks', ['unit', 'start'])


def downgrade() -> None:
    op.drop_index('ix_summary_acks_unit_start', table_name='summary_acks')
    op.drop_table('summary_acks')
    op.drop_index('ix_summary_counts_unit_figure_start', table_name='summary_counts')
    op.drop_table('summary_counts')
    op.drop_table('summary_periods')
