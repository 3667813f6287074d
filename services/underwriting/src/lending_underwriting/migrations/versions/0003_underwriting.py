"""Decisions, referrals, applications waiting for documents, and the exposure view.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

from lending_underwriting.adapters import orm

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("decisions", *orm.decisions_columns())
    op.create_table("referrals", *orm.referrals_columns())
    op.create_index("ix_referrals_status_decide_by", "referrals", ["status", "decide_by"])
    op.create_table("parked_applications", *orm.parked_columns())
    op.create_table("borrower_loans", *orm.borrower_loans_columns())


def downgrade() -> None:
    op.drop_table("borrower_loans")
    op.drop_table("parked_applications")
    op.drop_index("ix_referrals_status_decide_by", "referrals")
    op.drop_table("referrals")
    op.drop_table("decisions")
