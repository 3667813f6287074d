"""Who closed each business day and who declared each holiday; whether a day was closed
ahead of the wall clock (an admin's override, issue 20).

Rows from before this revision keep NULL actors: nobody was recorded then.

Revision ID: 0012
Revises: 0011
"""

from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UPGRADE = (
    "ALTER TABLE business_days ADD COLUMN closed_by TEXT, "
    "ADD COLUMN ahead_of_wall_clock BOOLEAN DEFAULT false NOT NULL",
    "ALTER TABLE holidays ADD COLUMN declared_by TEXT, "
    "ADD COLUMN declared_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL",
)

DOWNGRADE = (
    "ALTER TABLE holidays DROP COLUMN declared_by, DROP COLUMN declared_at",
    "ALTER TABLE business_days DROP COLUMN closed_by, DROP COLUMN ahead_of_wall_clock",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
