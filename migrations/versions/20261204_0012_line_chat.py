"""LINE chat: webhook events, chats, messages (issue 17)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-04 22:00:00

Filled by the issue's first step; empty until then.
"""

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
