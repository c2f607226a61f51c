"""operator desk: desk profiles and states, interpreters (issue 16)

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-04 22:00:00

Filled by the issue's first step; empty until then.
"""

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
