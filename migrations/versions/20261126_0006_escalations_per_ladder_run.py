"""escalations per ladder run

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-26 07:20:00

An escalation was unique per (case, level, contact): a case moved to another province and back found
its first centre's rows from before and paged nobody there. The case's ladder run joins the key.
Existing rows keep run 0, the run every case starts with.
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ladder_run', sa.Integer(), nullable=False, server_default='0'))
        batch_op.drop_constraint('uq_escalations_case_id_level_contact_id', type_='unique')
        batch_op.create_unique_constraint('uq_escalations_case_id_ladder_run_level_contact_id',
                                          ['case_id', 'ladder_run', 'level', 'contact_id'])


def downgrade() -> None:
    # A later run's row that repeats an earlier run's (case, level, contact) cannot keep a key of its own, and
    # its SMS and replies refer to it: stop rather than delete what was sent.
    repeated = op.get_bind().execute(sa.text(
        "SELECT count(*) FROM escalations later JOIN escalations earlier ON earlier.case_id = later.case_id"
        " AND earlier.level = later.level AND earlier.contact_id = later.contact_id"
        " AND earlier.ladder_run < later.ladder_run")).scalar()
    if repeated:
        raise RuntimeError(f"{repeated} escalations repeat an earlier ladder run's (case, level, contact): "
                           "0005 cannot hold them")
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_constraint('uq_escalations_case_id_ladder_run_level_contact_id', type_='unique')
        batch_op.create_unique_constraint('uq_escalations_case_id_level_contact_id', ['case_id', 'level', 'contact_id'])
        batch_op.drop_column('ladder_run')
