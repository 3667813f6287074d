"""The complete contract terms of a loan, as approved and as booked.

LoanApproved carries these so that no downstream service needs the product catalogue:
everything needed to account, service and collect the loan is here, schedule included.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from lending_events.base import ContractModel
from lending_events.money import Amount, CurrencyCode, Rate
from lending_events.vocabulary import (
    AmortizationMethod,
    AprMethod,
    Component,
    DayCount,
    FeeBasis,
    FeeKind,
    Identifier,
    InterestMethod,
    RepaymentFrequency,
    RoundingMode,
    TermUnit,
)


class Term(ContractModel):
    count: int = Field(ge=1)
    unit: TermUnit


class FeeTerm(ContractModel):
    """A flat ``amount`` when basis is flat, otherwise a ``rate`` of the basis."""

    kind: FeeKind
    basis: FeeBasis
    amount: Amount | None = None
    rate: Rate | None = None
    deducted_from_disbursement: bool = Field(
        default=False, description="Withheld from the payout instead of added to the schedule"
    )

    @model_validator(mode="after")
    def _amount_or_rate(self) -> FeeTerm:
        if (self.basis is FeeBasis.FLAT) != (self.amount is not None and self.rate is None):
            raise ValueError("a flat fee needs an amount and no rate; other bases need a rate")
        return self


class GraceTerms(ContractModel):
    principal_periods: int = Field(default=0, ge=0, description="Installments without principal")
    interest_periods: int = Field(default=0, ge=0, description="Installments without interest")
    tolerance_days: int = Field(
        default=0, ge=0, description="Days after a due date before the installment is overdue"
    )
    arrears_tolerance_amount: Amount | None = Field(
        default=None,
        description="An installment whose unpaid part is at most this amount is not missed",
    )
    arrears_tolerance_rate: Rate | None = Field(
        default=None,
        description="An installment whose unpaid part is at most this fraction of the "
        "installment (0.05 is 5%) is not missed",
    )


class PenaltyRule(ContractModel):
    """Penalty interest on overdue amounts, accrued daily once the grace days have passed."""

    annual_rate: Rate
    grace_days: int = Field(ge=0)
    basis: FeeBasis = Field(description="principal: overdue principal; overdue_installment: all")
    cap: Amount | None = Field(default=None, description="Maximum total penalty per loan")


class Installment(ContractModel):
    number: int = Field(ge=1)
    due_date: date
    principal: Amount
    interest: Amount
    fees: Amount
    total: Amount
    principal_balance_after: Amount

    @model_validator(mode="after")
    def _total_is_sum(self) -> Installment:
        if self.principal + self.interest + self.fees != self.total:
            raise ValueError(f"installment {self.number}: total is not principal+interest+fees")
        return self


class ContractTerms(ContractModel):
    product_code: Identifier
    currency: CurrencyCode
    principal: Amount
    annual_rate: Rate = Field(description="Nominal annual interest rate")
    interest_method: InterestMethod
    amortization: AmortizationMethod
    day_count: DayCount
    frequency: RepaymentFrequency
    term: Term
    start_date: date = Field(description="Interest start date (expected disbursement date)")
    first_due_date: date
    maturity_date: date
    rounding: RoundingMode = Field(description="Rounding of every computed amount; the last "
                                   "installment absorbs the residue")
    fees: list[FeeTerm] = Field(default_factory=list)
    grace: GraceTerms = Field(default_factory=GraceTerms)
    penalty: PenaltyRule | None = None
    allocation_order: list[Component] = Field(
        min_length=4, max_length=4, description="Order in which a payment settles components"
    )
    schedule: list[Installment] = Field(min_length=1)
    apr: Rate
    apr_method: AprMethod
    total_interest: Amount
    total_fees: Amount
    total_cost: Amount = Field(description="Cost of credit: total interest plus total fees")
    total_repayable: Amount = Field(description="Sum of every installment")

    @model_validator(mode="after")
    def _schedule_adds_up(self) -> ContractTerms:
        if len(set(self.allocation_order)) != 4:
            raise ValueError("allocation_order must name each component exactly once")
        if [i.number for i in self.schedule] != list(range(1, len(self.schedule) + 1)):
            raise ValueError("schedule installments must be numbered 1..n in order")
        checks = {
            "principal": (sum(i.principal for i in self.schedule), self.principal),
            "total_interest": (sum(i.interest for i in self.schedule), self.total_interest),
            "total_repayable": (sum(i.total for i in self.schedule), self.total_repayable),
            "total_cost": (self.total_interest + self.total_fees, self.total_cost),
        }
        for name, (expected, stated) in checks.items():
            if expected != stated:
                raise ValueError(f"{name} {stated} does not match the schedule ({expected})")
        if self.schedule[-1].due_date != self.maturity_date:
            raise ValueError("maturity_date must be the last installment's due date")
        return self
