"""A referral: an application waiting for a human underwriter's decision."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from lending_underwriting.domain.errors import ReferralAlreadyDecidedError

OPEN, APPROVED, DECLINED = "open", "approved", "declined"


@dataclass(frozen=True)
class Referral:
    referral_id: str
    application_id: str
    queue: str
    reason_codes: tuple[str, ...]
    created_at: datetime
    decide_by: datetime
    summary: dict[str, Any]  # what the underwriter sees first: amount, grade, offer...
    status: str = OPEN
    reviewer_id: str | None = None
    note: str | None = None
    decided_at: datetime | None = None

    def decide(self, approve: bool, reviewer_id: str, note: str, at: datetime) -> Referral:
        """The reviewed referral; a referral is decided once."""
        if self.status != OPEN:
            raise ReferralAlreadyDecidedError(self.referral_id, self.status)
        if not note.strip():
            raise ValueError("a referral decision needs a note")
        return replace(self, status=APPROVED if approve else DECLINED,
                       reviewer_id=reviewer_id, note=note.strip(), decided_at=at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "referral_id": self.referral_id, "application_id": self.application_id,
            "queue": self.queue, "reason_codes": list(self.reason_codes),
            "created_at": self.created_at.isoformat(), "decide_by": self.decide_by.isoformat(),
            "summary": self.summary, "status": self.status, "reviewer_id": self.reviewer_id,
            "note": self.note,
            "decided_at": self.decided_at.isoformat() if self.decided_at else None,
        }
