"""The ports the service layer talks to; adapters implement them (SQL and in-memory)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Protocol

from lending_events import IntegrationEvent
from lending_messaging.context import MessageContext
from lending_underwriting.domain.model import Application, BorrowerExposure, BureauReport
from lending_underwriting.domain.referral import Referral


class BureauUnavailableError(Exception):
    """The credit bureau did not answer in time (or the circuit breaker is open)."""


class CreditBureau(Protocol):
    async def report(self, borrower_token: str, currency: str) -> BureauReport:
        """The borrower's report; raises BureauUnavailableError, never hangs."""


@dataclass(frozen=True)
class StoredDecision:
    application_id: str
    decision_id: str
    borrower_token: str
    product_code: str
    outcome: str  # the automatic outcome: approved, declined, referred
    final_outcome: str  # after review: approved or declined; = outcome when not referred
    model_version: str
    policy_version: str
    inputs: dict[str, Any]
    policy: dict[str, Any]
    result: dict[str, Any]
    decided_at: datetime
    review: dict[str, Any] | None = None


@dataclass(frozen=True)
class LoanPosition:
    """One loan of a borrower on our books, as the exposure view keeps it."""

    loan_id: str
    borrower_token: str
    currency: str
    status: str  # offered, active, closed, written_off, withdrawn
    principal: Decimal
    outstanding_principal: Decimal
    days_past_due: int = 0
    offer_expires_at: datetime | None = None


@dataclass(frozen=True)
class DecisionWrite:
    """A new decision and what is written with it: its events (in order) and its offer's
    position or its referral. ``context``: the message context the events are stamped from
    (the event that caused them); None for the current one."""

    decision: StoredDecision
    events: Sequence[IntegrationEvent]
    position: LoanPosition | None = None
    referral: Referral | None = None
    context: MessageContext | None = None


class UnderwritingStore(Protocol):
    """Everything one transaction reads and writes; ``emit`` queues an event in it."""

    async def decision(self, application_id: str) -> StoredDecision | None: ...

    async def record_decisions(self, writes: Sequence[DecisionWrite]) -> set[str]:
        """New decisions, each with what is written with it, in one write (the events in the
        order given); returns the applications decided now. Nothing is written for an
        application that already has a decision. One write holds each application once."""

    async def record_review(self, application_id: str, final_outcome: str,
                            review: dict[str, Any]) -> None: ...

    async def park(self, app: Application, as_of: date) -> None:
        """Keeps an application that waits for documents."""

    async def unpark(self, application_id: str) -> tuple[Application, date] | None: ...

    async def exposure(self, borrower_token: str, currency: str,
                       now: datetime) -> BorrowerExposure: ...

    async def lock_borrowers(self, tokens: Sequence[str],
                             parked_application_ids: Sequence[str]) -> None:
        """Locks, until this transaction ends, the borrowers ``tokens`` and those of the
        parked applications named, all at once in the one order every transaction uses:
        a batch that decides in several groups takes every borrower lock it will need
        before its first group, so two batches sharing borrowers never deadlock."""

    async def locked_exposures(self, wanted: Sequence[tuple[str, str]],
                               now: datetime) -> list[BorrowerExposure]:
        """Locks the borrowers until this transaction ends (no other transaction decides for
        them meanwhile), then reads the exposure of each (borrower token, currency), in the
        order asked, including what the previous holders of the locks committed."""

    async def position(self, loan_id: str) -> LoanPosition | None:
        """The loan's position, locked until this transaction ends."""

    async def park_loan_event(self, loan_id: str, envelope: bytes) -> None:
        """Keeps an event that came before the loan was booked (another topic, no order)."""

    async def unpark_loan_events(self, loan_id: str) -> list[bytes]:
        """Removes and returns the loan's parked events, in the order they were parked."""

    async def save_position(self, position: LoanPosition) -> None: ...

    async def referral(self, referral_id: str, *, for_update: bool = False
                       ) -> Referral | None: ...

    async def save_referral(self, referral: Referral) -> None: ...

    async def referrals(self, status: str | None, limit: int) -> list[Referral]: ...

    async def emit(self, *events: IntegrationEvent) -> None:
        """Queues the events, in order, in this transaction's outbox (one insert)."""

    async def open_business_date(self) -> date | None:
        """The business date no day close has finished yet (None before the first close)."""

    async def business_day_closed(self, calendar_id: str, business_date: date,
                                  next_business_date: date) -> None:
        """Records a day close (a late or repeated one never moves the date back)."""


class StoreTransaction(Protocol):
    """A store with its own transaction (routes): commit() keeps it, leaving discards it."""

    store: UnderwritingStore

    async def commit(self) -> None: ...


StoreFor = Callable[[Any], UnderwritingStore]  # the consumer's session -> a store on it
Transactions = Callable[[], AbstractAsyncContextManager[StoreTransaction]]
Clock = Callable[[], datetime]
