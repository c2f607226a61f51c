"""LINE chat: the console's inbox, a person on the other end (issue 17)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05 12:00:00

`line_chats.person_urgent` (asked for a person because someone is in danger now: first in the inbox),
`line_chats.taken_by_id` / `taken_at` (the operator who has the chat), `line_messages.sent_by_id` (the operator
who wrote a message; None: the bot). Nullable columns and a false default: existing rows stay as they were.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('line_chats', schema=None) as batch_op:
        batch_op.add_column(sa.Column('person_urgent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('taken_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('taken_at', models.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_line_chats_taken_by_id_users'), 'users', ['taken_by_id'], ['id'],
                                    ondelete='SET NULL')
    with op.batch_alter_table('line_chats', schema=None) as batch_op:
        batch_op.alter_column('person_urgent', server_default=None)

    with op.batch_alter_table('line_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sent_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_line_messages_sent_by_id_users'), 'users', ['sent_by_id'], ['id'],
                                    ondelete='SET NULL')


def downgrade() -> None:
    with op.batch_alter_table('line_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_line_messages_sent_by_id_users'), type_='foreignkey')
        batch_op.drop_column('sent_by_id')

    with op.batch_alter_table('line_chats', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_line_chats_taken_by_id_users'), type_='foreignkey')
        batch_op.drop_column('taken_at')
        batch_op.drop_column('taken_by_id')
        batch_op.drop_column('person_urgent')
