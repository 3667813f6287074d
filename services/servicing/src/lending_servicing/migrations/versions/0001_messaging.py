"""The outbox and inbox of reliable messaging.

Revision ID: 0001
"""

from alembic import op

import lending_messaging.migrations as migrations

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    migrations.upgrade(op)


def downgrade() -> None:
    migrations.downgrade(op)
