"""Credentials may expire (operator keys unless renewed): ``credentials.expires_at``.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

import lending_platform.credentials as credentials

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    credentials.add_expiry(op)


def downgrade() -> None:
    credentials.drop_expiry(op)
