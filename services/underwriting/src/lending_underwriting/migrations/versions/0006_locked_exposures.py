"""A function that locks several borrowers and then reads their loans: one round trip for
a batch of decisions.

Revision ID: 0006
Revises: 0005
"""

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# As 0005's function (the read takes its snapshot after the locks are granted), for many
# borrowers. The locks are taken in ascending key order, the one order every transaction
# uses, so two batches sharing borrowers wait for each other instead of deadlocking.
# 0005's one-borrower function stays for replicas of the previous release during a deploy.
_CREATE = """
CREATE FUNCTION underwriting_locked_borrowers_loans(lock_class integer, tokens text[])
RETURNS SETOF borrower_loans LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    lock_key integer;
BEGIN
    FOR lock_key IN SELECT DISTINCT hashtext(t) FROM unnest(tokens) AS t ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(lock_class, lock_key);
    END LOOP;
    RETURN QUERY SELECT * FROM borrower_loans WHERE borrower_token = ANY(tokens);
END
$$
"""


def upgrade() -> None:
    op.execute(_CREATE)


def downgrade() -> None:
    op.execute("DROP FUNCTION underwriting_locked_borrowers_loans(integer, text[])")
