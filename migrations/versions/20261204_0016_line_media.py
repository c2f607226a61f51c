"""LINE media: the images, voice notes, videos and files a person sends in the chat, kept like recordings (issue 17)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05 12:00:00

`line_media` (models/line.py LineMedia): one row per message with content, the file's random name under
MEDIA_DIR, its content type and size, and how the copy went. `line_events.erased_at` and `line_messages.erased_at`:
when retention or a data-subject erasure blanked what the person wrote (and their id) or what was sent to them. A
new table and nullable columns: the upgrade changes no existing row.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('line_media',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=8), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('stored_as', sa.String(length=64), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('size', sa.Integer(), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('received_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('kept_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['event_id'], ['line_events.id'], name=op.f('fk_line_media_event_id_line_events'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_media')),
    sa.UniqueConstraint('event_id', name=op.f('uq_line_media_event_id')),
    sa.UniqueConstraint('stored_as', name=op.f('uq_line_media_stored_as'))
    )
    for table in ('line_events', 'line_messages'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('erased_at', models.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    for table in ('line_messages', 'line_events'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('erased_at')
    op.drop_table('line_media')
