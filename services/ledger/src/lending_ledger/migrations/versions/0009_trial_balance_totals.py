"""The trial balance kept as the journal grows, so ``GET /v1/trial-balance`` no longer scans
the whole journal (issue 20): running totals per currency and account, plus the insert-only
deltas each posting statement adds in its own transaction, folded into the totals by a worker.
The totals start from a full scan of the journal as it stands.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE trial_balance (
    currency TEXT NOT NULL,
    account TEXT NOT NULL,
    debit BIGINT NOT NULL,
    credit BIGINT NOT NULL,
    PRIMARY KEY (currency, account)
)""")
    op.execute("""
CREATE TABLE trial_balance_deltas (
    delta_id BIGINT GENERATED ALWAYS AS IDENTITY,
    currency TEXT NOT NULL,
    account TEXT NOT NULL,
    debit BIGINT NOT NULL,
    credit BIGINT NOT NULL,
    PRIMARY KEY (delta_id)
)""")
    # No posting may slip between the scan and the first delta: hold the journal still.
    op.execute("LOCK TABLE journal_entries, journal_lines IN SHARE MODE")
    op.execute("""
INSERT INTO trial_balance (currency, account, debit, credit)
SELECT e.currency, l.account, sum(l.debit), sum(l.credit)
  FROM journal_lines l JOIN journal_entries e USING (entry_id)
 GROUP BY e.currency, l.account""")


def downgrade() -> None:
    op.execute("DROP TABLE trial_balance_deltas")
    op.execute("DROP TABLE trial_balance")
