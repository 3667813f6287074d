"""The current offer's expiry as a column, indexed over approved applications, for the sweep
that expires unsigned offers.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("applications",
                  sa.Column("offer_expires_at", sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE applications SET offer_expires_at = CAST(offer ->> 'expires_at' AS "
               "timestamptz) WHERE offer IS NOT NULL")
    op.create_index("applications_offers_due", "applications", ["offer_expires_at"],
                    postgresql_where=sa.text("status = 'approved'"))


def downgrade() -> None:
    op.drop_index("applications_offers_due", table_name="applications")
    op.drop_column("applications", "offer_expires_at")
