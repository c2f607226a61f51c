"""calls and cases by province and time

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26 02:50:00

The console lists a province's calls (and cases) newest first. With the province index alone, or
the time index alone, a province filter with a rare second filter (a status, a language) walks a
large part of a million calls; (province, time) finds the province's rows already in order. It
also serves every lookup the province index served, so that one goes.
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_calls_province_code_started_at', 'calls', ['province_code', 'started_at'])
    op.drop_index('ix_calls_province_code', table_name='calls')
    op.create_index('ix_cases_province_code_created_at', 'cases', ['province_code', 'created_at'])
    op.drop_index('ix_cases_province_code', table_name='cases')


def downgrade() -> None:
    op.create_index('ix_cases_province_code', 'cases', ['province_code'])
    op.drop_index('ix_cases_province_code_created_at', table_name='cases')
    op.create_index('ix_calls_province_code', 'calls', ['province_code'])
    op.drop_index('ix_calls_province_code_started_at', table_name='calls')
