"""The business date as servicing's day closes announce it: offers are priced from it.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

from lending_underwriting.adapters import orm

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table("business_dates", *orm.business_dates_columns())


def downgrade() -> None:
    op.drop_table("business_dates")
