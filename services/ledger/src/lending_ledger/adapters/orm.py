"""The ledger service's tables, on its own MetaData beside the outbox and inbox.

``events`` is the event store (one stream per loan, optimistic concurrency on
(stream_id, version), ``position`` the global order); ``journal_entries``/``journal_lines``
the double-entry journal. Both are append-only: a trigger (migration 0003) refuses UPDATE,
DELETE and TRUNCATE, since corrections are new events and reversing entries. Everything
else is a projection that `loanctl ledger rebuild` can drop and rebuild: the read model and
snapshots from ``events``, the trial balance's running totals (``trial_balance`` and its
``trial_balance_deltas``) from the journal.
"""

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Identity,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from lending_platform.database import service_metadata

metadata = service_metadata()
NOW = text("now()")

events = Table(
    "events", metadata,
    Column("position", BigInteger, Identity(always=True), primary_key=True),
    Column("stream_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("type", Text, nullable=False),
    Column("data", JSONB, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    UniqueConstraint("stream_id", "version", name="events_stream_version_key"),
)

snapshots = Table(
    "snapshots", metadata,
    Column("stream_id", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("state", JSONB, nullable=False),
    Column("taken_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    PrimaryKeyConstraint("stream_id", "version"),
)

journal_entries = Table(
    "journal_entries", metadata,
    Column("entry_id", BigInteger, Identity(always=True), primary_key=True),
    Column("loan_id", Text, nullable=True),  # NULL: an aggregate posting (day-close accrual)
    Column("position", BigInteger, nullable=True),  # the event it posts, when it is one
    Column("event_type", Text, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("currency", Text, nullable=False),
    Column("loans", Integer, nullable=False, server_default=text("1")),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index("journal_entries_loan_idx", "loan_id", "entry_id"),
)

journal_lines = Table(
    "journal_lines", metadata,
    Column("entry_id", BigInteger, nullable=False),
    Column("line_no", SmallInteger, nullable=False),
    Column("account", Text, nullable=False),
    Column("debit", BigInteger, nullable=False),
    Column("credit", BigInteger, nullable=False),
    PrimaryKeyConstraint("entry_id", "line_no"),
    CheckConstraint("debit >= 0 AND credit >= 0 AND (debit = 0 OR credit = 0)",
                    name="journal_lines_one_side"),
)

loan_accounts = Table(
    "loan_accounts", metadata,
    Column("loan_id", Text, primary_key=True),
    Column("version", Integer, nullable=False),
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=True),
    Column("view", JSONB, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Index("loan_accounts_status_idx", "status", "loan_id"),
)

approved_terms = Table(
    "approved_terms", metadata,
    Column("decision_id", Text, primary_key=True),
    Column("loan_id", Text, nullable=False, index=True),
    Column("applicant_id", Text, nullable=False),
    Column("partner_id", Text, nullable=False),
    Column("offer_expires_at", DateTime(timezone=True), nullable=False),
    Column("terms", JSONB, nullable=False),
    Column("received_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    # The W3C context the approval was handled in: booking and payout continue its trace.
    Column("traceparent", Text, nullable=True),
)

parked_acceptances = Table(
    "parked_acceptances", metadata,
    Column("decision_id", Text, primary_key=True),
    Column("loan_id", Text, nullable=False),
    Column("offer_id", Text, nullable=False),
    Column("event", JSONB, nullable=False),  # the OfferAccepted data, booked when terms come
    Column("parked_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

refusals = Table(
    "refusals", metadata,
    Column("refusal_id", BigInteger, Identity(always=True), primary_key=True),
    Column("loan_id", Text, nullable=False, index=True),
    Column("event_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("detail", Text, nullable=False),
    Column("recorded_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

business_dates = Table(
    "business_dates", metadata,
    Column("calendar_id", Text, primary_key=True),
    Column("business_date", Date, nullable=False),
    Column("next_business_date", Date, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

accrual_runs = Table(
    "accrual_runs", metadata,
    Column("business_date", Date, primary_key=True),
    Column("status", Text, nullable=False),  # pending, done
    Column("cursor", Text, nullable=False, server_default=text("''")),
    Column("loans", Integer, nullable=False, server_default=text("0")),
    Column("events", Integer, nullable=False, server_default=text("0")),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)

# The trial balance kept as it goes (adapters/trial_balance.py): each posting statement adds
# its per-currency, per-account sums to ``trial_balance_deltas`` in the same transaction
# (insert-only: no row that every writer updates), and a worker folds them into the running
# totals of ``trial_balance``. Totals plus the deltas not yet folded equal the journal.
trial_balance = Table(
    "trial_balance", metadata,
    Column("currency", Text, nullable=False),
    Column("account", Text, nullable=False),
    Column("debit", BigInteger, nullable=False),
    Column("credit", BigInteger, nullable=False),
    PrimaryKeyConstraint("currency", "account"),
)

trial_balance_deltas = Table(
    "trial_balance_deltas", metadata,
    Column("delta_id", BigInteger, Identity(always=True), primary_key=True),
    Column("currency", Text, nullable=False),
    Column("account", Text, nullable=False),
    Column("debit", BigInteger, nullable=False),
    Column("credit", BigInteger, nullable=False),
)

# Every reversal an operator asked for, with who asked and who decided (maker-checker above
# the configured amount: domain/reversals.py). At most one awaiting approval per payment.
payment_reversals = Table(
    "payment_reversals", metadata,
    Column("reversal_id", Text, primary_key=True),
    Column("loan_id", Text, nullable=False),
    Column("payment_id", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("reason", Text, nullable=False),
    Column("status", Text, nullable=False),  # awaiting_approval, reversed, rejected
    Column("requested_by", Text, nullable=False),
    Column("requested_at", DateTime(timezone=True), nullable=False, server_default=NOW),
    Column("decided_by", Text, nullable=True),
    Column("decided_at", DateTime(timezone=True), nullable=True),
    Column("note", Text, nullable=True),
    Index("payment_reversals_one_pending", "loan_id", "payment_id", unique=True,
          postgresql_where=text("status = 'awaiting_approval'")),
    Index("payment_reversals_queue", "status", "requested_at"),
)

# Servicing's delinquency of each loan, as its DelinquencyChanged say (servicing owns the
# rule, docs/servicing.md): days past due on D are D - delinquent_since. Not the ledger's own
# state and not rebuilt from its events; one row a loan, the latest event's (by as_of).
loan_delinquency = Table(
    "loan_delinquency", metadata,
    Column("loan_id", Text, primary_key=True),
    Column("delinquent_since", Date, nullable=True),  # None: current
    Column("bucket", Text, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=NOW),
)

PROJECTIONS = ("loan_accounts", "snapshots")
