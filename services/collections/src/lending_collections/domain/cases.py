"""The collection case: one open case per delinquent loan, every change recorded as an action.

The aggregate checks and changes its own state and records what happened (``pending``);
the service layer stores the recorded actions (the audit: who, when, why) and publishes them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from lending_collections.domain.errors import (
    CaseClosedError,
    ContactLimitReachedError,
    PromiseInvalidError,
)

OPEN = "open"
CLOSED = "closed"
SYSTEM = "system"

# Loan outcomes that end a case -> the case's resolution.
CURED = "cured"
REPAID = "repaid"
RESTRUCTURED = "restructured"
SETTLED = "settled"
WRITTEN_OFF = "written_off"


@dataclass(frozen=True)
class Recorded:
    """One audited change: ``kind`` says what, ``by`` who, ``on`` the business date, ``why``."""

    kind: str
    by: str
    on: date
    why: str
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class CollectionCase:
    case_id: str
    loan_id: str
    status: str
    opened_on: date
    days_past_due: int
    bucket: str
    assigned_to: str | None = None
    closed_on: date | None = None
    resolution: str | None = None
    pending: list[Recorded] = field(default_factory=list)

    @classmethod
    def open(cls, case_id: str, loan_id: str, on: date, days_past_due: int,
             bucket: str) -> CollectionCase:
        case = cls(case_id, loan_id, OPEN, on, days_past_due, bucket)
        case.pending.append(Recorded("case_opened", SYSTEM, on,
                                     f"loan entered {bucket} at {days_past_due} DPD",
                                     {"bucket": bucket, "days_past_due": days_past_due}))
        return case

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    def check_open(self) -> None:
        if not self.is_open:
            raise CaseClosedError(f"case {self.case_id} is closed ({self.resolution})")

    def assign(self, assignee: str, by: str, on: date, why: str) -> None:
        self.check_open()
        previous, self.assigned_to = self.assigned_to, assignee
        self.pending.append(Recorded("assigned", by, on, why,
                                     {"assignee": assignee, "previous": previous}))

    def record_contact(self, channel: str, outcome: str, by: str, on: date, why: str, *,
                       contacts_this_week: int, weekly_limit: int) -> None:
        """``contacts_this_week``: every contact in the seven days to ``on``, automated or
        not; the borrower's protection from harassment does not depend on who dials."""
        self.check_open()
        if contacts_this_week >= weekly_limit:
            raise ContactLimitReachedError(
                f"case {self.case_id} has had {contacts_this_week} contacts in the seven days "
                f"to {on}; the limit is {weekly_limit}")
        self.pending.append(Recorded("contact", by, on, why,
                                     {"channel": channel, "outcome": outcome}))

    def record_promise(self, amount_minor: int, promised_date: date, by: str, on: date,
                       why: str) -> None:
        self.check_open()
        if amount_minor <= 0:
            raise PromiseInvalidError("a promise needs a positive amount")
        if promised_date < on:
            raise PromiseInvalidError(
                f"the promised date {promised_date} is before the business date {on}")
        self.pending.append(Recorded("promise_recorded", by, on, why,
                                     {"amount_minor": amount_minor,
                                      "promised_date": promised_date.isoformat()}))

    def move(self, days_past_due: int, bucket: str) -> None:
        self.days_past_due, self.bucket = days_past_due, bucket

    def close(self, resolution: str, on: date, why: str, by: str = SYSTEM) -> bool:
        """Closes the case; False (and nothing recorded) when it was already closed, so a
        cure followed by LoanClosed does not close it twice."""
        if not self.is_open:
            return False
        self.status, self.closed_on, self.resolution = CLOSED, on, resolution
        self.pending.append(Recorded("case_closed", by, on, why, {"resolution": resolution}))
        return True


def resolution_for_closure(reason: str) -> str:
    """LoanClosed.reason -> the case resolution."""
    return {"settled": SETTLED, "written_off": WRITTEN_OFF}.get(reason, REPAID)
