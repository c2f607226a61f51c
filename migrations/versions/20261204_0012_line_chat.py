"""LINE chat: webhook events, chats, messages (issue 17)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:00:00

The LINE chat's first step (models/line.py): `line_events` (each webhook event once, by LINE's webhookEventId),
`line_chats` (one per LINE user: the menu step, the language, whether they wrote first), `line_messages` (what the
hotline sends, each with its outbox row and retry key). New tables only: the upgrade leaves every existing row as it was.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('line_chats',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=False),
    sa.Column('step', sa.String(length=16), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('topic', sa.String(length=16), nullable=True),
    sa.Column('started_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('heard_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('unfollowed_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_chats')),
    sa.UniqueConstraint('line_user_id', name=op.f('uq_line_chats_line_user_id'))
    )
    op.create_table('line_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('webhook_event_id', sa.String(length=64), nullable=False),
    sa.Column('type', sa.String(length=32), nullable=False),
    sa.Column('line_user_id', sa.String(length=64), nullable=True),
    sa.Column('reply_token', sa.String(length=255), nullable=True),
    sa.Column('redelivery', sa.Boolean(), nullable=False),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.Column('received_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('handled_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_events')),
    sa.UniqueConstraint('webhook_event_id', name=op.f('uq_line_events_webhook_event_id'))
    )
    with op.batch_alter_table('line_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_line_events_line_user_id'), ['line_user_id'], unique=False)

    op.create_table('line_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('messages', sa.JSON(), nullable=False),
    sa.Column('reply_token', sa.String(length=255), nullable=True),
    sa.Column('reply_by', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('reply_tried', sa.Boolean(), nullable=False),
    sa.Column('retry_key', sa.String(length=36), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('via', sa.String(length=8), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['chat_id'], ['line_chats.id'], name=op.f('fk_line_messages_chat_id_line_chats'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['event_id'], ['line_events.id'], name=op.f('fk_line_messages_event_id_line_events'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_messages')),
    sa.UniqueConstraint('retry_key', name=op.f('uq_line_messages_retry_key'))
    )
    with op.batch_alter_table('line_messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_line_messages_chat_id'), ['chat_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('line_messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_line_messages_chat_id'))

    op.drop_table('line_messages')
    with op.batch_alter_table('line_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_line_events_line_user_id'))

    op.drop_table('line_events')
    op.drop_table('line_chats')
