"""Payoff quotes verify themselves (domain/quote_token.py): answering ``GET /payoff`` no
longer writes a row per quote, and what is kept is each quote's one use.

``payoff_quotes`` (a row per distinct quote read, growing without bound) goes; quote ids it
issued were never signed, so payments naming them are refused as unknown and the payer
fetches a new quote (they lasted at most 60 days). ``payoff_quote_uses`` holds the quote a
payment was made against, keyed by the quote id: the primary key makes a second payment
with the same quote fail in the transaction that records the payment. ``outcome`` and
``waived`` are what the ledger reported it did (PaymentApplied.payoff_outcome).

``loans.carried_*``: a restructure's interest, fees and penalties due with the first new
installment (LoanRestructured.outstanding), which a payoff counts as earned in full.

Revision ID: 0009
Revises: 0008
"""

from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

UPGRADE = (
    "DROP TABLE payoff_quotes",
    """
CREATE TABLE payoff_quote_uses (
    quote_id TEXT NOT NULL,
    loan_id TEXT NOT NULL,
    payment_id TEXT NOT NULL,
    as_of DATE NOT NULL,
    valid_until DATE NOT NULL,
    currency TEXT NOT NULL,
    principal BIGINT NOT NULL,
    total BIGINT NOT NULL,
    used_at TIMESTAMP WITH TIME ZONE NOT NULL,
    outcome TEXT,
    waived BIGINT,
    PRIMARY KEY (quote_id)
)
""",
    "CREATE INDEX ix_payoff_quote_uses_loan_id ON payoff_quote_uses (loan_id)",
    "ALTER TABLE loans ADD COLUMN carried_interest BIGINT DEFAULT 0 NOT NULL, "
    "ADD COLUMN carried_fees BIGINT DEFAULT 0 NOT NULL, "
    "ADD COLUMN carried_penalties BIGINT DEFAULT 0 NOT NULL",
)

DOWNGRADE = (
    "ALTER TABLE loans DROP COLUMN carried_interest, DROP COLUMN carried_fees, "
    "DROP COLUMN carried_penalties",
    "DROP TABLE payoff_quote_uses",
    """
CREATE TABLE payoff_quotes (
    quote_id TEXT NOT NULL,
    loan_id TEXT NOT NULL,
    as_of DATE NOT NULL,
    valid_until DATE NOT NULL,
    currency TEXT NOT NULL,
    principal BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    fees BIGINT NOT NULL,
    penalties BIGINT NOT NULL,
    total BIGINT NOT NULL,
    created_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    PRIMARY KEY (quote_id)
)
""",
    "CREATE INDEX ix_payoff_quotes_loan_id ON payoff_quotes (loan_id)",
)


def upgrade() -> None:
    for statement in UPGRADE:
        op.execute(statement)


def downgrade() -> None:
    for statement in DOWNGRADE:
        op.execute(statement)
