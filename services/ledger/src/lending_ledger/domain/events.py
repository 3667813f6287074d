"""The loan account's own events: past tense, immutable, the only source of its state.

They are stored in the event store as ``(type, data)`` with ``data`` plain JSON (amounts in
integer minor units, dates ISO 8601); integration events for other services are derived
from them (service_layer/integration.py) and never stored here.

Allocation lines are ``[installment number, component index, amount]``; component indexes
are those of ``contract.COMPONENTS`` (principal, interest, fee, penalty).
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, ClassVar

Line = list[int]


@dataclass(frozen=True)
class DomainEvent:
    type: ClassVar[str]

    def to_data(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> DomainEvent:
        """Stored data is what ``to_data`` wrote: with exactly the fields' keys it is restored
        without ``__init__`` (a rebuild does this for every event); anything else goes
        through ``__init__``, which names a missing or unknown field."""
        if data.keys() == _FIELD_NAMES[cls]:
            event = object.__new__(cls)
            event.__dict__.update(data)
            return event
        return cls(**data)

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type = cls.__name__


@dataclass(frozen=True)
class LoanBooked(DomainEvent):
    decision_id: str
    offer_id: str
    applicant_id: str
    partner_id: str
    booked_on: str
    terms: dict[str, Any]  # ContractTerms as JSON, exactly as approved
    disbursement_method: str
    disbursement_account: str


@dataclass(frozen=True)
class PayoutRequested(DomainEvent):
    """Written before the payout provider is called: the value date is fixed here (a day
    close during the call, a crash, a second replica all pay out on this date) and the APR
    on the schedule anchored to it was found within the disclosure tolerance."""

    disbursement_id: str
    value_date: str
    disclosed_apr: str
    actual_apr: str
    tolerance: str


@dataclass(frozen=True)
class LoanDisbursed(DomainEvent):
    disbursement_id: str
    amount: int  # net, what the borrower received
    fees_withheld: int
    value_date: str
    method: str
    provider_reference: str
    # ContractTerms JSON anchored to the value date: the schedule the loan is serviced on
    # from now (None in events recorded before anchoring existed: the booked terms stand)
    terms: dict[str, Any] | None = None


@dataclass(frozen=True)
class DisbursementFailed(DomainEvent):
    disbursement_id: str
    amount: int
    failure_code: str
    failure_message: str
    attempt: int
    retryable: bool


@dataclass(frozen=True)
class Reallocation:
    """A payment's split re-computed after a backdated payment or a reversal."""

    payment_id: str
    previous_lines: list[Line]
    previous_overpayment: int
    lines: list[Line]
    overpayment: int


@dataclass(frozen=True)
class PaymentApplied(DomainEvent):
    payment_id: str
    amount: int
    value_date: str
    received_at: str
    method: str
    lines: list[Line]
    overpayment: int  # held as a refundable credit balance
    settled: list[int] = field(default_factory=list)  # installments this event settled
    reallocations: list[dict[str, Any]] = field(default_factory=list)  # Reallocation data
    payoff_quote_id: str | None = None  # paid against this payoff quote
    payoff_outcome: str | None = None  # domain/payoff.py: settled, below_quote, ...
    payoff_waived: int = 0  # what the quote bound the lender to forgo (PayoffAccepted)


@dataclass(frozen=True)
class PayoffAccepted(DomainEvent):
    """A payment against a payoff quote settles the loan on ``value_date``: the schedule
    ends there (domain/payoff.py). Recorded just before that payment's PaymentApplied, which
    then pays everything left, and LoanClosed. ``owed`` is what settles the loan per
    component (principal, interest, fee, penalty) once ``removed`` (the interest and fees
    later installments would never earn; never recognised, so no entry) is off the schedule;
    ``accrued_interest`` and ``accrued_fees`` bring what is recognised to what is earned by
    then (negative when accrual already ran past it); ``waived`` is what the quote binds the
    lender to forgo (waiver expense)."""

    payment_id: str
    quote_id: str
    value_date: str
    quoted_total: int
    owed: list[int]
    accrued_interest: int
    accrued_fees: int
    removed: list[Line]
    waived: list[Line]


@dataclass(frozen=True)
class PayoffWithdrawn(DomainEvent):
    """A reversal leaves the loan owing again (the settling payment itself, or one the
    payoff counted on): the settlement no longer holds, so the cut schedule is restored
    (``restored`` back on it, ``unwaived`` owed again) before the PaymentReversed."""

    payment_id: str  # the payment that had settled the loan
    reversal_id: str
    restored: list[Line]
    unwaived: list[Line]


@dataclass(frozen=True)
class PaymentReversed(DomainEvent):
    payment_id: str
    reversal_id: str
    reason: str
    value_date: str
    amount: int
    lines: list[Line]  # the allocation undone
    overpayment: int
    reallocations: list[dict[str, Any]] = field(default_factory=list)
    # the operator who asked for it, and the second one who approved it when its amount
    # needed one (None in events stored before they were recorded)
    requested_by: str | None = None
    approved_by: str | None = None


@dataclass(frozen=True)
class RecoveryReceived(DomainEvent):
    """A payment after write-off: income from recoveries, not allocated to installments."""

    payment_id: str
    amount: int
    value_date: str
    received_at: str
    method: str


@dataclass(frozen=True)
class InterestAccrued(DomainEvent):
    """Income recognised for the days ``accrued_from``..``accrued_to`` (both included):
    scheduled interest pro rata on the day count, scheduled fees falling due, penalty
    interest per overdue installment ``[number, amount]``."""

    business_date: str
    accrued_from: str
    accrued_to: str
    interest: int
    fees: int
    penalties: list[list[int]]


@dataclass(frozen=True)
class FeeCharged(DomainEvent):
    fee_id: str
    kind: str
    amount: int
    charged_on: str
    installment_number: int


@dataclass(frozen=True)
class LoanRestructured(DomainEvent):
    """New terms from ``effective_date``. Component lists are principal, interest, fee,
    penalty: ``previous`` is what was owed (after ``accrued_*``, the old schedule's income up
    to the effective date), ``waived`` and ``capitalized`` (into principal) reduce it, and
    ``carried`` is the interest, fees and penalties due with the first new installment."""

    restructure_id: str
    request_id: str
    kind: str
    effective_date: str
    accrued_interest: int
    accrued_fees: int
    previous: list[int]
    waived: list[int]
    capitalized: list[int]
    carried: list[int]
    new_terms: dict[str, Any]  # ContractTerms as JSON, the new schedule numbered from 1


@dataclass(frozen=True)
class LoanWrittenOff(DomainEvent):
    write_off_id: str
    request_id: str | None
    effective_date: str
    amounts: list[int]  # per component: principal, interest, fee, penalty receivable
    days_past_due: int
    reason: str


@dataclass(frozen=True)
class LoanClosed(DomainEvent):
    closed_on: str
    reason: str
    total_paid: int


EVENT_TYPES: dict[str, type[DomainEvent]] = {
    cls.type: cls
    for cls in (
        LoanBooked, PayoutRequested, LoanDisbursed, DisbursementFailed, PaymentApplied,
        PaymentReversed, RecoveryReceived, InterestAccrued, FeeCharged, LoanRestructured,
        LoanWrittenOff, LoanClosed, PayoffAccepted, PayoffWithdrawn,
    )
}


_FIELD_NAMES: dict[type[DomainEvent], frozenset[str]] = {
    cls: frozenset(f.name for f in fields(cls)) for cls in EVENT_TYPES.values()
}


def event_from(type_: str, data: dict[str, Any]) -> DomainEvent:
    return EVENT_TYPES[type_].from_data(data)
