"""Intake's own tables: partners, operators, applications, idempotency keys, webhooks.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from lending_intake.adapters import orm

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("partners", "operators", "applications", "idempotency_keys", "webhook_deliveries")


def upgrade() -> None:
    bind = op.get_bind()
    for name in TABLES:
        orm.metadata.tables[name].create(bind)


def downgrade() -> None:
    bind = op.get_bind()
    for name in reversed(TABLES):
        orm.metadata.tables[name].drop(bind)
