"""Intake's own tables: partners, operators, applications, idempotency keys, webhooks.

Frozen DDL, as the schema stood at this revision: later changes to adapters/orm.py come in
new revisions and never rewrite this one (a test compares the migrated schema to the ORM).

Revision ID: 0003
Revises: 0002
"""

from datetime import datetime

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("partners", "operators", "applications", "idempotency_keys", "webhook_deliveries")


def _created_at() -> sa.Column[datetime]:
    return sa.Column("created_at", sa.DateTime(timezone=True), nullable=False,
                     server_default=sa.text("now()"))


def upgrade() -> None:
    op.create_table(
        "partners",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("webhook_url", sa.Text()),
        sa.Column("webhook_secret", sa.Text(), nullable=False),
        sa.Column("rate_limit_per_second", sa.Integer()),
        _created_at(),
    )
    op.create_table(
        "operators",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("name", sa.Text(), nullable=False, unique=True),
        sa.Column("role", sa.Text(), nullable=False),
        _created_at(),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Text(), primary_key=True),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("product_code", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("currency", sa.Text(), nullable=False),
        sa.Column("requested_amount", sa.Numeric(), nullable=False),
        sa.Column("identity_hash", sa.Text(), nullable=False),
        sa.Column("request", JSONB(), nullable=False),
        sa.Column("documents", JSONB(), nullable=False),
        sa.Column("missing_documents", JSONB(), nullable=False),
        sa.Column("decision", JSONB()),
        sa.Column("offer", JSONB()),
        sa.Column("accepted", JSONB()),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("applications_by_partner", "applications",
                    ["partner_id", "submitted_at", "id"])
    op.create_index("applications_by_identity", "applications", ["identity_hash"])
    op.create_table(
        "idempotency_keys",
        sa.Column("partner_id", sa.Text(), primary_key=True),
        sa.Column("key", sa.Text(), primary_key=True),
        sa.Column("request_sha256", sa.Text(), nullable=False),
        sa.Column("application_id", sa.Text(), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=False),
        sa.Column("response", JSONB(), nullable=False),
        _created_at(),
    )
    op.create_table(
        "webhook_deliveries",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=False), primary_key=True),
        sa.Column("id", sa.Text(), nullable=False, unique=True),
        sa.Column("partner_id", sa.Text(), nullable=False),
        sa.Column("application_id", sa.Text(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default=sa.text("0")),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_status_code", sa.Integer()),
        sa.Column("last_error", sa.Text()),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("delivered_at", sa.DateTime(timezone=True)),
    )
    op.create_index("webhook_deliveries_due", "webhook_deliveries", ["next_attempt_at"],
                    postgresql_where=sa.text("state = 'pending'"))
    op.create_index("webhook_deliveries_by_partner", "webhook_deliveries",
                    ["partner_id", "seq"])


def downgrade() -> None:
    for name in reversed(TABLES):
        op.drop_table(name)
