"""What prices a rate change (issue 20): each loan's contract terms as LoanBooked and
LoanRestructured stated them, and on each proposal the interest a rate cut forgoes, which
counts toward its approval tier with the waived amount.

Loans booked before this revision have no terms here (NULL): a rate change on one is refused
until its terms are known; every other plan works as before.

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("ALTER TABLE loans ADD COLUMN terms JSONB")
    op.execute("ALTER TABLE recovery_proposals "
               "ADD COLUMN forgone_interest BIGINT DEFAULT '0' NOT NULL")


def downgrade() -> None:
    op.execute("ALTER TABLE recovery_proposals DROP COLUMN forgone_interest")
    op.execute("ALTER TABLE loans DROP COLUMN terms")
