"""Credentials may expire (operator keys unless renewed): ``credentials.expires_at``.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

import lending_platform.credentials as credentials

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    credentials.add_expiry(op)


def downgrade() -> None:
    credentials.drop_expiry(op)
