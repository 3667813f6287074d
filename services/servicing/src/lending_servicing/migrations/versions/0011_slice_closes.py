"""The last day each slice of the book was closed for (``slice_closes``): a payment or a
reversal re-rates its loan as of that day and publishes the delinquency it moved.

Revision ID: 0011
Revises: 0010
"""

from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE slice_closes (
    calendar_id TEXT NOT NULL,
    close_partition SMALLINT NOT NULL,
    business_date DATE NOT NULL,
    PRIMARY KEY (calendar_id, close_partition)
)""")


def downgrade() -> None:
    op.execute("DROP TABLE slice_closes")
