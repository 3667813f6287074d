"""The day close's update of a loan becomes heap-only (HOT): no index of loans names a
column the close writes.

``loans_watched`` (delinquent or not yet reported current) had ``delinquent_since`` and
``bucket`` in its predicate, so every loan the close made delinquent or moved to another
bucket got a new heap tuple on another page and an entry in each of the three loan
indexes (100,000 such updates took ~1.0 s of the statement, ~0.3 s when all are HOT).
The same loans are now found through ``installments_missed`` (a delinquent loan has a
missed installment; the close's installment update is never HOT anyway, as ``state``
changes) and ``loans_cure_pending`` (a flag the projection sets when it clears a loan's delinquency
while its published bucket is not current, cleared by the close that publishes the cure).
A fillfactor of 70 leaves room on each page for the new versions of the loans a close
updates (it applies to pages written from now on; ``VACUUM FULL loans`` rewrites the rest).

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

UPGRADE = (
    "ALTER TABLE loans ADD COLUMN cure_pending BOOLEAN DEFAULT false NOT NULL",
    "UPDATE loans SET cure_pending = true "
    "WHERE delinquent_since IS NULL AND bucket <> 'current'",
    "DROP INDEX loans_watched",
    "CREATE INDEX loans_cure_pending ON loans (close_partition, loan_id) WHERE cure_pending",
    "CREATE INDEX installments_missed ON installments (close_partition, loan_id) "
    "WHERE state = 'missed'",
    "ALTER TABLE loans SET (fillfactor = 70)",
)

DOWNGRADE = (
    "ALTER TABLE loans RESET (fillfactor)",
    "DROP INDEX installments_missed",
    "DROP INDEX loans_cure_pending",
    "CREATE INDEX loans_watched ON loans (close_partition, loan_id) WHERE status = 'active' "
    "AND (delinquent_since IS NOT NULL OR bucket <> 'current')",
    "ALTER TABLE loans DROP COLUMN cure_pending",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
