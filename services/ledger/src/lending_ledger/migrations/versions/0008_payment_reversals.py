"""Payment reversals asked for by operators, with who asked and who decided: above the
configured amount a second operator approves (maker-checker, issue 20).

Revision ID: 0008
Revises: 0007
"""

from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute("""
CREATE TABLE payment_reversals (
    reversal_id TEXT NOT NULL,
    loan_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    requested_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMP WITH TIME ZONE,
    note TEXT,
    PRIMARY KEY (reversal_id)
)""")
    op.execute("CREATE UNIQUE INDEX payment_reversals_one_pending ON payment_reversals "
               "(loan_id, payment_id) WHERE status = 'awaiting_approval'")
    op.execute("CREATE INDEX payment_reversals_queue ON payment_reversals "
               "(status, requested_at)")


def downgrade() -> None:
    op.execute("DROP TABLE payment_reversals")
