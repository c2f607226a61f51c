"""operator desk: callers in line, offers to operators, wrap-up (issue 16)

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-04 23:30:00

`desk_waits` (a caller who asked for a person, one per call: in line, offered, answered or gone, and the callback
list) and `desk_offers` (each ring of an operator; partial unique indexes allow one ringing offer per caller and
per operator). `desk_profiles.wrap_up_until`. New tables and a nullable column: existing rows stay as they were.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('desk_waits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('conference', sa.String(length=80), nullable=False),
    sa.Column('conference_sid', sa.String(length=64), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('asked_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('message_offered_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('answered_by', sa.Integer(), nullable=True),
    sa.Column('answered_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('interpreter_id', sa.Integer(), nullable=True),
    sa.Column('callback_due', sa.Boolean(), nullable=False),
    sa.Column('callback_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('callback_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['answered_by'], ['users.id'], name=op.f('fk_desk_waits_answered_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_desk_waits_call_id_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['callback_by'], ['users.id'], name=op.f('fk_desk_waits_callback_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['interpreter_id'], ['interpreters.id'], name=op.f('fk_desk_waits_interpreter_id_interpreters'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_waits')),
    sa.UniqueConstraint('call_id', name=op.f('uq_desk_waits_call_id')),
    sa.UniqueConstraint('conference', name=op.f('uq_desk_waits_conference'))
    )
    with op.batch_alter_table('desk_waits', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_waits_callback_due'), ['callback_due'], unique=False)
        batch_op.create_index(batch_op.f('ix_desk_waits_state'), ['state'], unique=False)

    op.create_table('desk_offers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('wait_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=12), nullable=False),
    sa.Column('endpoint', sa.String(length=200), nullable=False),
    sa.Column('interpreter_id', sa.Integer(), nullable=True),
    sa.Column('offered_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('requested_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('answered_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['interpreter_id'], ['interpreters.id'], name=op.f('fk_desk_offers_interpreter_id_interpreters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_desk_offers_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['wait_id'], ['desk_waits.id'], name=op.f('fk_desk_offers_wait_id_desk_waits'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_desk_offers'))
    )
    with op.batch_alter_table('desk_offers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_desk_offers_call_sid'), ['call_sid'], unique=False)
        batch_op.create_index(batch_op.f('ix_desk_offers_user_id'), ['user_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_desk_offers_wait_id'), ['wait_id'], unique=False)
        batch_op.create_index('uq_desk_offers_ringing_user', ['user_id'], unique=True, sqlite_where=sa.text("state = 'ringing'"), postgresql_where=sa.text("state = 'ringing'"))
        batch_op.create_index('uq_desk_offers_ringing_wait', ['wait_id'], unique=True, sqlite_where=sa.text("state = 'ringing'"), postgresql_where=sa.text("state = 'ringing'"))

    with op.batch_alter_table('desk_profiles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('wrap_up_until', models.db.UTCDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('desk_profiles', schema=None) as batch_op:
        batch_op.drop_column('wrap_up_until')

    with op.batch_alter_table('desk_offers', schema=None) as batch_op:
        batch_op.drop_index('uq_desk_offers_ringing_wait', sqlite_where=sa.text("state = 'ringing'"), postgresql_where=sa.text("state = 'ringing'"))
        batch_op.drop_index('uq_desk_offers_ringing_user', sqlite_where=sa.text("state = 'ringing'"), postgresql_where=sa.text("state = 'ringing'"))
        batch_op.drop_index(batch_op.f('ix_desk_offers_wait_id'))
        batch_op.drop_index(batch_op.f('ix_desk_offers_user_id'))
        batch_op.drop_index(batch_op.f('ix_desk_offers_call_sid'))

    op.drop_table('desk_offers')
    with op.batch_alter_table('desk_waits', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_desk_waits_state'))
        batch_op.drop_index(batch_op.f('ix_desk_waits_callback_due'))

    op.drop_table('desk_waits')
