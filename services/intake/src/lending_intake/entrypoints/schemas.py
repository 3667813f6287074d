"""Request and response models of the partner API (``XCreate`` in, ``XPublic`` out).

Every field is typed and bounded; money is a decimal string with the currency's minor digits.
Product limits, age and purpose rules are checked afterwards by the domain (same 422 shape).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from lending_events.money import Amount, check_amount

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
Code = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]{1,63}$")]
Sha256 = Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
Uri = Annotated[str, StringConstraints(pattern=r"^(https?|s3|gs)://\S{1,500}$")]
DocumentType = Literal["id_card", "income_proof", "bank_statement", "business_license", "invoice"]
Money = Annotated[Amount, Field(description="Decimal string with the currency's minor digits")]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RequestedCreate(Strict):
    amount: Money
    currency: Annotated[str, StringConstraints(pattern=r"^[A-Z]{3}$")]
    term: int = Field(ge=1, le=3650, description="In the product's term unit")
    frequency: Literal["daily", "weekly", "biweekly", "monthly", "at_maturity"]

    @model_validator(mode="after")
    def _minor_digits(self) -> RequestedCreate:
        check_amount(self.amount, self.currency, "amount")
        if self.amount <= 0:
            raise ValueError("amount must be positive")
        return self


class AddressCreate(Strict):
    line1: Text
    line2: Text | None = None
    city: Text
    region: Text | None = None
    postal_code: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9 -]{2,12}$")] | None = None
    country: Annotated[str, StringConstraints(pattern=r"^[A-Z]{2}$")]


class ApplicantCreate(Strict):
    national_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{6,32}$")]
    full_name: Text
    date_of_birth: date
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,20}$")]
    email: Annotated[str, StringConstraints(
        pattern=r"^[^@\s]{1,64}@[^@\s]{1,185}\.[A-Za-z]{2,24}$")]
    address: AddressCreate

    @model_validator(mode="after")
    def _born_in_the_past(self) -> ApplicantCreate:
        if not date(1900, 1, 1) <= self.date_of_birth <= date.today():
            raise ValueError("date_of_birth must be between 1900-01-01 and today")
        return self


class FinancesCreate(Strict):
    monthly_income: Annotated[Decimal, Field(ge=0, le=100_000_000, decimal_places=2)]
    monthly_debt_payments: Annotated[Decimal, Field(ge=0, le=100_000_000, decimal_places=2)]
    employment: Literal["salaried", "self_employed", "business_owner", "other"]
    business_monthly_revenue: Annotated[Decimal, Field(
        ge=0, le=10_000_000_000, decimal_places=2,
        description="A business applicant's monthly revenue")] | None = None


class NoSecurity(Strict):
    type: Literal["none"]


class GuarantorSecurity(Strict):
    type: Literal["guarantor"]
    full_name: Text
    national_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9-]{6,32}$")]
    phone: Annotated[str, StringConstraints(pattern=r"^\+?[0-9 ()-]{6,20}$")]
    relationship: Text
    monthly_income: Annotated[Decimal, Field(
        ge=0, le=100_000_000, decimal_places=2,
        description="The guarantor's monthly income; without it an underwriter verifies it "
        "(the application is referred)")] | None = None


class CollateralSecurity(Strict):
    type: Literal["collateral"]
    kind: Literal["vehicle", "property", "equipment", "inventory", "deposit"]
    description: Text
    estimated_value: Annotated[Decimal, Field(gt=0, le=10_000_000_000, decimal_places=2)]


class ReceivableSecurity(Strict):
    type: Literal["receivable"]
    buyer_id: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$")]
    buyer_name: Text
    invoice_number: Text
    invoice_amount: Annotated[Decimal, Field(gt=0, le=10_000_000_000, decimal_places=2)]
    invoice_due_date: date


Security = Annotated[
    NoSecurity | GuarantorSecurity | CollateralSecurity | ReceivableSecurity,
    Field(discriminator="type"),
]


class DocumentCreate(Strict):
    type: DocumentType
    sha256: Sha256
    uri: Uri


class ConsentsCreate(Strict):
    credit_check: Literal[True] = Field(description="Must be true: the bureau is consulted")
    terms_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,32}$")]
    given_at: datetime | None = Field(default=None, description="Defaults to the request time")


class DisbursementAccountCreate(Strict):
    method: Literal["bank_transfer", "card", "mobile_money"]
    account_ref: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_.:-]{4,64}$")] = Field(
        description="Tokenised account reference from your payment provider")
    holder_name: Text


class ApplicationCreate(Strict):
    product_code: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]{1,63}$")]
    requested: RequestedCreate
    purpose: Code = Field(description="Purpose code, e.g. working_capital, education, home_repair")
    purpose_description: Annotated[str, StringConstraints(max_length=500)] | None = None
    applicant: ApplicantCreate
    finances: FinancesCreate
    security: Security
    documents: list[DocumentCreate] = Field(default_factory=list, max_length=20)
    consents: ConsentsCreate
    disbursement_account: DisbursementAccountCreate


class DocumentsCreate(Strict):
    documents: list[DocumentCreate] = Field(min_length=1, max_length=20)


class AcceptanceCreate(Strict):
    offer_id: Annotated[str, StringConstraints(min_length=1, max_length=64)]
    terms_version: Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,32}$")]
    accepted_at: datetime
    disclosure_sha256: Sha256 = Field(description="`offer.disclosure_sha256` as shown")
    ip_address: Annotated[str, StringConstraints(pattern=r"^[0-9a-fA-F:.]{2,45}$")]
    device_id: Annotated[str, StringConstraints(min_length=1, max_length=128)]
    user_agent: Annotated[str, StringConstraints(max_length=500)] | None = None


class WithdrawalCreate(Strict):
    reason: Literal["borrower_request", "partner_cancelled"] = "borrower_request"


# --- responses ---

class Accepted(BaseModel):
    id: str
    status: str
    location: str


class ReasonPublic(BaseModel):
    code: str
    description: str


class DecisionPublic(BaseModel):
    outcome: Literal["approved", "declined", "referred"]
    decision_id: str | None
    decided_at: datetime
    reasons: list[ReasonPublic]
    reapply_after: datetime | None = None


class OfferPublic(BaseModel):
    offer_id: str
    expires_at: datetime
    currency: str
    amount: str
    annual_rate: str
    apr: str
    apr_method: str
    total_interest: str
    total_fees: str
    total_cost: str
    total_repayable: str
    term: dict[str, Any]
    frequency: str
    fees: list[dict[str, Any]]
    schedule: list[dict[str, Any]]
    disclosure_sha256: str


class ApplicationPublic(BaseModel):
    id: str
    status: str
    product_code: str
    requested: dict[str, Any]
    purpose: str
    missing_documents: list[str]
    documents: list[dict[str, Any]]
    decision: DecisionPublic | None
    offer: OfferPublic | None
    submitted_at: datetime
    updated_at: datetime


class ApplicationPage(BaseModel):
    items: list[ApplicationPublic]
    next_cursor: str | None


class ProductPublic(BaseModel):
    code: str
    name: str
    family: str
    description: str
    applicant_type: str
    currency: str
    amount: dict[str, str]
    term: dict[str, Any]
    frequencies: list[str]
    amortization: list[str]
    interest_method: str
    annual_rate: dict[str, str]
    security: list[str]
    required_documents: list[str]
    fees: list[dict[str, Any]]


class ProductList(BaseModel):
    items: list[ProductPublic]
    age_of_majority: int
    prohibited_purposes: list[str]


class WebhookDeliveryPublic(BaseModel):
    id: str
    application_id: str
    event_type: str
    url: str
    state: str
    attempts: int
    next_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class WebhookDeliveryPage(BaseModel):
    items: list[WebhookDeliveryPublic]
    next_cursor: str | None
