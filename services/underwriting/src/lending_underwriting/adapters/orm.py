"""The underwriting service's tables, on its own MetaData beside the outbox and inbox."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from lending_platform.database import service_metadata

metadata = service_metadata()


def decisions_columns() -> list[Column[Any]]:
    """One row per application: the automatic decision with everything it was made from."""
    return [
        Column("application_id", Text, primary_key=True),
        Column("decision_id", Text, nullable=False, unique=True),
        Column("borrower_token", Text, nullable=False, index=True),
        Column("product_code", Text, nullable=False),
        Column("outcome", Text, nullable=False),
        Column("final_outcome", Text, nullable=False),
        Column("model_version", Text, nullable=False),
        Column("policy_version", Text, nullable=False),
        Column("inputs", JSONB, nullable=False),
        Column("policy", JSONB, nullable=False),
        Column("result", JSONB, nullable=False),
        Column("review", JSONB, nullable=True),
        Column("decided_at", DateTime(timezone=True), nullable=False),
    ]


def referrals_columns() -> list[Column[Any]]:
    return [
        Column("referral_id", Text, primary_key=True),
        Column("application_id", Text, nullable=False, unique=True),
        Column("queue", Text, nullable=False),
        Column("status", Text, nullable=False),
        Column("reason_codes", JSONB, nullable=False),
        Column("summary", JSONB, nullable=False),
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("decide_by", DateTime(timezone=True), nullable=False),
        Column("reviewer_id", Text, nullable=True),
        Column("note", Text, nullable=True),
        Column("decided_at", DateTime(timezone=True), nullable=True),
    ]


def parked_columns() -> list[Column[Any]]:
    """Applications waiting for required documents before a decision."""
    return [
        Column("application_id", Text, primary_key=True),
        Column("application", JSONB, nullable=False),
        Column("as_of", Date, nullable=False),
        Column("parked_at", DateTime(timezone=True), nullable=False,
               server_default=text("now()")),
    ]


def borrower_loans_columns() -> list[Column[Any]]:
    """The exposure view: each borrower's offers and loans, kept from our own approvals and
    the ledger's and servicing's events."""
    return [
        Column("loan_id", Text, primary_key=True),
        Column("borrower_token", Text, nullable=False, index=True),
        Column("currency", Text, nullable=False),
        Column("status", Text, nullable=False),
        Column("principal", Numeric(20, 4), nullable=False),
        Column("outstanding_principal", Numeric(20, 4), nullable=False),
        Column("days_past_due", Integer, nullable=False, server_default=text("0")),
        Column("offer_expires_at", DateTime(timezone=True), nullable=True),
        Column("updated_at", DateTime(timezone=True), nullable=False,
               server_default=text("now()")),
    ]


def parked_loan_events_columns() -> list[Column[Any]]:
    """Servicing events about a loan that came before its LoanBooked (the two topics have
    no order between them); applied, in arrival order, when the booking arrives."""
    return [
        Column("position", BigInteger, primary_key=True, autoincrement=True),
        Column("loan_id", Text, nullable=False, index=True),
        Column("envelope", LargeBinary, nullable=False),
        Column("parked_at", DateTime(timezone=True), nullable=False,
               server_default=text("now()")),
    ]


def business_dates_columns() -> list[Column[Any]]:
    """Servicing's calendar as its day closes announce it (BusinessDayClosed): an offer is
    priced as of the open business date, never the wall clock's."""
    return [
        Column("calendar_id", Text, primary_key=True),
        Column("business_date", Date, nullable=False),  # the last day closed
        Column("next_business_date", Date, nullable=False),  # the open one
    ]


decisions = Table("decisions", metadata, *decisions_columns())
# The referral queue reads a status in decide_by order (migration 0003 made the index).
referrals = Table("referrals", metadata, *referrals_columns(),
                  Index("ix_referrals_status_decide_by", "status", "decide_by"))
parked_applications = Table("parked_applications", metadata, *parked_columns())
borrower_loans = Table("borrower_loans", metadata, *borrower_loans_columns())
parked_loan_events = Table("parked_loan_events", metadata, *parked_loan_events_columns())
business_dates = Table("business_dates", metadata, *business_dates_columns())
