"""The outbox keeps its emptied pages for the next burst of events
(``lending_messaging.migrations.keep_outbox_pages``).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from lending_messaging import migrations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    migrations.keep_outbox_pages(op)


def downgrade() -> None:
    migrations.release_outbox_pages(op)
