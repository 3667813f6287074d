"""Recovery proposals with approvals, the per-loan risk signal, pre-due outreach, and the
portfolio history (daily loan snapshots, recoveries and write-offs).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("loans", sa.Column("applicant_id", sa.Text))
    op.create_index("loans_by_applicant", "loans", ["applicant_id"])
    op.create_table(
        "recovery_proposals",
        sa.Column("proposal_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("loan_id", sa.Text, nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("waive_amount", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("terms", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("approver_roles", postgresql.JSONB, nullable=False),
        sa.Column("rules_version", sa.Text, nullable=False),
        sa.Column("proposed_by", sa.Text, nullable=False),
        sa.Column("proposed_on", sa.Date, nullable=False),
        sa.Column("proposed_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_by", sa.Text),
        sa.Column("decided_on", sa.Date),
        sa.Column("decided_at", sa.DateTime(timezone=True)),
        sa.Column("decision_reason", sa.Text),
        sa.Column("request_id", sa.Text, unique=True),
        sa.Column("idempotency_key", sa.Text, unique=True),
    )
    op.create_index("proposals_one_pending_per_case", "recovery_proposals", ["case_id"],
                    unique=True, postgresql_where=sa.text("status = 'proposed'"))
    op.create_index("proposals_by_status", "recovery_proposals", ["status", "proposed_on"])
    op.create_index("proposals_by_case", "recovery_proposals", ["case_id"])
    op.create_table(
        "loan_risk",
        sa.Column("loan_id", sa.Text, primary_key=True),
        sa.Column("score", sa.Integer, nullable=False, server_default="0"),
        sa.Column("level", sa.Text, nullable=False, server_default="none"),
        sa.Column("signals", postgresql.JSONB, nullable=False, server_default="[]"),
        sa.Column("facts", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("as_of", sa.Date),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "outreach",
        sa.Column("outreach_id", sa.Text, primary_key=True),
        sa.Column("loan_id", sa.Text, nullable=False),
        sa.Column("installment_number", sa.Integer, nullable=False),
        sa.Column("due_date", sa.Date, nullable=False),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("risk_level", sa.Text, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("delivery_status", sa.Text, nullable=False),
        sa.Column("send_after", sa.DateTime(timezone=True), nullable=False),
        sa.Column("reference", sa.Text),
        sa.Column("dedupe_key", sa.Text, nullable=False, unique=True),
    )
    op.create_index("outreach_to_send", "outreach", ["send_after"],
                    postgresql_where=sa.text("delivery_status = 'pending'"))
    op.create_table(
        "loan_days",
        sa.Column("business_date", sa.Date, primary_key=True),
        sa.Column("loan_id", sa.Text, primary_key=True),
        sa.Column("partner_id", sa.Text, nullable=False),
        sa.Column("product_code", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("bucket", sa.Text, nullable=False),
        sa.Column("days_past_due", sa.Integer, nullable=False),
        sa.Column("outstanding_principal", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "portfolio_flows",
        sa.Column("flow_id", sa.Text, primary_key=True),  # kind:source id, once per source
        sa.Column("kind", sa.Text, nullable=False),  # recovery | write_off
        sa.Column("loan_id", sa.Text, nullable=False),
        sa.Column("on_date", sa.Date, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
    )
    op.create_index("portfolio_flows_by_date", "portfolio_flows", ["on_date"])


def downgrade() -> None:
    for table in ("portfolio_flows", "loan_days", "outreach", "loan_risk",
                  "recovery_proposals"):
        op.drop_table(table)
    op.drop_index("loans_by_applicant", "loans")
    op.drop_column("loans", "applicant_id")
