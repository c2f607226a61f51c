"""call log and outbox

Revision ID: 0001
Revises: 
Create Date: 2026-11-25 22:53:34.768154
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('from_raw', sa.String(length=64), nullable=True),
    sa.Column('from_e164', sa.String(length=20), nullable=True),
    sa.Column('caller_withheld', sa.Boolean(), nullable=False),
    sa.Column('caller_country', sa.String(length=2), nullable=True),
    sa.Column('to_number', sa.String(length=64), nullable=True),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('province_source', sa.String(length=16), nullable=True),
    sa.Column('province_candidates', sa.JSON(), nullable=False),
    sa.Column('district_code', sa.String(length=4), nullable=True),
    sa.Column('postcode', sa.String(length=5), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('ivr_path', sa.JSON(), nullable=False),
    sa.Column('topic', sa.String(length=16), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('urgency', sa.String(length=8), nullable=True),
    sa.Column('callback_consent', sa.Boolean(), nullable=True),
    sa.Column('operator_requested_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('recording_sid', sa.String(length=64), nullable=True),
    sa.Column('recording_url', sa.String(length=512), nullable=True),
    sa.Column('recording_duration', sa.Integer(), nullable=True),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.Column('started_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_calls_call_sid')),
    sa.UniqueConstraint('recording_sid', name=op.f('uq_calls_recording_sid'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calls_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_from_e164'), ['from_e164'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_province_code'), ['province_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_started_at'), ['started_at'], unique=False)

    op.create_table('outbox',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.String(length=128), nullable=False),
    sa.Column('function', sa.String(length=128), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('queue', sa.String(length=16), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('enqueued_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('done_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_outbox')),
    sa.UniqueConstraint('job_id', name=op.f('uq_outbox_job_id'))
    )
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_outbox_status'), ['status'], unique=False)

    op.create_table('call_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=160), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('params', sa.JSON(), nullable=False),
    sa.Column('received_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_call_events_call_id_calls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_call_events')),
    sa.UniqueConstraint('call_id', 'key', name=op.f('uq_call_events_call_id_key'))
    )


def downgrade() -> None:
    op.drop_table('call_events')
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbox_status'))

    op.drop_table('outbox')
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calls_started_at'))
        batch_op.drop_index(batch_op.f('ix_calls_province_code'))
        batch_op.drop_index(batch_op.f('ix_calls_from_e164'))
        batch_op.drop_index(batch_op.f('ix_calls_category'))

    op.drop_table('calls')
