"""console edits of contacts, case reassignment (ladder runs, the centre a transition moved to)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 02:30:00
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('console_edited_at', models.db.UTCDateTime(timezone=True), nullable=True))
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ladder_run', sa.Integer(), nullable=False, server_default='0'))
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('to_centre_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_case_transitions_to_centre_id_centres'), 'centres',
                                    ['to_centre_id'], ['id'])


def downgrade() -> None:
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_case_transitions_to_centre_id_centres'), type_='foreignkey')
        batch_op.drop_column('to_centre_id')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_column('ladder_run')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_column('console_edited_at')
