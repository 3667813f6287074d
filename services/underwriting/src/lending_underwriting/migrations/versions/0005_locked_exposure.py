"""A function that locks a borrower and then reads their loans: one round trip per decision.

Revision ID: 0005
Revises: 0004
"""

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# VOLATILE plpgsql under READ COMMITTED: the SELECT takes its snapshot after the lock is
# granted, so it sees every offer committed by the transaction that held the lock before
# us (a single SQL statement would have taken its snapshot before waiting for the lock).
_CREATE = """
CREATE FUNCTION underwriting_locked_borrower_loans(lock_class integer, token text)
RETURNS SETOF borrower_loans LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(lock_class, hashtext(token));
    RETURN QUERY SELECT * FROM borrower_loans WHERE borrower_token = token;
END
$$
"""


def upgrade() -> None:
    op.execute(_CREATE)


def downgrade() -> None:
    op.execute("DROP FUNCTION underwriting_locked_borrower_loans(integer, text)")
