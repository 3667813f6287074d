"""The PostgreSQL store: one ``SqlStore`` per transaction (the consumer's or a route's)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, nullcontext
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_events import Envelope, IntegrationEvent, to_envelope, topic_for
from lending_events.topics import UNDERWRITING
from lending_messaging.context import stamp, use_context
from lending_messaging.outbox import add_many_to_outbox, outbox_values
from lending_platform.unit_of_work import UnitOfWork, emit_in
from lending_underwriting.adapters import decision_sql as sql
from lending_underwriting.adapters.orm import (
    borrower_loans,
    business_dates,
    decisions,
    parked_applications,
    parked_loan_events,
    referrals,
)
from lending_underwriting.domain.exposure import summarise
from lending_underwriting.domain.model import Application, BorrowerExposure
from lending_underwriting.domain.referral import Referral
from lending_underwriting.service_layer.ports import DecisionWrite, LoanPosition, StoredDecision

SOURCE = "underwriting"
# The two-key form of advisory locks has its own key space (the relay's lock is one bigint).
BORROWER_LOCK_CLASS = 0x7577  # "uw"


class SqlStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def decision(self, application_id: str) -> StoredDecision | None:
        row = (await self.session.execute(
            select(decisions).where(decisions.c.application_id == application_id)
        )).mappings().first()
        return None if row is None else StoredDecision(**dict(row))

    async def record_review(self, application_id: str, final_outcome: str,
                            review: dict[str, Any]) -> None:
        await self.session.execute(
            update(decisions).where(decisions.c.application_id == application_id)
            .values(final_outcome=final_outcome, review=review))

    async def park(self, app: Application, as_of: date) -> None:
        await self.session.execute(
            insert(parked_applications).values(
                application_id=app.application_id, application=app.to_dict(), as_of=as_of)
            .on_conflict_do_update(index_elements=["application_id"],
                                   set_={"application": app.to_dict(), "as_of": as_of}))

    async def unpark(self, application_id: str) -> tuple[Application, date] | None:
        row = (await self.session.execute(
            parked_applications.delete()
            .where(parked_applications.c.application_id == application_id)
            .returning(parked_applications.c.application, parked_applications.c.as_of)
        )).first()
        return None if row is None else (Application.from_dict(row[0]), row[1])

    async def exposure(self, borrower_token: str, currency: str,
                       now: datetime) -> BorrowerExposure:
        rows = await self._driver_rows(sql.EXPOSURE, borrower_token)
        return summarise([_position(r) for r in rows], currency, now)

    async def lock_borrowers(self, tokens: Sequence[str],
                             parked_application_ids: Sequence[str]) -> None:
        if tokens or parked_application_ids:
            await self._driver_rows(sql.LOCK_BORROWERS, BORROWER_LOCK_CLASS,
                                    list(tokens), list(parked_application_ids))

    async def locked_exposures(self, wanted: Sequence[tuple[str, str]],
                               now: datetime) -> list[BorrowerExposure]:
        rows = await self._driver_rows(sql.LOCKED_EXPOSURES, BORROWER_LOCK_CLASS,
                                       list({token for token, _ in wanted}))
        theirs: dict[str, list[LoanPosition]] = {}
        for row in rows:
            theirs.setdefault(row["borrower_token"], []).append(_position(row))
        return [summarise(theirs.get(token, ()), currency, now) for token, currency in wanted]

    async def _driver_rows(self, statement: str, *params: Any) -> Sequence[Any]:
        conn = await self.session.connection()
        return (await conn.exec_driver_sql(statement, params)).mappings().all()

    async def record_decisions(self, writes: Sequence[DecisionWrite]) -> set[str]:
        if not writes:
            return set()
        decided = [sql.decision_row(w.decision, _policy_json(w.decision.policy))
                   for w in writes]
        positions = [sql.position_row(w.position) for w in writes if w.position is not None]
        referred = [sql.referral_row(w.referral) for w in writes if w.referral is not None]
        params = sql.record_params(decided, positions, referred, _outbox(writes))
        conn = await self.session.connection()
        return set((await conn.exec_driver_sql(sql.RECORD_DECISIONS, params)).scalars())

    async def open_business_date(self) -> date | None:
        return await self.session.scalar(select(func.max(business_dates.c.next_business_date)))

    async def business_day_closed(self, calendar_id: str, business_date: date,
                                  next_business_date: date) -> None:
        values = {"business_date": business_date, "next_business_date": next_business_date}
        await self.session.execute(
            insert(business_dates).values(calendar_id=calendar_id, **values)
            .on_conflict_do_update(index_elements=["calendar_id"], set_=values,
                                   where=business_dates.c.business_date < business_date))

    async def park_loan_event(self, loan_id: str, envelope: bytes) -> None:
        await self.session.execute(
            insert(parked_loan_events).values(loan_id=loan_id, envelope=envelope))

    async def unpark_loan_events(self, loan_id: str) -> list[bytes]:
        rows = (await self.session.execute(
            parked_loan_events.delete().where(parked_loan_events.c.loan_id == loan_id)
            .returning(parked_loan_events.c.position, parked_loan_events.c.envelope)
        )).all()
        return [bytes(envelope) for _, envelope in sorted(rows)]

    async def position(self, loan_id: str) -> LoanPosition | None:
        row = (await self.session.execute(
            select(borrower_loans).where(borrower_loans.c.loan_id == loan_id).with_for_update()
        )).mappings().first()
        return None if row is None else _position(row)

    async def save_position(self, position: LoanPosition) -> None:
        values = {k: v for k, v in position.__dict__.items()}
        await self.session.execute(
            insert(borrower_loans).values(**values).on_conflict_do_update(
                index_elements=["loan_id"],
                set_={**{k: v for k, v in values.items() if k != "loan_id"},
                      "updated_at": datetime.now().astimezone()}))

    async def referral(self, referral_id: str, *, for_update: bool = False) -> Referral | None:
        query = select(referrals).where(referrals.c.referral_id == referral_id)
        if for_update:
            query = query.with_for_update()
        row = (await self.session.execute(query)).mappings().first()
        return None if row is None else _referral(row)

    async def save_referral(self, referral: Referral) -> None:
        row = _referral_row(referral)
        await self.session.execute(
            update(referrals).where(referrals.c.referral_id == referral.referral_id)
            .values(**{k: v for k, v in row.items() if k != "referral_id"}))

    async def referrals(self, status: str | None, limit: int) -> list[Referral]:
        query = select(referrals).order_by(referrals.c.decide_by, referrals.c.referral_id)
        if status:
            query = query.where(referrals.c.status == status)
        rows = (await self.session.execute(query.limit(limit))).mappings().all()
        return [_referral(r) for r in rows]

    async def emit(self, *events: IntegrationEvent) -> None:
        if len(events) == 1:
            await emit_in(self.session, events[0], SOURCE)
            return
        await add_many_to_outbox(self.session, [to_envelope(e, source=SOURCE) for e in events],
                                 _one_topic(events))


def _outbox(writes: Sequence[DecisionWrite]) -> tuple[Any, ...]:
    """``outbox_values`` of every write's events, each stamped from its own context."""
    stamped: list[Envelope] = []
    for w in writes:
        with use_context(w.context) if w.context is not None else nullcontext():
            stamped += (stamp(to_envelope(e, source=SOURCE)) for e in w.events)
    return outbox_values(stamped, _one_topic([e for w in writes for e in w.events]))[1]


