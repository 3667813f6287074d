"""The servicing service's tables, on its own MetaData beside the outbox and inbox.

Money is integer minor units (``bigint``) with the loan's currency and its minor digits,
so the day close can format wire amounts in SQL. The partial indexes are what keeps the
day close proportional to the work of the day, not to the size of the book:
``installments_open_overdue`` holds only installments still open (neither settled nor of a
closed loan), ordered by the date they would count as missed, and the close reads only the
dates since the last closed day; ``installments_open_due`` the same by effective due date,
through which the close finds the loans whose bucket can change that day;
``installments_to_remind`` the same for reminders; ``loans_close_review`` the loans the
projection asks the next close to look at in full. Each leads with the loan's close slice
(``close_partition``, see close_partitions.py), so a close transaction reads only its slice.

The close writes no installment: what it reported missed is a range of installment numbers
on the loan (``missed_from``..``missed_through``, those in it still unpaid above tolerance;
migration 0007). No index of loans names a column the close writes (delinquency, bucket,
that range), so its update of a loan is heap-only (HOT): no new index entries, the new
version on the same page, for which the table keeps a fillfactor of 70 (migration 0006).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from lending_platform.database import service_metadata

metadata = service_metadata()

business_days = Table(
    "business_days", metadata,
    Column("calendar_id", Text, primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("next_business_date", Date, nullable=False),
    Column("closed_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
    Column("payments_missed", Integer, nullable=False, server_default=text("0")),
    Column("delinquency_changes", Integer, nullable=False, server_default=text("0")),
    Column("reminders", Integer, nullable=False, server_default=text("0")),
    Column("matured", Integer, nullable=False, server_default=text("0")),
    # Who closed it (an operator id, or ``loanctl:<user>``; NULL before migration 0010) and
    # whether it was later than the wall clock's date (an admin's audited override).
    Column("closed_by", Text, nullable=True),
    Column("ahead_of_wall_clock", Boolean, nullable=False, server_default=text("false")),
)

holidays = Table(
    "holidays", metadata,
    Column("calendar_id", Text, primary_key=True),
    Column("holiday", Date, primary_key=True),
    Column("name", Text, nullable=False, server_default=text("''")),
    Column("declared_by", Text, nullable=True),  # NULL before migration 0010
    Column("declared_at", DateTime(timezone=True), nullable=False,
           server_default=text("now()")),
)

delinquency_buckets = Table(
    "delinquency_buckets", metadata,
    Column("code", Text, primary_key=True),
    Column("min_dpd", Integer, nullable=False, unique=True),
    Column("max_dpd", Integer, nullable=True),
)

loans = Table(
    "loans", metadata,
    Column("loan_id", Text, primary_key=True),
    Column("partner_id", Text, nullable=False),
    Column("applicant_id", Text, nullable=False),
    Column("status", Text, nullable=False),  # booked, active, closed, written_off
    Column("currency", Text, nullable=False),
    Column("minor_digits", SmallInteger, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("maturity_date", Date, nullable=False),
    Column("frequency", Text, nullable=False),
    Column("grace_days", Integer, nullable=False),
    Column("schedule_total", BigInteger, nullable=False),
    Column("terms", JSONB, nullable=False),
    Column("booked_on", Date, nullable=False),
    Column("disbursed_on", Date),
    Column("closed_on", Date),
    # what the ledger reports paid, by component, and what it counts toward the schedule
    Column("paid_to_schedule", BigInteger, nullable=False, server_default=text("0")),
    Column("paid_principal", BigInteger, nullable=False, server_default=text("0")),
    Column("paid_interest", BigInteger, nullable=False, server_default=text("0")),
    Column("paid_fees", BigInteger, nullable=False, server_default=text("0")),
    Column("paid_penalties", BigInteger, nullable=False, server_default=text("0")),
    Column("fees_charged", BigInteger, nullable=False, server_default=text("0")),
    Column("fees_charged_paid", BigInteger, nullable=False, server_default=text("0")),
    # a restructure's arrears due with the first new installment (migration 0009)
    Column("carried_interest", BigInteger, nullable=False, server_default=text("0")),
    Column("carried_fees", BigInteger, nullable=False, server_default=text("0")),
    Column("carried_penalties", BigInteger, nullable=False, server_default=text("0")),
    # the ledger's latest balances (LoanBooked, PaymentApplied/Reversed, accrual, fees)
    Column("outstanding_principal", BigInteger, nullable=False),
    Column("outstanding_interest", BigInteger, nullable=False, server_default=text("0")),
    Column("outstanding_fees", BigInteger, nullable=False, server_default=text("0")),
    Column("outstanding_penalties", BigInteger, nullable=False, server_default=text("0")),
    # delinquency: kept current by the handlers and the day close
    Column("delinquent_since", Date),  # effective due date of the oldest missed installment
    Column("missed_cumulative_due", BigInteger),  # cumulative due of the latest missed one
    # The installments reported missed: those numbered in this range whose unpaid part is
    # above their tolerance (None: none). Written by the close, narrowed by payments.
    Column("missed_from", Integer),
    Column("missed_through", Integer),
    Column("bucket", Text, nullable=False, server_default=text("'current'")),
    Column("bucket_dpd", Integer, nullable=False, server_default=text("0")),
    Column("bucket_as_of", Date),
    Column("matured_on", Date),
    Column("close_partition", SmallInteger, nullable=False),  # close_partitions.partition_of
    # Set by the projection when it changes what the close derived (the oldest missed
    # installment, an overdue one not yet reported, the schedule); cleared by the next
    # close, which looks at the loan in full (migration 0007).
    Column("close_review", Boolean, nullable=False, server_default=text("false")),
    Index("loans_close_review", "close_partition", "loan_id",
          postgresql_where=text("close_review")),
    Index("loans_to_mature", "close_partition", "maturity_date", postgresql_where=text(
        "status = 'active' AND matured_on IS NULL")),
)

installments = Table(
    "installments", metadata,
    Column("loan_id", Text, ForeignKey("loans.loan_id", ondelete="CASCADE"), primary_key=True),
    Column("number", Integer, primary_key=True),
    Column("due_date", Date, nullable=False),
    Column("effective_due", Date, nullable=False),
    Column("overdue_from", Date, nullable=False),
    Column("remind_from", Date),
    Column("principal", BigInteger, nullable=False),
    Column("interest", BigInteger, nullable=False),
    Column("fees", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("cumulative_due", BigInteger, nullable=False),
    Column("tolerance", BigInteger, nullable=False),
    # open, settled (paid in full), void (loan closed); missed is derived (loans.missed_from)
    Column("state", Text, nullable=False, server_default=text("'open'")),
    Column("reminded_on", Date),
    Column("close_partition", SmallInteger, nullable=False),  # close_partitions.partition_of
    Index("installments_open_overdue", "close_partition", "overdue_from",
          postgresql_where=text("state = 'open'")),
    Index("installments_open_due", "close_partition", "effective_due",
          postgresql_where=text("state = 'open'")),
    Index("installments_to_remind", "close_partition", "remind_from",
          postgresql_where=text("state = 'open' AND reminded_on IS NULL "
                                "AND remind_from IS NOT NULL")),
)

# The last day each slice of the book was closed for (written by the slice's close
# transaction, under its exclusive lock): a projection write holding the slice's shared lock
# rates its loan as of that day, whether or not the whole day is recorded yet.
slice_closes = Table(
    "slice_closes", metadata,
    Column("calendar_id", Text, primary_key=True),
    Column("close_partition", SmallInteger, primary_key=True),
    Column("business_date", Date, nullable=False),
)

# A close of a day has begun (its events may be out) and not yet been recorded in
# business_days: that day can no longer become a holiday.
day_closes = Table(
    "day_closes", metadata,
    Column("calendar_id", Text, primary_key=True),
    Column("business_date", Date, primary_key=True),
    Column("started_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

payments = Table(
    "payments", metadata,
    Column("payment_id", Text, primary_key=True),
    Column("loan_id", Text, nullable=False, index=True),
    Column("principal_id", Text),  # who posted it (None: learned from the ledger only)
    Column("idempotency_key", Text),
    Column("request_sha256", Text),
    Column("response", JSONB),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("value_date", Date, nullable=False),
    Column("received_at", DateTime(timezone=True)),
    Column("method", Text),
    Column("external_reference", Text),
    Column("payoff_quote_id", Text),
    Column("status", Text, nullable=False),  # received, applied, reversed
    Column("to_schedule", BigInteger, nullable=False, server_default=text("0")),
    Column("to_charged_fees", BigInteger, nullable=False, server_default=text("0")),
    Index("payments_idempotency", "principal_id", "idempotency_key", unique=True,
          postgresql_where=text("idempotency_key IS NOT NULL")),
)

# What a statement lists: money movements the ledger reported, with balances after them.
activity = Table(
    "activity", metadata,
    Column("id", BigInteger, primary_key=True, autoincrement=True),
    Column("loan_id", Text, nullable=False),
    Column("event_id", Text, nullable=False, unique=True),
    Column("on_date", Date, nullable=False),
    Column("kind", Text, nullable=False),
    Column("reference", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("principal", BigInteger, nullable=False, server_default=text("0")),
    Column("interest", BigInteger, nullable=False, server_default=text("0")),
    Column("fees", BigInteger, nullable=False, server_default=text("0")),
    Column("penalties", BigInteger, nullable=False, server_default=text("0")),
    Column("principal_after", BigInteger),
    Index("activity_by_loan", "loan_id", "on_date", "id"),
)

# The one use of each payoff quote (quote ids verify themselves; reading a quote writes
# nothing): the primary key refuses a second payment with the same quote (migration 0009).
payoff_quote_uses = Table(
    "payoff_quote_uses", metadata,
    Column("quote_id", Text, primary_key=True),
    Column("loan_id", Text, nullable=False, index=True),
    Column("payment_id", Text, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("valid_until", Date, nullable=False),
    Column("currency", Text, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("total", BigInteger, nullable=False),
    Column("used_at", DateTime(timezone=True), nullable=False),
    Column("outcome", Text),  # as the ledger reported it (PaymentApplied.payoff_outcome)
    Column("waived", BigInteger),
)
