"""LINE chat: the reports made in it, each with its case; a chat waiting for a person (issue 17)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 10:00:00

`line_reports` (models/line.py LineReport): the chat menu's answers as they come, the person's own words, and the
case the report opened (unique: one case per report). `line_chats.person_asked_at`: when the chat asked for a
person (talk to a person, other help, danger now), the hand-over's queue. A new table and a nullable column: the
upgrade leaves every existing row as it was.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('line_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('chat_id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=True),
    sa.Column('kind', sa.String(length=32), nullable=True),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('district_code', sa.String(length=4), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('callback_consent', sa.Boolean(), nullable=True),
    sa.Column('account', sa.Text(), nullable=True),
    sa.Column('started_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_line_reports_case_id_cases')),
    sa.ForeignKeyConstraint(['chat_id'], ['line_chats.id'], name=op.f('fk_line_reports_chat_id_line_chats'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_line_reports')),
    sa.UniqueConstraint('case_id', name=op.f('uq_line_reports_case_id'))
    )
    with op.batch_alter_table('line_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_line_reports_chat_id'), ['chat_id'], unique=False)

    with op.batch_alter_table('line_chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_asked_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_line_chats_person_asked_at'), ['person_asked_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('line_chats', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_line_chats_person_asked_at'))
        batch_op.drop_column('person_asked_at')

    with op.batch_alter_table('line_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_line_reports_chat_id'))

    op.drop_table('line_reports')
