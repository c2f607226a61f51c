"""case story: intakes, referrals, linked calls, field reports

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-04 21:08:14

The case story (models/story.py): `intakes` (an operator's structured record of a case, one row per version),
`referrals` and `referral_steps` (other agencies told, and each change of their answer), `linked_calls` (another
call about a case that exists), `field_reports` (arrived / done / a note, by SMS from the field team). New tables
only: the upgrade leaves every existing row as it was.
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('field_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('message_sid', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('rescued_count', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_field_reports_case_id_cases'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_field_reports_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_reports')),
    sa.UniqueConstraint('message_sid', name=op.f('uq_field_reports_message_sid'))
    )
    with op.batch_alter_table('field_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_field_reports_case_id'), ['case_id'], unique=False)

    op.create_table('intakes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('people_count', sa.Integer(), nullable=True),
    sa.Column('minors_count', sa.Integer(), nullable=True),
    sa.Column('female_count', sa.Integer(), nullable=True),
    sa.Column('male_count', sa.Integer(), nullable=True),
    sa.Column('nationalities', sa.JSON(), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('district_code', sa.String(length=4), nullable=True),
    sa.Column('subdistrict_code', sa.String(length=6), nullable=True),
    sa.Column('place', sa.Text(), nullable=True),
    sa.Column('landmark', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('indicators', sa.JSON(), nullable=False),
    sa.Column('immediate_danger', sa.Boolean(), nullable=True),
    sa.Column('held_responsible', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_intakes_author_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_intakes_call_id_calls')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_intakes_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_intakes')),
    sa.UniqueConstraint('case_id', 'version', name=op.f('uq_intakes_case_id_version'))
    )
    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_intakes_case_id'), ['case_id'], unique=False)

    op.create_table('linked_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_linked_calls_call_id_calls')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_linked_calls_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_linked_calls')),
    sa.UniqueConstraint('call_id', name=op.f('uq_linked_calls_call_id'))
    )
    with op.batch_alter_table('linked_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_linked_calls_case_id'), ['case_id'], unique=False)

    op.create_table('referrals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('agency', sa.String(length=24), nullable=False),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_referrals_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referrals'))
    )
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referrals_case_id'), ['case_id'], unique=False)

    op.create_table('referral_steps',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('referral_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['referral_id'], ['referrals.id'], name=op.f('fk_referral_steps_referral_id_referrals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_steps'))
    )
    with op.batch_alter_table('referral_steps', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_steps_referral_id'), ['referral_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('referral_steps', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referral_steps_referral_id'))

    op.drop_table('referral_steps')
    with op.batch_alter_table('referrals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_referrals_case_id'))

    op.drop_table('referrals')
    with op.batch_alter_table('linked_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_linked_calls_case_id'))

    op.drop_table('linked_calls')
    with op.batch_alter_table('intakes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_intakes_case_id'))

    op.drop_table('intakes')
    with op.batch_alter_table('field_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_field_reports_case_id'))

    op.drop_table('field_reports')
