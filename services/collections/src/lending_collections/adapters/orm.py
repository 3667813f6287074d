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
    # servicing's delinquency start (DelinquencyChanged): days past due on D = D - it
    Column("delinquent_since", Date),
    Column("bucket", Text, nullable=False, server_default="current"),
    Column("status", Text, nullable=False),  # booked, active, closed, written_off
    Column("restructured", Boolean, nullable=False, server_default="false"),
    Column("asset_class", Text, nullable=False, server_default="normal"),
    Column("ifrs9_stage", Integer, nullable=False, server_default="1"),
    Column("classification_version", Text),
    Column("total_paid", BigInteger, nullable=False, server_default="0"),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("applicant_id", Text),  # the borrower: their exposure across loans
    # The contract terms as LoanBooked (then LoanRestructured) stated them: what prices a
    # rate change (domain/rate_change.py). NULL: a loan known only from servicing's events.
    Column("terms", JSONB),
    Index("loans_by_applicant", "applicant_id"),
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

# A restructure or settlement proposed by a collector, or a write-off recommended by the day
# close: pending until someone with an approver role (never the proposer) decides it.
recovery_proposals = Table(
    "recovery_proposals", metadata,
    Column("proposal_id", Text, primary_key=True),
    Column("case_id", Text, ForeignKey("cases.case_id"), nullable=False),
    Column("loan_id", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("status", Text, nullable=False),  # proposed -> approved | rejected
    Column("currency", Text, nullable=False),
    Column("waive_amount", BigInteger, nullable=False, server_default="0"),
    # interest a rate cut gives up; it counts toward the approval tier with waive_amount
    Column("forgone_interest", BigInteger, nullable=False, server_default="0"),
    Column("terms", JSONB, nullable=False, server_default="{}"),
    Column("approver_roles", JSONB, nullable=False),
    Column("rules_version", Text, nullable=False),
    Column("proposed_by", Text, nullable=False),
    Column("proposed_on", Date, nullable=False),
    Column("proposed_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
    Column("reason", Text, nullable=False),
    Column("decided_by", Text),
    Column("decided_on", Date),
    Column("decided_at", DateTime(timezone=True)),
    Column("decision_reason", Text),
    Column("request_id", Text, unique=True),
    Column("idempotency_key", Text, unique=True),
    Index("proposals_one_pending_per_case", "case_id", unique=True,
          postgresql_where=text("status = 'proposed'")),
    Index("proposals_by_status", "status", "proposed_on"),
    Index("proposals_by_case", "case_id"),
)

# The early-warning signal per loan: the facts seen on the stream and the score they give.
loan_risk = Table(
    "loan_risk", metadata,
    Column("loan_id", Text, primary_key=True),
    Column("score", Integer, nullable=False, server_default="0"),
    Column("level", Text, nullable=False, server_default="none"),
    Column("signals", JSONB, nullable=False, server_default="[]"),
    Column("facts", JSONB, nullable=False, server_default="{}"),
    Column("as_of", Date),
    Column("updated_at", DateTime(timezone=True), nullable=False, server_default=func.now()),
)

# Pre-due SMS to flagged loans (no case yet), sent by the delivery worker after commit.
outreach = Table(
    "outreach", metadata,
    Column("outreach_id", Text, primary_key=True),
    Column("loan_id", Text, nullable=False),
    Column("installment_number", Integer, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("business_date", Date, nullable=False),
    Column("risk_level", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("delivery_status", Text, nullable=False),
    Column("send_after", DateTime(timezone=True), nullable=False),
    Column("reference", Text),
    Column("dedupe_key", Text, nullable=False, unique=True),
    Index("outreach_to_send", "send_after", postgresql_where=text("delivery_status = 'pending'")),
)

# The portfolio as it was: one row per open loan per closed business day.
loan_days = Table(
    "loan_days", metadata,
    Column("business_date", Date, primary_key=True),
    Column("loan_id", Text, primary_key=True),
    Column("partner_id", Text, nullable=False),
    Column("product_code", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("bucket", Text, nullable=False),
    Column("days_past_due", Integer, nullable=False),
    Column("outstanding_principal", BigInteger, nullable=False),
)

# Money that left or came back after the loss: recoveries (RecoveryApplied), write-offs.
portfolio_flows = Table(
    "portfolio_flows", metadata,
    Column("flow_id", Text, primary_key=True),
    Column("kind", Text, nullable=False),
    Column("loan_id", Text, nullable=False),
    Column("on_date", Date, nullable=False),
    Column("currency", Text, nullable=False),
    Column("amount", BigInteger, nullable=False),
    Index("portfolio_flows_by_date", "on_date"),
)
