"""cases, centres and escalation

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25 23:01:35.994817
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('provinces',
    sa.Column('code', sa.String(length=2), nullable=False),
    sa.Column('name_th', sa.String(length=64), nullable=False),
    sa.Column('name_en', sa.String(length=64), nullable=False),
    sa.Column('region', sa.String(length=16), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_provinces'))
    )
    op.create_table('centres',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=16), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('name_th', sa.String(length=160), nullable=False),
    sa.Column('name_en', sa.String(length=160), nullable=False),
    sa.ForeignKeyConstraint(['province_code'], ['provinces.code'], name=op.f('fk_centres_province_code_provinces')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_centres')),
    sa.UniqueConstraint('code', name=op.f('uq_centres_code')),
    sa.UniqueConstraint('province_code', name=op.f('uq_centres_province_code'))
    )
    op.create_table('contacts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('centre_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('role', sa.String(length=120), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('on_duty', sa.Boolean(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('unreachable_reason', sa.String(length=120), nullable=True),
    sa.Column('updated_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_contacts_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contacts')),
    sa.UniqueConstraint('centre_id', 'phone', 'level', name=op.f('uq_contacts_centre_id_phone_level'))
    )
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contacts_phone'), ['phone'], unique=False)

    op.create_table('cases',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=20), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('category', sa.String(length=32), nullable=True),
    sa.Column('urgency', sa.String(length=8), nullable=False),
    sa.Column('province_code', sa.String(length=2), nullable=True),
    sa.Column('district_code', sa.String(length=4), nullable=True),
    sa.Column('centre_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('unacknowledged', sa.Boolean(), nullable=False),
    sa.Column('sla_due_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('acknowledged_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.Column('closed_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['contacts.id'], name=op.f('fk_cases_acknowledged_by_contacts')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_cases_call_id_calls')),
    sa.ForeignKeyConstraint(['centre_id'], ['centres.id'], name=op.f('fk_cases_centre_id_centres')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_cases')),
    sa.UniqueConstraint('call_id', name=op.f('uq_cases_call_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_cases_reference'))
    )
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cases_category'), ['category'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_centre_id'), ['centre_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_province_code'), ['province_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_cases_status'), ['status'], unique=False)

    op.create_table('case_transitions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=16), nullable=True),
    sa.Column('to_status', sa.String(length=16), nullable=False),
    sa.Column('actor', sa.String(length=64), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_case_transitions_case_id_cases'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_case_transitions'))
    )
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_case_transitions_case_id'), ['case_id'], unique=False)

    op.create_table('escalations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('message_sid', sa.String(length=64), nullable=True),
    sa.Column('error_code', sa.String(length=16), nullable=True),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('delivered_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_escalations_case_id_cases')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_escalations_contact_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_escalations')),
    sa.UniqueConstraint('case_id', 'level', 'contact_id', name=op.f('uq_escalations_case_id_level_contact_id')),
    sa.UniqueConstraint('message_sid', name=op.f('uq_escalations_message_sid'))
    )
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_escalations_case_id'), ['case_id'], unique=False)

    op.create_table('messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('direction', sa.String(length=8), nullable=False),
    sa.Column('sid', sa.String(length=64), nullable=True),
    sa.Column('to_number', sa.String(length=64), nullable=False),
    sa.Column('from_number', sa.String(length=64), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('error_code', sa.String(length=16), nullable=True),
    sa.Column('dry_run', sa.Boolean(), nullable=False),
    sa.Column('escalation_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_messages_case_id_cases')),
    sa.ForeignKeyConstraint(['escalation_id'], ['escalations.id'], name=op.f('fk_messages_escalation_id_escalations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_messages')),
    sa.UniqueConstraint('sid', name=op.f('uq_messages_sid'))
    )
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_case_id'), ['case_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_messages_escalation_id'), ['escalation_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_escalation_id'))
        batch_op.drop_index(batch_op.f('ix_messages_case_id'))

    op.drop_table('messages')
    with op.batch_alter_table('escalations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_escalations_case_id'))

    op.drop_table('escalations')
    with op.batch_alter_table('case_transitions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_case_transitions_case_id'))

    op.drop_table('case_transitions')
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cases_status'))
        batch_op.drop_index(batch_op.f('ix_cases_province_code'))
        batch_op.drop_index(batch_op.f('ix_cases_created_at'))
        batch_op.drop_index(batch_op.f('ix_cases_centre_id'))
        batch_op.drop_index(batch_op.f('ix_cases_category'))

    op.drop_table('cases')
    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contacts_phone'))

    op.drop_table('contacts')
    op.drop_table('centres')
    op.drop_table('provinces')
