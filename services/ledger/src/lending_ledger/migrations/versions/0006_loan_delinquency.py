"""Servicing's delinquency of each loan, from its DelinquencyChanged (the ledger shows days
past due as servicing rates them).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

from lending_ledger.adapters import orm

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    orm.loan_delinquency.create(op.get_bind())


def downgrade() -> None:
    op.drop_table("loan_delinquency")
