"""console sessions on the server, API report bodies, missed acknowledgement windows

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 21:00:00

- `console_sessions`: a console login lives on the server, so logout, a password change and a deactivation end it.
  Existing cookie sessions stop working after the upgrade: everyone logs in once more.
- `reports.body_sha256`: an idempotency key reused with another body is refused (422). Reports from before the
  upgrade have none: a retry of one of those is answered as before.
- `cases.sla_missed_level`, `cases.sla_missed_at`: the first acknowledgement window that passed unanswered, kept
  after a late ACK. Empty for older cases.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'console_sessions',
        sa.Column('id', sa.String(length=64), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('seen_at', models.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column('ended_at', models.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column('ended_why', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_console_sessions_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_console_sessions')),
    )
    op.create_index(op.f('ix_console_sessions_user_id'), 'console_sessions', ['user_id'], unique=False)
    with op.batch_alter_table('reports') as batch:
        batch.add_column(sa.Column('body_sha256', sa.String(length=64), nullable=True))
    with op.batch_alter_table('cases') as batch:
        batch.add_column(sa.Column('sla_missed_level', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('sla_missed_at', models.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('cases') as batch:
        batch.drop_column('sla_missed_at')
        batch.drop_column('sla_missed_level')
    with op.batch_alter_table('reports') as batch:
        batch.drop_column('body_sha256')
    op.drop_index(op.f('ix_console_sessions_user_id'), table_name='console_sessions')
    op.drop_table('console_sessions')
