"""The collections service's tables, on its own MetaData beside the outbox and inbox.

Money is integer minor units beside its currency. ``case_actions`` is the audit: every change
to a case (opened, assigned, contact, promise, strategy action, closed) with who, when, why.
"""

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    Table,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from lending_platform.database import service_metadata

metadata = service_metadata()

loans = Table(
    "loans", metadata,
    Column("loan_id", Text, primary_key=True),
    Column("partner_id", Text, nullable=False),
    Column("product_code", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("principal", BigInteger, nullable=False),
    Column("outstanding_principal", BigInteger, nullable=False),
    Column("overdue", BigInteger, nullable=False, server_default="0"),
    Column("days_past_due", Integer, nullable=False, server_default="0"),
    Column("dpd_as_of", Date),
    Column("bucket", Text, nullable=False, server_default="current"),
    Column("status", Text, nullable=False),  # booked, active, closed, written_off
    Column("restructured", Boolean, nullable=False, server_default="false"),
    Column("asset_class", Text, nullable=False, server_default="normal"),
    Column("ifrs9_stage", Integer, nullable=False, server_default="1"),
    Column("classification_version", Text),
    Column("total_paid", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

cases = Table(
    "cases", metadata,
    Column("case_id", Text, primary_key=True),
    Column("loan_id", Text, ForeignKey("loans.loan_id"), nullable=False),
    Column("status", Text, nullable=False),
    Column("opened_on", Date, nullable=False),
    Column("closed_on", Date),
    Column("resolution", Text),
    Column("days_past_due", Integer, nullable=False),
    Column("bucket", Text, nullable=False),
    Column("stage", Text, nullable=False),
    Column("strategy_id", Text, nullable=False),
    Column("assigned_to", Text),
    Column("next_action_on", Date),
    Column("paid_since_open", BigInteger, nullable=False, server_default="0"),
    # exactly one open case per loan, whatever the order of redeliveries
    Index("cases_one_open_per_loan", "loan_id", unique=True,
          postgresql_where=text("status = 'open'")),
    Index("cases_queue", "status", "bucket", "next_action_on"),
)

case_actions = Table(
    "case_actions", metadata,
    Column("action_id", Text, primary_key=True),
    Column("case_id", Text, ForeignKey("cases.case_id"), nullable=False),
    Column("kind", Text, nullable=False),  # case_opened, assigned, contact, sms_reminder, ...
    Column("code", Text),  # the strategy action code, for strategy actions
    Column("stage", Text),
    Column("business_date", Date, nullable=False),
    Column("performed_by", Text, nullable=False),
    Column("performed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reason", Text, nullable=False),
    Column("is_contact", Boolean, nullable=False, server_default="false"),
    Column("strategy_id", Text),
    Column("strategy_version", Text),
    Column("details", JSONB, nullable=False, server_default="{}"),
    # (case, action code, business date): a redelivered day close never repeats an action
    Column("dedupe_key", Text, unique=True),
    # messages: pending -> delivered | failed, sent by the notification worker after commit
    Column("delivery_status", Text),
    Column("send_after", DateTime(timezone=True)),
    Index("case_actions_by_case", "case_id", "business_date"),
    Index("case_actions_to_send", "send_after",
          postgresql_where=text("delivery_status = 'pending'")),
)

promises = Table(
    "promises", metadata,
    Column("promise_id", Text, primary_key=True),
    Column("case_id", Text, ForeignKey("cases.case_id"), nullable=False),
    Column("loan_id", Text, nullable=False, index=True),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Column("promised_date", Date, nullable=False),
    Column("recorded_on", Date, nullable=False),
    Column("recorded_by", Text, nullable=False),
    Column("paid", BigInteger, nullable=False, server_default="0"),
    Column("status", Text, nullable=False),
    Column("resolved_on", Date),
    Index("promises_pending", "promised_date", postgresql_where=text("status = 'pending'")),
)

early_warnings = Table(
    "early_warnings", metadata,
    Column("warning_id", Text, primary_key=True),
    Column("loan_id", Text, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("severity", Text, nullable=False),
    Column("signals", JSONB, nullable=False),
    Column("raised_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    # one warning per loan and business date, however many installments were missed that day
    Index("early_warnings_once_a_day", "loan_id", "as_of", unique=True),
)

# One row: the business date collections acts on, from servicing's day closes.
business_day = Table(
    "business_day", metadata,
    Column("id", Integer, primary_key=True),
    Column("business_date", Date, nullable=False),
)
