"""A transaction that wrote outbox rows notifies the relay at commit
(``lending_messaging.migrations.notify_outbox_writes``).

Revision ID: 0010
Revises: 0009
"""

from alembic import op

from lending_messaging import migrations

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    migrations.notify_outbox_writes(op)


def downgrade() -> None:
    migrations.stop_notifying_outbox_writes(op)
