"""Servicing events parked until their loan's LoanBooked arrives.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

from lending_underwriting.adapters import orm

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("parked_loan_events", *orm.parked_loan_events_columns())


def downgrade() -> None:
    op.drop_table("parked_loan_events")
