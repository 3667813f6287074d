"""The credentials projection: API key hashes this service verifies `Authorization` against.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

import lending_platform.credentials as credentials

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    credentials.upgrade(op)


def downgrade() -> None:
    credentials.downgrade(op)
