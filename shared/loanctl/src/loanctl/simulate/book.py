"""What the simulation knows of its own book: each borrower's application and loan as the
partner and the borrower saw them through the APIs, and what they did."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Any

from loanctl.simulate.behaviour import Borrower
from loanctl.simulate.keys import Actor


class Stage(StrEnum):
    """Where the run believes the application or loan is (checked against the services)."""

    SUBMITTED = "submitted"
    REFERRED = "referred"
    APPROVED = "approved"  # an offer is open
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the borrower declined the offer
    EXPIRED = "expired"
    ACCEPTED = "accepted"  # signed, not yet paid out
    DISBURSEMENT_FAILED = "disbursement_failed"
    ACTIVE = "active"
    CLOSED = "closed"
    WRITTEN_OFF = "written_off"


WAITING = {Stage.SUBMITTED, Stage.REFERRED, Stage.APPROVED, Stage.ACCEPTED}
LIVE = {Stage.ACTIVE}


@dataclass(frozen=True)
class Due:
    number: int
    due_date: date
    total: Decimal


@dataclass
class SimLoan:
    borrower: Borrower
    product: str
    partner: Actor
    application_id: str
    submitted_on: date
    stage: Stage = Stage.SUBMITTED
    offer: dict[str, Any] | None = None
    offered_on: date | None = None
    disbursed_on: date | None = None
    closed_on: date | None = None
    principal: Decimal = Decimal(0)
    currency: str = "CNY"
    schedule: list[Due] = field(default_factory=list)
    acted_on: int = 0  # installments of the schedule the borrower has acted on
    restructured: bool = False
    settled_by_quote: str | None = None  # the payoff quote id paid
    prepaid: bool = False
    promises: dict[date, Decimal] = field(default_factory=dict)  # date -> amount to pay
    defaulted_on: date | None = None  # first close at 90+ days past due
    last_call: date | None = None
    proposed: bool = False

    @property
    def cohort(self) -> str | None:
        return None if self.disbursed_on is None else self.disbursed_on.strftime("%Y-%m")


@dataclass
class Book:
    loans: list[SimLoan] = field(default_factory=list)
    by_id: dict[str, SimLoan] = field(default_factory=dict)
    paid_in: Decimal = Decimal(0)
    payments: int = 0
    quotes_paid: int = 0
    actions: dict[str, int] = field(default_factory=dict)  # collections work, by outcome

    def add(self, loan: SimLoan) -> None:
        self.loans.append(loan)
        self.by_id[loan.application_id] = loan

    def at(self, *stages: Stage) -> list[SimLoan]:
        return [loan for loan in self.loans if loan.stage in stages]

    def count(self, what: str) -> None:
        self.actions[what] = self.actions.get(what, 0) + 1

    @property
    def disbursed(self) -> int:
        return sum(1 for loan in self.loans if loan.disbursed_on is not None)
