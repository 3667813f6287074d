"""Servicing's delinquency of each loan, from its DelinquencyChanged (the ledger shows days
past due as servicing rates them).

Revision ID: 0005
Revises: 0004
"""

from alembic import op

from lending_ledger.adapters import orm

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    orm.loan_delinquency.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("loan_delinquency")
