"""Servicing's own tables: the business calendar, delinquency buckets (seeded with the
defaults 1-30, 31-60, 61-90, 91-180, 181+), the loan projection, payments, statement
activity and payoff quotes.

Frozen DDL, as the schema stood at this revision: later changes to adapters/orm.py come in
new revisions and never rewrite this one.

Revision ID: 0003
Revises: 0002
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TABLES = ("business_days", "holidays", "delinquency_buckets", "loans", "installments",
          "payments", "activity", "payoff_quotes")

DDL = (
    """
CREATE TABLE business_days (
    calendar_id TEXT NOT NULL,
    business_date DATE NOT NULL,
    next_business_date DATE NOT NULL,
    closed_at TIMESTAMP WITH TIME ZONE DEFAULT now() NOT NULL,
    payments_missed INTEGER DEFAULT 0 NOT NULL,
    delinquency_changes INTEGER DEFAULT 0 NOT NULL,
    reminders INTEGER DEFAULT 0 NOT NULL,
    matured INTEGER DEFAULT 0 NOT NULL,
    PRIMARY KEY (calendar_id, business_date)
)
""",
    """
CREATE TABLE holidays (
    calendar_id TEXT NOT NULL,
    holiday DATE NOT NULL,
    name TEXT DEFAULT '' NOT NULL,
    PRIMARY KEY (calendar_id, holiday)
)
""",
    """
CREATE TABLE delinquency_buckets (
    code TEXT NOT NULL,
    min_dpd INTEGER NOT NULL,
    max_dpd INTEGER,
    PRIMARY KEY (code),
    UNIQUE (min_dpd)
)
""",
    """
CREATE TABLE loans (
    loan_id TEXT NOT NULL,
    partner_id TEXT NOT NULL,
    applicant_id TEXT NOT NULL,
    status TEXT NOT NULL,
    currency TEXT NOT NULL,
    minor_digits SMALLINT NOT NULL,
    principal BIGINT NOT NULL,
    start_date DATE NOT NULL,
    maturity_date DATE NOT NULL,
    frequency TEXT NOT NULL,
    grace_days INTEGER NOT NULL,
    schedule_total BIGINT NOT NULL,
    terms JSONB NOT NULL,
    booked_on DATE NOT NULL,
    disbursed_on DATE,
    closed_on DATE,
    paid_to_schedule BIGINT DEFAULT 0 NOT NULL,
    paid_principal BIGINT DEFAULT 0 NOT NULL,
    paid_interest BIGINT DEFAULT 0 NOT NULL,
    paid_fees BIGINT DEFAULT 0 NOT NULL,
    paid_penalties BIGINT DEFAULT 0 NOT NULL,
    fees_charged BIGINT DEFAULT 0 NOT NULL,
    fees_charged_paid BIGINT DEFAULT 0 NOT NULL,
    outstanding_principal BIGINT NOT NULL,
    outstanding_interest BIGINT DEFAULT 0 NOT NULL,
    outstanding_fees BIGINT DEFAULT 0 NOT NULL,
    outstanding_penalties BIGINT DEFAULT 0 NOT NULL,
    delinquent_since DATE,
    missed_cumulative_due BIGINT,
    bucket TEXT DEFAULT 'current' NOT NULL,
    bucket_dpd INTEGER DEFAULT 0 NOT NULL,
    bucket_as_of DATE,
    matured_on DATE,
    PRIMARY KEY (loan_id)
)
""",
    "CREATE INDEX loans_to_mature ON loans (maturity_date) "
    "WHERE status = 'active' AND matured_on IS NULL",
    "CREATE INDEX loans_watched ON loans (loan_id) "
    "WHERE status = 'active' AND (delinquent_since IS NOT NULL OR bucket <> 'current')",
    """
CREATE TABLE installments (
    loan_id TEXT NOT NULL,
    number INTEGER NOT NULL,
    due_date DATE NOT NULL,
    effective_due DATE NOT NULL,
    overdue_from DATE NOT NULL,
    remind_from DATE,
    principal BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    fees BIGINT NOT NULL,
    total BIGINT NOT NULL,
    cumulative_due BIGINT NOT NULL,
    tolerance BIGINT NOT NULL,
    state TEXT DEFAULT 'open' NOT NULL,
    missed_on DATE,
    reminded_on DATE,
    PRIMARY KEY (loan_id, number),
    FOREIGN KEY(loan_id) REFERENCES loans (loan_id) ON DELETE CASCADE
)
""",
    "CREATE INDEX installments_open_overdue ON installments (overdue_from) WHERE state = 'open'",
    "CREATE INDEX installments_to_remind ON installments (remind_from) "
    "WHERE state = 'open' AND reminded_on IS NULL AND remind_from IS NOT NULL",
    """
CREATE TABLE payments (
    payment_id TEXT NOT NULL,
    loan_id TEXT NOT NULL,
    principal_id TEXT,
    idempotency_key TEXT,
    request_sha256 TEXT,
    response JSONB,
    currency TEXT NOT NULL,
    amount BIGINT NOT NULL,
    value_date DATE NOT NULL,
    received_at TIMESTAMP WITH TIME ZONE,
    method TEXT,
    external_reference TEXT,
    payoff_quote_id TEXT,
    status TEXT NOT NULL,
    to_schedule BIGINT DEFAULT 0 NOT NULL,
    to_charged_fees BIGINT DEFAULT 0 NOT NULL,
    PRIMARY KEY (payment_id)
)
""",
    "CREATE INDEX ix_payments_loan_id ON payments (loan_id)",
    "CREATE UNIQUE INDEX payments_idempotency ON payments (principal_id, idempotency_key) "
    "WHERE idempotency_key IS NOT NULL",
    """
CREATE TABLE activity (
    id BIGSERIAL NOT NULL,
    loan_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    on_date DATE NOT NULL,
    kind TEXT NOT NULL,
    reference TEXT NOT NULL,
    amount BIGINT NOT NULL,
    principal BIGINT DEFAULT 0 NOT NULL,
    interest BIGINT DEFAULT 0 NOT NULL,
    fees BIGINT DEFAULT 0 NOT NULL,
    penalties BIGINT DEFAULT 0 NOT NULL,
    principal_after BIGINT,
    PRIMARY KEY (id),
    UNIQUE (event_id)
)
""",
    "CREATE INDEX activity_by_loan ON activity (loan_id, on_date, id)",
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

# lending_servicing.domain.delinquency.DEFAULT_BUCKETS as they stood at this revision
BUCKETS = """
INSERT INTO delinquency_buckets (code, min_dpd, max_dpd) VALUES
    ('current', 0, 0), ('dpd_1_30', 1, 30), ('dpd_31_60', 31, 60), ('dpd_61_90', 61, 90),
    ('dpd_91_180', 91, 180), ('dpd_181_plus', 181, NULL)
"""


def upgrade() -> None:
    for statement in DDL:
        op.execute(statement)
    op.execute(BUCKETS)


def downgrade() -> None:
    for name in reversed(TABLES):
        op.execute(f"DROP TABLE {name}")
