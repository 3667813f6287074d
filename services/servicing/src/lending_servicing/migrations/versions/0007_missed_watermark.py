"""The day close stops rewriting installments: what it has reported missed is kept on the
loan row, which it updates anyway (heap-only), as a range of installment numbers.

``missed_from``/``missed_through``: the installments reported missed are those numbered in
this range whose unpaid part is still above their tolerance (payments settle oldest first,
so a payment that brings one back within tolerance raises ``missed_from``; a reversal never
lowers it, so an installment cured and then unpaid again is reported again). The close
writes no installment: ``state`` keeps only open, settled and void, ``missed_on`` goes and
so does ``installments_missed``. Delinquent loans are found on the days their bucket can
change, through ``installments_open_due`` (open installments by effective due date), and
``cure_pending`` becomes ``close_review``: the projection asks the next close to look at a
loan in full whenever it changes what that close derived (a payment moving the oldest
missed installment, a reversal or a disbursement leaving an overdue installment unreported,
a restructure).

Existing missed installments become the range of each loan; an open installment already
overdue and above tolerance below that range (cured, then reversed: the old close would
have reported it again) sets ``close_review``.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

UNPAID = "LEAST(i.total, i.cumulative_due - l.paid_to_schedule)"

UPGRADE = (
    "ALTER TABLE loans ADD COLUMN missed_from INTEGER, ADD COLUMN missed_through INTEGER",
    "UPDATE loans AS l SET missed_from = m.lo, missed_through = m.hi "
    "FROM (SELECT loan_id, min(number) AS lo, max(number) AS hi FROM installments "
    "WHERE state = 'missed' GROUP BY loan_id) AS m WHERE m.loan_id = l.loan_id",
    "UPDATE installments SET state = 'open' WHERE state = 'missed'",
    "DROP INDEX installments_missed",
    "ALTER TABLE installments DROP COLUMN missed_on",
    "CREATE INDEX installments_open_due ON installments (close_partition, effective_due) "
    "WHERE state = 'open'",
    "ALTER TABLE loans RENAME COLUMN cure_pending TO close_review",
    "ALTER INDEX loans_cure_pending RENAME TO loans_close_review",
    "UPDATE loans AS l SET close_review = true WHERE EXISTS (SELECT 1 FROM installments AS i "
    "WHERE i.loan_id = l.loan_id AND i.state = 'open' "
    "AND i.overdue_from <= (SELECT max(business_date) FROM business_days) "
    f"AND {UNPAID} > i.tolerance "
    "AND i.number NOT BETWEEN COALESCE(l.missed_from, 1) AND COALESCE(l.missed_through, 0))",
)

DOWNGRADE = (
    "ALTER INDEX loans_close_review RENAME TO loans_cure_pending",
    "ALTER TABLE loans RENAME COLUMN close_review TO cure_pending",
    "UPDATE loans SET cure_pending = (delinquent_since IS NULL AND bucket <> 'current')",
    "DROP INDEX installments_open_due",
    "ALTER TABLE installments ADD COLUMN missed_on DATE",
    "UPDATE installments AS i SET state = 'missed' FROM loans AS l "
    "WHERE l.loan_id = i.loan_id AND i.state = 'open' "
    f"AND i.number BETWEEN l.missed_from AND l.missed_through AND {UNPAID} > i.tolerance",
    "CREATE INDEX installments_missed ON installments (close_partition, loan_id) "
    "WHERE state = 'missed'",
    "ALTER TABLE loans DROP COLUMN missed_from, DROP COLUMN missed_through",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
