"""The day close in slices: a stored close slice on loans and installments, the close's
partial indexes led by it, and the table of closes begun.

Revision ID: 0004
Revises: 0003
"""

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# As in adapters/close_partitions.py at this revision.
SLICE = "CAST(get_byte(decode(md5(loan_id), 'hex'), 15) & 15 AS smallint)"

UPGRADE = (
    f"ALTER TABLE loans ADD COLUMN close_partition smallint NOT NULL "
    f"GENERATED ALWAYS AS ({SLICE}) STORED",
    f"ALTER TABLE installments ADD COLUMN close_partition smallint NOT NULL "
    f"GENERATED ALWAYS AS ({SLICE}) STORED",
    "DROP INDEX loans_watched",
    "DROP INDEX loans_to_mature",
    "DROP INDEX installments_open_overdue",
    "DROP INDEX installments_to_remind",
    "CREATE INDEX loans_watched ON loans (close_partition, loan_id) WHERE status = 'active' "
    "AND (delinquent_since IS NOT NULL OR bucket <> 'current')",
    "CREATE INDEX loans_to_mature ON loans (close_partition, maturity_date) "
    "WHERE status = 'active' AND matured_on IS NULL",
    "CREATE INDEX installments_open_overdue ON installments (close_partition, overdue_from) "
    "WHERE state = 'open'",
    "CREATE INDEX installments_to_remind ON installments (close_partition, remind_from) "
    "WHERE state = 'open' AND reminded_on IS NULL AND remind_from IS NOT NULL",
    """
CREATE TABLE day_closes (
    calendar_id TEXT NOT NULL,
    business_date DATE NOT NULL,
    started_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    PRIMARY KEY (calendar_id, business_date)
)
""",
)

DOWNGRADE = (
    "DROP TABLE day_closes",
    "DROP INDEX loans_watched",
    "DROP INDEX loans_to_mature",
    "DROP INDEX installments_open_overdue",
    "DROP INDEX installments_to_remind",
    "ALTER TABLE loans DROP COLUMN close_partition",
    "ALTER TABLE installments DROP COLUMN close_partition",
    "CREATE INDEX loans_watched ON loans (loan_id) WHERE status = 'active' "
    "AND (delinquent_since IS NOT NULL OR bucket <> 'current')",
    "CREATE INDEX loans_to_mature ON loans (maturity_date) "
    "WHERE status = 'active' AND matured_on IS NULL",
    "CREATE INDEX installments_open_overdue ON installments (overdue_from) "
    "WHERE state = 'open'",
    "CREATE INDEX installments_to_remind ON installments (remind_from) "
    "WHERE state = 'open' AND reminded_on IS NULL AND remind_from IS NOT NULL",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
