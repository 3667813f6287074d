"""Collections: the loan projection, cases, the audited case actions, promises to pay, early
warnings and the business date.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loans",
        sa.Column("loan_id", sa.Text, primary_key=True),
        sa.Column("partner_id", sa.Text, nullable=False),
        sa.Column("product_code", sa.Text, nullable=False),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("principal", sa.BigInteger, nullable=False),
        sa.Column("outstanding_principal", sa.BigInteger, nullable=False),
        sa.Column("overdue", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("days_past_due", sa.Integer, nullable=False, server_default="0"),
        sa.Column("dpd_as_of", sa.Date),
        sa.Column("bucket", sa.Text, nullable=False, server_default="current"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("restructured", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("asset_class", sa.Text, nullable=False, server_default="normal"),
        sa.Column("ifrs9_stage", sa.Integer, nullable=False, server_default="1"),
        sa.Column("classification_version", sa.Text),
        sa.Column("total_paid", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_table(
        "cases",
        sa.Column("case_id", sa.Text, primary_key=True),
        sa.Column("loan_id", sa.Text, sa.ForeignKey("loans.loan_id"), nullable=False),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("opened_on", sa.Date, nullable=False),
        sa.Column("closed_on", sa.Date),
        sa.Column("resolution", sa.Text),
        sa.Column("days_past_due", sa.Integer, nullable=False),
        sa.Column("bucket", sa.Text, nullable=False),
        sa.Column("stage", sa.Text, nullable=False),
        sa.Column("strategy_id", sa.Text, nullable=False),
        sa.Column("assigned_to", sa.Text),
        sa.Column("next_action_on", sa.Date),
        sa.Column("paid_since_open", sa.BigInteger, nullable=False, server_default="0"),
    )
    op.create_index("cases_one_open_per_loan", "cases", ["loan_id"], unique=True,
                    postgresql_where=sa.text("status = 'open'"))
    op.create_index("cases_queue", "cases", ["status", "bucket", "next_action_on"])
    op.create_table(
        "case_actions",
        sa.Column("action_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("kind", sa.Text, nullable=False),
        sa.Column("code", sa.Text),
        sa.Column("stage", sa.Text),
        sa.Column("business_date", sa.Date, nullable=False),
        sa.Column("performed_by", sa.Text, nullable=False),
        sa.Column("performed_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("is_contact", sa.Boolean, nullable=False, server_default="false"),
        sa.Column("strategy_id", sa.Text),
        sa.Column("strategy_version", sa.Text),
        sa.Column("details", postgresql.JSONB, nullable=False, server_default="{}"),
        sa.Column("dedupe_key", sa.Text, unique=True),
        sa.Column("delivery_status", sa.Text),
        sa.Column("send_after", sa.DateTime(timezone=True)),
    )
    op.create_index("case_actions_by_case", "case_actions", ["case_id", "business_date"])
    op.create_index("case_actions_to_send", "case_actions", ["send_after"],
                    postgresql_where=sa.text("delivery_status = 'pending'"))
    op.create_table(
        "promises",
        sa.Column("promise_id", sa.Text, primary_key=True),
        sa.Column("case_id", sa.Text, sa.ForeignKey("cases.case_id"), nullable=False),
        sa.Column("loan_id", sa.Text, nullable=False, index=True),
        sa.Column("currency", sa.Text, nullable=False),
        sa.Column("amount", sa.BigInteger, nullable=False),
        sa.Column("promised_date", sa.Date, nullable=False),
        sa.Column("recorded_on", sa.Date, nullable=False),
        sa.Column("recorded_by", sa.Text, nullable=False),
        sa.Column("paid", sa.BigInteger, nullable=False, server_default="0"),
        sa.Column("status", sa.Text, nullable=False),
        sa.Column("resolved_on", sa.Date),
    )
    op.create_index("promises_pending", "promises", ["promised_date"],
                    postgresql_where=sa.text("status = 'pending'"))
    op.create_table(
        "early_warnings",
        sa.Column("warning_id", sa.Text, primary_key=True),
        sa.Column("loan_id", sa.Text, nullable=False),
        sa.Column("as_of", sa.Date, nullable=False),
        sa.Column("severity", sa.Text, nullable=False),
        sa.Column("signals", postgresql.JSONB, nullable=False),
        sa.Column("raised_at", sa.DateTime(timezone=True), nullable=False,
                  server_default=sa.func.now()),
    )
    op.create_index("early_warnings_once_a_day", "early_warnings", ["loan_id", "as_of"],
                    unique=True)
    op.create_table(
        "business_day",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("business_date", sa.Date, nullable=False),
    )


def downgrade() -> None:
    for table in ("business_day", "early_warnings", "promises", "case_actions", "cases", "loans"):
        op.drop_table(table)
