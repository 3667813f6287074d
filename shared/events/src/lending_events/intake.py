"""Events published by intake (topic lending.intake.v1)."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from lending_events.base import ContractModel, LoanEvent, known_codes
from lending_events.money import Amount, CurrencyCode
from lending_events.reasons import WithdrawalReason
from lending_events.terms import Term
from lending_events.vocabulary import (
    ApplicantType,
    Identifier,
    PaymentMethod,
    ReasonCode,
    RepaymentFrequency,
    SecurityType,
)


class IntakeEvent(LoanEvent):
    producer = "intake"


class ApplicationSubmitted(IntakeEvent):
    """A partner submitted a complete or partial application; the id becomes the loan id."""

    partner_id: Identifier
    channel: ReasonCode = Field(description="Partner channel: app, web, merchant, supply_chain")
    applicant_id: Identifier
    applicant_type: ApplicantType
    identity_hash: str = Field(
        min_length=16, description="Salted hash of the identity document, for duplicate and "
        "stacking checks; no raw personal data travels on the bus"
    )
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    product_code: Identifier
    currency: CurrencyCode
    requested_amount: Amount
    requested_term: Term
    requested_frequency: RepaymentFrequency
    purpose: ReasonCode = Field(description="Stated purpose code, e.g. working_capital")
    security: SecurityType
    collateral_value: Amount | None = None
    related_party_id: Identifier | None = Field(
        default=None, description="Buyer of the receivable for supply-chain finance"
    )
    declared_monthly_income: Amount | None = None
    declared_monthly_obligations: Amount | None = None
    declared_business_monthly_revenue: Amount | None = Field(
        default=None, description="A business applicant's declared monthly revenue"
    )
    guarantor_monthly_income: Amount | None = Field(
        default=None, description="The guarantor's declared monthly income (security "
        "guarantor); absent: not stated, and underwriting refers it for verification"
    )
    documents_complete: bool
    missing_documents: list[ReasonCode] = Field(default_factory=list)
    consent_given_at: AwareDatetime


class DocumentsReceived(IntakeEvent):
    """Documents arrived after submission; ``documents_complete`` says whether the product's
    required documents are now all present (underwriting waits for that before deciding)."""

    document_types: list[ReasonCode] = Field(min_length=1, description="Types just received")
    documents_complete: bool
    missing_documents: list[ReasonCode] = Field(default_factory=list)
    received_at: AwareDatetime


class DisbursementAccount(ContractModel):
    method: PaymentMethod
    account_ref: str = Field(min_length=1, description="Tokenised account reference")


class OfferAccepted(IntakeEvent):
    """The borrower accepted the approved offer; the ledger books the loan on these terms."""

    offer_id: Identifier
    decision_id: Identifier = Field(description="The LoanApproved decision whose terms apply")
    accepted_at: AwareDatetime
    disbursement_account: DisbursementAccount
    signature_ref: str | None = Field(default=None, description="E-signature evidence reference")


class ApplicationWithdrawn(IntakeEvent):
    """The application ended before booking: withdrawn, cancelled or expired."""

    reason: ReasonCode = Field(description=known_codes(WithdrawalReason, "Reason"))
    withdrawn_by: ReasonCode = Field(description="applicant, partner or system")
    withdrawn_at: AwareDatetime


EVENTS = (ApplicationSubmitted, DocumentsReceived, OfferAccepted, ApplicationWithdrawn)
