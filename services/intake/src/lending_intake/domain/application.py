"""The application aggregate: its status machine, the offer it carries and what it records.

Commands check the status, change it and record a ``StatusChanged``; the service layer turns
those into webhooks (and, for the partner-driven steps, integration events). No I/O here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from lending_intake.domain.errors import OfferUnavailableError, TransitionNotAllowedError


class Status(StrEnum):
    SUBMITTED = "submitted"
    DOCUMENTS_PENDING = "documents_pending"
    UNDER_REVIEW = "under_review"
    REFERRED = "referred"
    APPROVED = "approved"
    DECLINED = "declined"
    OFFER_ACCEPTED = "offer_accepted"
    DISBURSED = "disbursed"
    DISBURSEMENT_FAILED = "disbursement_failed"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


OPEN = {Status.SUBMITTED, Status.DOCUMENTS_PENDING, Status.UNDER_REVIEW, Status.REFERRED,
        Status.APPROVED}
WITHDRAWABLE = OPEN | {Status.OFFER_ACCEPTED}


@dataclass(frozen=True)
class StatusChanged:
    previous: Status | None
    status: Status
    at: datetime
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Offer:
    """What the borrower is shown before signing; ``disclosure`` is the LoanApproved terms
    as displayed, ``disclosure_sha256`` its canonical hash the e-signature must quote."""

    offer_id: str
    decision_id: str
    expires_at: datetime
    disclosure: dict[str, Any]
    disclosure_sha256: str


@dataclass
class Application:
    id: str
    partner_id: str
    product_code: str
    status: Status
    submitted_at: datetime
    updated_at: datetime
    missing_documents: list[str] = field(default_factory=list)
    decision: dict[str, Any] | None = None
    offer: Offer | None = None
    accepted: dict[str, Any] | None = None
    changes: list[StatusChanged] = field(default_factory=list)

    @classmethod
    def submit(cls, id: str, partner_id: str, product_code: str, missing: list[str],
               now: datetime) -> Application:
        status = Status.DOCUMENTS_PENDING if missing else Status.SUBMITTED
        app = cls(id, partner_id, product_code, status, now, now, list(missing))
        app.changes.append(StatusChanged(None, status, now))
        return app

    def _move(self, status: Status, now: datetime, reasons: tuple[str, ...] = ()) -> None:
        if status == self.status:
            return
        self.changes.append(StatusChanged(self.status, status, now, reasons))
        self.status = status
        self.updated_at = now

    def is_final(self) -> bool:
        return self.status not in WITHDRAWABLE

    def receive_documents(self, missing: list[str], now: datetime) -> None:
        if self.status not in OPEN:
            raise TransitionNotAllowedError(f"documents cannot be added to a {self.status} "
                                            "application")
        self.missing_documents = list(missing)
        self.updated_at = now
        if self.status == Status.DOCUMENTS_PENDING and not missing:
            self._move(Status.SUBMITTED, now)

    def start_review(self, now: datetime) -> None:
        if self.status in (Status.SUBMITTED, Status.DOCUMENTS_PENDING):
            self._move(Status.UNDER_REVIEW, now)

    def refer(self, reasons: tuple[str, ...], now: datetime) -> None:
        if self.status in OPEN:
            self._move(Status.REFERRED, now, reasons)

    def approve(self, offer: Offer, decision: dict[str, Any], now: datetime) -> None:
        """A new approval supersedes any earlier offer (a reviewer may re-price)."""
        if self.status not in OPEN:
            return  # withdrawn or decided meanwhile: the late decision changes nothing
        self.offer = offer
        self.decision = decision
        self.updated_at = now
        self._move(Status.APPROVED, now, tuple(decision.get("reasons", ())))

    def decline(self, decision: dict[str, Any], now: datetime) -> None:
        if self.status not in OPEN:
            return
        self.decision = decision
        self._move(Status.DECLINED, now, tuple(r["code"] for r in decision.get("reasons", ())))

    def current_status(self, now: datetime) -> Status:
        """An approved offer past its expiry reads as expired even before the sweep."""
        if self.status == Status.APPROVED and self.offer and now >= self.offer.expires_at:
            return Status.EXPIRED
        return self.status

    def accept_offer(self, offer_id: str, disclosure_sha256: str, evidence: dict[str, Any],
                     now: datetime) -> Offer:
        offer = self.offer
        if self.status == Status.OFFER_ACCEPTED and offer and offer.offer_id == offer_id:
            raise OfferUnavailableError("already_accepted", "This offer was already accepted.")
        if self.status == Status.EXPIRED and offer and offer.offer_id == offer_id:
            raise OfferUnavailableError("expired", f"The offer expired at "
                                        f"{offer.expires_at.isoformat()}.")
        if self.status != Status.APPROVED or offer is None:
            raise OfferUnavailableError("no_offer",
                                        f"A {self.current_status(now)} application has no "
                                        "offer to accept.")
        if offer.offer_id != offer_id:
            raise OfferUnavailableError("superseded", f"Offer {offer_id} was superseded by "
                                        f"{offer.offer_id}; show the new disclosure.")
        if now >= offer.expires_at:
            self.expire(now)
            raise OfferUnavailableError("expired", f"The offer expired at "
                                        f"{offer.expires_at.isoformat()}.")
        if disclosure_sha256 != offer.disclosure_sha256:
            raise OfferUnavailableError("disclosure_mismatch", "The disclosure hash does not "
                                        "match the offer's current disclosure.")
        self.accepted = evidence
        self._move(Status.OFFER_ACCEPTED, now)
        return offer

    def expire(self, now: datetime) -> None:
        if self.status == Status.APPROVED:
            self._move(Status.EXPIRED, now, ("offer_expired",))

    def withdraw(self, now: datetime) -> None:
        if self.status not in WITHDRAWABLE:
            raise TransitionNotAllowedError(f"A {self.status} application cannot be withdrawn.")
        self._move(Status.WITHDRAWN, now, ("borrower_request",))

    def mark_disbursed(self, now: datetime) -> None:
        if self.status == Status.OFFER_ACCEPTED:
            self._move(Status.DISBURSED, now)

    def fail_disbursement(self, failure_code: str, now: datetime) -> None:
        """The ledger refused or could not make the payout, for good: the application ends
        here, nothing was lent. ``apr_outside_tolerance``: the schedule anchored to the
        payout date no longer matches the signed disclosure; a new application (a new offer,
        disclosed and signed) is the way on."""
        if self.status == Status.OFFER_ACCEPTED:
            self._move(Status.DISBURSEMENT_FAILED, now, (failure_code,))
