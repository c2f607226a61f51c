"""desk: the operator's wrap-up after each call (issue 16)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-05 00:00:00

`desk_waits.wrapped_up_at`: when the answering operator left wrap-up after the call, so the call's record shows
its wrap-up time (casework.desk_record) beside the wait and the talk. Nullable: calls before it have none.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0017'
down_revision = '0016'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('desk_waits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrapped_up_at', models.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('desk_waits', schema=None) as batch_op:
        batch_op.drop_column('wrapped_up_at')
