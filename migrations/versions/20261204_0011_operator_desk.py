"""operator desk: desk profiles and states, interpreters (issue 16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 22:00:00

The operator desk's first step (models/desk.py): `desk_profiles` (an operator's languages, endpoint and state, one
per user) and `interpreters` (the roster per language). New tables only: the upgrade leaves every existing row as it
was; nobody has a desk profile until one is made (`flask users create --speaks`, or the console's desk page).
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('desk_profiles',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('languages', sa.JSON(), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('state_since', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state_by', sa.String(length=64), nullable=False),
    sa.Column('missed_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_profiles_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_desk_profiles'))
    )
    with op.batch_alter_table('desk_profiles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_profiles_state'), ['state'], unique=False)

    op.create_table('interpreters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('console_edited_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_interpreters')),
    sa.UniqueConstraint('language', 'phone', name=op.f('uq_interpreters_language_phone'))
    )
    with op.batch_alter_table('interpreters', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_interpreters_language'), ['language'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('interpreters', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_interpreters_language'))

    op.drop_table('interpreters')
    with op.batch_alter_table('desk_profiles', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_profiles_state'))

    op.drop_table('desk_profiles')
