"""users, annotations, audit, api tokens and reports

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 23:25:48.604761
"""
import sqlalchemy as sa
from alembic import op

import models.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('api_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('prefix', sa.String(length=12), nullable=False),
    sa.Column('scope', sa.String(length=16), nullable=False),
    sa.Column('provinces', sa.JSON(), nullable=False),
    sa.Column('can_see_numbers', sa.Boolean(), nullable=False),
    sa.Column('can_report', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_used_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_api_tokens_token_hash'))
    )
    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('provinces', sa.JSON(), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', models.db.UTCDateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('token_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=32), nullable=False),
    sa.Column('target', sa.String(length=64), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('ip', sa.String(length=64), nullable=True),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_audit_token_id_api_tokens')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit'))
    )
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_at'), ['at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_token_id'), ['token_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_user_id'), ['user_id'], unique=False)

    op.create_table('annotations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('call_id', sa.Integer(), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('supersedes_id', sa.Integer(), nullable=True),
    sa.Column('created_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_annotations_author_id_users')),
    sa.ForeignKeyConstraint(['call_id'], ['calls.id'], name=op.f('fk_annotations_call_id_calls')),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_annotations_case_id_cases')),
    sa.ForeignKeyConstraint(['supersedes_id'], ['annotations.id'], name=op.f('fk_annotations_supersedes_id_annotations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_annotations'))
    )
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_annotations_call_id'), ['call_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_annotations_case_id'), ['case_id'], unique=False)

    op.create_table('reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token_id', sa.Integer(), nullable=False),
    sa.Column('idempotency_key', sa.String(length=128), nullable=False),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.Column('reporter_type', sa.String(length=16), nullable=False),
    sa.Column('reporter_id', sa.String(length=64), nullable=True),
    sa.Column('contact_number', sa.String(length=20), nullable=True),
    sa.Column('callback_consent', sa.Boolean(), nullable=True),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('description', sa.Text(), nullable=True),
    sa.Column('latitude', sa.Float(), nullable=True),
    sa.Column('longitude', sa.Float(), nullable=True),
    sa.Column('received_at', models.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_reports_case_id_cases')),
    sa.ForeignKeyConstraint(['token_id'], ['api_tokens.id'], name=op.f('fk_reports_token_id_api_tokens')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reports')),
    sa.UniqueConstraint('case_id', name=op.f('uq_reports_case_id')),
    sa.UniqueConstraint('token_id', 'idempotency_key', name=op.f('uq_reports_token_id_idempotency_key'))
    )


def downgrade() -> None:
    op.drop_table('reports')
    with op.batch_alter_table('annotations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_annotations_case_id'))
        batch_op.drop_index(batch_op.f('ix_annotations_call_id'))

    op.drop_table('annotations')
    with op.batch_alter_table('audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_token_id'))
        batch_op.drop_index(batch_op.f('ix_audit_at'))

    op.drop_table('audit')
    op.drop_table('users')
    op.drop_table('api_tokens')
