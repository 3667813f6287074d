"""Accrual on BusinessDayClosed over the real PostgreSQL: the handler only schedules the
run; the worker accrues every active loan in bounded batches, posts one summed journal
entry per batch instead of one per loan, and the books still verify against the streams."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import async_sessionmaker

import lending_ledger
from lending_events import to_envelope
from lending_events.servicing import BusinessDayClosed
from lending_ledger.domain.loan_account import LoanAccount
from lending_ledger.service_layer.day_close import AccrualWorker
from lending_ledger.service_layer.handlers import when_business_day_closed_schedule_accrual
from lending_ledger.service_layer.ledger import LoanLedger
from lending_ledger.service_layer.maintenance import verify
from lending_ledger.testing import future_terms
from lending_platform.database import create_engine, upgrade_to_head_async

pytestmark = pytest.mark.integration
MIGRATIONS = Path(lending_ledger.__file__).parent / "migrations"


async def close_day(sessions: async_sessionmaker, day: date) -> None:
    event = BusinessDayClosed(calendar_id="DE", business_date=day,
                              next_business_date=date.fromordinal(day.toordinal() + 1))
    async with sessions() as session, session.begin():
        await when_business_day_closed_schedule_accrual(
            session, event, to_envelope(event, source="/lending/servicing"))


async def test_a_day_close_accrues_every_active_loan_in_batches_with_summed_postings(
    database_url,
):
    await upgrade_to_head_async(MIGRATIONS, database_url)
    engine = create_engine(database_url)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    ledger = LoanLedger(snapshot_every=3)
    loans = [f"loan-{n}-{uuid.uuid4().hex[:6]}" for n in range(5)]
    terms = future_terms()

    def open_loan(account: LoanAccount) -> None:
        account.book(terms=terms, decision_id="d", offer_id="o", applicant_id="a",
                     partner_id="p", booked_on=date(2031, 3, 3),
                     disbursement_method="bank_transfer", disbursement_account="acct")
        if account.loan_id != loans[-1]:  # the last one is never paid out: no accrual
            account.record_disbursement(disbursement_id="x", value_date=date(2031, 3, 3),
                                        provider_reference="po")

    async with sessions() as session, session.begin():
        for loan_id in loans:
            await ledger.execute(session, loan_id, open_loan, create=True)
    worker = AccrualWorker(sessions, ledger, batch_size=2)
    try:
        await close_day(sessions, date(2031, 3, 18))  # 15 of 30 days: 5.00 of 10.00
        await close_day(sessions, date(2031, 3, 18))  # the same close redelivered
        await worker.run_until_idle()
        await close_day(sessions, date(2031, 4, 10))  # installment 1 overdue: fee, penalty
        await worker.run_until_idle()
        async with engine.connect() as conn:
            accrued = (await conn.execute(text(
                "SELECT stream_id, data->>'interest' FROM events WHERE type = "
                "'InterestAccrued' AND data->>'business_date' = '2031-03-18' "
                "ORDER BY stream_id"))).all()
            assert [(r[0], r[1]) for r in accrued] == [(loan, "500") for loan in loans[:-1]]
            entries = (await conn.execute(text(
                "SELECT loan_id, loans, event_type FROM journal_entries WHERE "
                "business_date = '2031-03-18' ORDER BY entry_id"))).all()
            assert [tuple(e) for e in entries] == [(None, 2, "InterestAccrued"),
                                                   (None, 2, "InterestAccrued")]
            lines = (await conn.execute(text(
                "SELECT account, sum(debit), sum(credit) FROM journal_lines JOIN "
                "journal_entries USING (entry_id) WHERE business_date = '2031-03-18' "
                "GROUP BY account ORDER BY account"))).all()
            assert [tuple(r) for r in lines] == [("1110-interest-receivable", 2000, 0),
                                                 ("4000-interest-income", 0, 2000)]
            late = await conn.scalar(text(
                "SELECT count(*) FROM events WHERE type = 'FeeCharged'"))
            assert late == 4
            runs = (await conn.execute(text(
                "SELECT business_date, status, loans FROM accrual_runs ORDER BY 1"))).all()
            assert [(r[1], r[2]) for r in runs] == [("done", 4), ("done", 4)]
        report = await verify(engine)
        assert report.ok, report.differences
        assert report.loans == 5
    finally:
        await engine.dispose()


__all__ = ["UTC", "datetime"]