def _one_topic(events: Sequence[IntegrationEvent]) -> str:
    topics = {topic_for(type(e)) for e in events}
    assert len(topics) <= 1, "one write of events goes to one topic (underwriting's)"
    return topics.pop() if topics else UNDERWRITING


_POLICY_JSON: dict[int, tuple[dict[str, Any], str]] = {}


def _policy_json(policy: dict[str, Any]) -> str:
    # The policy book hands every decision of a product the same snapshot object; it is
    # kept in the entry, so its id cannot be reused while cached.
    cached = _POLICY_JSON.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_POLICY_JSON) > 64:
            _POLICY_JSON.clear()
        cached = _POLICY_JSON[id(policy)] = (policy, json.dumps(policy))
    return cached[1]


def _position(row: Any) -> LoanPosition:
    return LoanPosition(
        loan_id=row["loan_id"], borrower_token=row["borrower_token"], currency=row["currency"],
        status=row["status"], principal=Decimal(row["principal"]),
        outstanding_principal=Decimal(row["outstanding_principal"]),
        days_past_due=row["days_past_due"], offer_expires_at=row["offer_expires_at"])


def _referral_row(r: Referral) -> dict[str, Any]:
    return {"referral_id": r.referral_id, "application_id": r.application_id, "queue": r.queue,
            "status": r.status, "reason_codes": list(r.reason_codes), "summary": r.summary,
            "created_at": r.created_at, "decide_by": r.decide_by, "reviewer_id": r.reviewer_id,
            "note": r.note, "decided_at": r.decided_at}


def _referral(row: Any) -> Referral:
    return Referral(
        referral_id=row["referral_id"], application_id=row["application_id"],
        queue=row["queue"], reason_codes=tuple(row["reason_codes"]),
        created_at=row["created_at"], decide_by=row["decide_by"], summary=row["summary"],
        status=row["status"], reviewer_id=row["reviewer_id"], note=row["note"],
        decided_at=row["decided_at"])


class SqlTransaction:
    def __init__(self, session: AsyncSession) -> None:
        self.store = SqlStore(session)
        self._session = session

    async def commit(self) -> None:
        await self._session.commit()


def sql_transactions(sessions: async_sessionmaker[AsyncSession]) -> Any:
    @asynccontextmanager
    async def transaction() -> AsyncIterator[SqlTransaction]:
        async with UnitOfWork(sessions, SOURCE) as uow:  # kept only if commit() is called
            yield SqlTransaction(uow.session)

    return transaction
