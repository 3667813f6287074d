"""In-memory fakes of the store and the bureau, for unit tests through the composition root.

``InMemoryStore.transaction()`` is what the fake consumer enters around each batch (as
``session_factory``) and what routes use: changes and emitted events are kept only when it
exits cleanly, and emitted events are then published to the in-memory broker, as the outbox
relay would after a commit.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from lending_events import IntegrationEvent, to_envelope, topic_for
from lending_messaging.memory_broker import InMemoryBroker
from lending_messaging.ports import OutgoingMessage
from lending_underwriting.domain.exposure import summarise
from lending_underwriting.domain.model import Application, BorrowerExposure, BureauReport
from lending_underwriting.domain.referral import Referral
from lending_underwriting.service_layer.ports import (
    BureauUnavailableError,
    DecisionWrite,
    LoanPosition,
    StoredDecision,
)


@dataclass
class _State:
    decisions: dict[str, StoredDecision] = field(default_factory=dict)
    parked: dict[str, tuple[Application, date]] = field(default_factory=dict)
    positions: dict[str, LoanPosition] = field(default_factory=dict)
    referrals: dict[str, Referral] = field(default_factory=dict)
    parked_events: dict[str, list[bytes]] = field(default_factory=dict)
    business_dates: dict[str, tuple[date, date]] = field(default_factory=dict)


class InMemoryStore:
    def __init__(self, broker: InMemoryBroker | None = None) -> None:
        self.state = _State()
        self.broker = broker or InMemoryBroker()
        self._pending: list[IntegrationEvent] = []
        self.published: list[IntegrationEvent] = []

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[_Transaction]:
        saved = copy.deepcopy(self.state)
        self._pending = []
        tx = _Transaction(self)
        try:
            yield tx
        except BaseException:
            self.state, self._pending = saved, []
            raise
        if not tx.explicit or tx.committed:
            await self._publish()
        else:
            self.state, self._pending = saved, []

    async def _publish(self) -> None:
        events, self._pending = self._pending, []
        messages = []
        for event in events:
            envelope = to_envelope(event, source="underwriting")
            messages.append(OutgoingMessage(topic_for(type(event)), envelope.subject.encode(),
                                            envelope.to_bytes(), ()))
        await self.broker.publish(messages)
        self.published.extend(events)

    # --- the UnderwritingStore port -------------------------------------------------------
    async def decision(self, application_id: str) -> StoredDecision | None:
        return self.state.decisions.get(application_id)

    async def record_decisions(self, writes: Sequence[DecisionWrite]) -> set[str]:
        decided = set()
        for w in writes:
            if w.decision.application_id in self.state.decisions:
                continue
            decided.add(w.decision.application_id)
            self.state.decisions[w.decision.application_id] = copy.deepcopy(w.decision)
            if w.position is not None:
                await self.save_position(w.position)
            if w.referral is not None:
                await self.save_referral(w.referral)
            await self.emit(*w.events)
        return decided

    async def record_review(self, application_id: str, final_outcome: str,
                            review: dict[str, Any]) -> None:
        current = self.state.decisions[application_id]
        self.state.decisions[application_id] = replace(
            current, final_outcome=final_outcome, review=review)

    async def park(self, app: Application, as_of: date) -> None:
        self.state.parked[app.application_id] = (app, as_of)

    async def unpark(self, application_id: str) -> tuple[Application, date] | None:
        return self.state.parked.pop(application_id, None)

    async def exposure(self, borrower_token: str, currency: str,
                       now: datetime) -> BorrowerExposure:
        mine = [p for p in self.state.positions.values() if p.borrower_token == borrower_token]
        return summarise(mine, currency, now)

    async def lock_borrowers(self, tokens: Sequence[str],
                             parked_application_ids: Sequence[str]) -> None:
        return None  # one transaction at a time: nothing to lock

    async def locked_exposures(self, wanted: Sequence[tuple[str, str]],
                               now: datetime) -> list[BorrowerExposure]:
        # the in-memory consumer runs one transaction at a time: nothing to lock
        return [await self.exposure(token, currency, now) for token, currency in wanted]

    async def park_loan_event(self, loan_id: str, envelope: bytes) -> None:
        self.state.parked_events.setdefault(loan_id, []).append(envelope)

    async def unpark_loan_events(self, loan_id: str) -> list[bytes]:
        return self.state.parked_events.pop(loan_id, [])

    async def position(self, loan_id: str) -> LoanPosition | None:
        return self.state.positions.get(loan_id)

    async def save_position(self, position: LoanPosition) -> None:
        self.state.positions[position.loan_id] = position

    async def referral(self, referral_id: str, *, for_update: bool = False) -> Referral | None:
        return self.state.referrals.get(referral_id)

    async def save_referral(self, referral: Referral) -> None:
        self.state.referrals[referral.referral_id] = referral

    async def referrals(self, status: str | None, limit: int) -> list[Referral]:
        found = [r for r in self.state.referrals.values() if status is None or r.status == status]
        return sorted(found, key=lambda r: (r.decide_by, r.referral_id))[:limit]

    async def open_business_date(self) -> date | None:
        return max((d[1] for d in self.state.business_dates.values()), default=None)

    async def business_day_closed(self, calendar_id: str, business_date: date,
                                  next_business_date: date) -> None:
        known = self.state.business_dates.get(calendar_id)
        if known is None or known[0] < business_date:
            self.state.business_dates[calendar_id] = (business_date, next_business_date)

    async def emit(self, *events: IntegrationEvent) -> None:
        self._pending.extend(events)


class _Transaction:
    """As a consumer's session (explicit=False) it commits on clean exit; routes call
    ``commit()`` (explicit) and anything not committed is discarded."""

    def __init__(self, owner: InMemoryStore) -> None:
        self.store = owner
        self.explicit = False
        self.committed = False

    async def commit(self) -> None:
        self.explicit = self.committed = True


def memory_transactions(store: InMemoryStore) -> Any:
    @asynccontextmanager
    async def transaction() -> AsyncIterator[_Transaction]:
        async with store.transaction() as tx:
            tx.explicit = True
            yield tx

    return transaction


class FakeBureau:
    """Answers from a dict of reports by token; ``down`` makes every call fail."""

    def __init__(self, reports: dict[str, BureauReport] | None = None,
                 default: BureauReport | None = None) -> None:
        self.reports = dict(reports or {})
        self.default = default
        self.down = False
        self.calls: list[str] = []

    async def report(self, borrower_token: str, currency: str) -> BureauReport:
        self.calls.append(borrower_token)
        if self.down:
            raise BureauUnavailableError("the fake bureau is down")
        report = self.reports.get(borrower_token, self.default)
        if report is None:
            raise BureauUnavailableError(f"no report for {borrower_token}")
        return report
