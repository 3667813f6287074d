"""The borrower's exposure on our books, from the positions the exposure view keeps.

Positions come from our own approvals (an offer not yet expired or booked counts: stacking
through several simultaneous applications is stacking too) and are moved by the ledger's and
servicing's events. Only positions in the application's currency add to the amount.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from lending_underwriting.domain.model import BorrowerExposure
from loanmath import Currency

OFFERED, ACTIVE, CLOSED, WRITTEN_OFF, WITHDRAWN = (
    "offered", "active", "closed", "written_off", "withdrawn")


class Position(Protocol):
    @property
    def loan_id(self) -> str: ...
    @property
    def currency(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def principal(self) -> Decimal: ...
    @property
    def outstanding_principal(self) -> Decimal: ...
    @property
    def days_past_due(self) -> int: ...
    @property
    def offer_expires_at(self) -> datetime | None: ...


def is_open_offer(p: Position, now: datetime) -> bool:
    return p.status == OFFERED and (p.offer_expires_at is None or p.offer_expires_at > now)


def summarise(positions: Iterable[Position], currency: str, now: datetime) -> BorrowerExposure:
    digits = Currency.of(currency).exponent
    active = offers = written_off = worst = 0
    outstanding = Decimal(0)
    loans = []
    for p in sorted(positions, key=lambda p: p.loan_id):
        if p.status == ACTIVE:
            active += 1
            worst = max(worst, p.days_past_due)
            if p.currency == currency:
                outstanding += p.outstanding_principal
        elif is_open_offer(p, now):
            offers += 1
            if p.currency == currency:
                outstanding += p.principal
        elif p.status == WRITTEN_OFF:
            written_off += 1
        else:
            continue
        loans.append({"loan_id": p.loan_id, "status": p.status, "currency": p.currency,
                      "outstanding_principal": format(p.outstanding_principal, "f"),
                      "days_past_due": p.days_past_due})
    return BorrowerExposure(active_loans=active, open_offers=offers,
                            outstanding=outstanding.quantize(Decimal(1).scaleb(-digits)),
                            worst_days_past_due=worst, written_off_loans=written_off,
                            loans=tuple(loans))
