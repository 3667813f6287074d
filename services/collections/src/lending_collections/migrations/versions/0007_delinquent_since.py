"""Each loan's delinquency start as servicing published it (DelinquencyChanged
``delinquent_since``): the day close ages a loan to exactly D - it.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE loans ADD COLUMN delinquent_since date")
    # what the ageing already assumed: a loan in arrears was as late on dpd_as_of
    op.execute("UPDATE loans SET delinquent_since = dpd_as_of - days_past_due "
               "WHERE days_past_due > 0 AND dpd_as_of IS NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE loans DROP COLUMN delinquent_since")
