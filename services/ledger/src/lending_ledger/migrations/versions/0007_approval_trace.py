"""The trace context an approval was handled in, kept with its terms: the loan is booked
and paid out in that trace, so its origination reads as one trace from the partner's
application to the payout.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("approved_terms", sa.Column("traceparent", sa.Text(), nullable=True))


def downgrade() -> None:
    op.drop_column("approved_terms", "traceparent")
