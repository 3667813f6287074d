"""Property: after any sequence of payments, reversals, holidays and day closes, every
loan's days past due (as the projection keeps it, as the API shows it, and as the last
DelinquencyChanged published it) and the installments the close holds as reported missed
equal a brute-force replay of its schedule and payments."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lending_events import ContractTerms, to_minor_units
from lending_servicing.domain.delinquency import bucket_for
from lending_servicing.service_layer.holidays import declare_holiday
from lending_servicing.service_layer.queries import loan_view
from lending_servicing.testing import (
    contract_terms,
    disbursed,
    loan_booked,
    payment_applied,
    payment_reversed,
)

from .servicing_support import Servicing

pytestmark = pytest.mark.integration
START = date(2025, 1, 15)


@dataclass
class LoanPlan:
    frequency: str
    count: int
    grace: int
    tolerance_amount: int | None
    tolerance_rate: str | None


@dataclass
class Book:
    terms: ContractTerms
    payments: list[tuple[str, int]] = field(default_factory=list)  # (id, minor), live ones


loan_plans = st.builds(
    LoanPlan,
    frequency=st.sampled_from(["daily", "weekly", "monthly"]),
    count=st.integers(2, 6),
    grace=st.integers(0, 3),
    tolerance_amount=st.none() | st.integers(0, 2_000),
    tolerance_rate=st.none() | st.sampled_from(["0.01", "0.05", "0.10"]),
)
actions = st.lists(st.one_of(
    st.tuples(st.just("close"), st.integers(1, 25)),
    st.tuples(st.just("pay"), st.integers(0, 2), st.integers(1, 40_000)),
    st.tuples(st.just("reverse"), st.integers(0, 2)),
), min_size=1, max_size=14)
holiday_offsets = st.lists(st.integers(1, 90), max_size=4, unique=True)


def oracle_missed(terms: ContractTerms, plan: LoanPlan, paid: int, holidays: set[date],
                  as_of: date) -> dict[int, date]:
    """From scratch: pay installments oldest first, then look at each one; the missed ones
    by number, with their effective due dates."""
    missed: dict[int, date] = {}
    left = paid
    for row in terms.schedule:
        total = to_minor_units(row.total, "EUR")
        unpaid = total - min(left, total)
        left -= min(left, total)
        due = row.due_date
        while due in holidays:
            due += timedelta(days=1)
        by_rate = 0 if plan.tolerance_rate is None else int(
            (Decimal(total) * Decimal(plan.tolerance_rate)).to_integral_value(ROUND_FLOOR))
        tolerance = max(plan.tolerance_amount or 0, by_rate)
        if as_of > due + timedelta(days=plan.grace) and unpaid > tolerance:
            missed[row.number] = due
    return missed


def oracle_dpd(terms: ContractTerms, plan: LoanPlan, paid: int, holidays: set[date],
               as_of: date) -> int:
    missed = oracle_missed(terms, plan, paid, holidays, as_of)
    return (as_of - min(missed.values())).days if missed else 0


async def run_scenario(url: str, plans: list[LoanPlan], offsets: list[int],
                       steps: list[tuple]) -> None:
    app = await Servicing.start(url, migrate=False, initial_business_date=START)
    try:
        await app.sql("TRUNCATE loans, installments, payments, activity, business_days, "
                      "holidays, day_closes, slice_closes, outbox, inbox CASCADE")
        await app.close(START)
        books: list[Book] = []
        for n, plan in enumerate(plans):
            amount = None if plan.tolerance_amount is None else f"{plan.tolerance_amount / 100:.2f}"
            terms = contract_terms(start=START, frequency=plan.frequency, count=plan.count,
                                   grace_days=plan.grace, tolerance_amount=amount,
                                   tolerance_rate=plan.tolerance_rate)
            await app.ledger(loan_booked(f"loan-{n}", terms), disbursed(f"loan-{n}", terms))
            books.append(Book(terms))
        holidays = {START + timedelta(days=o) for o in offsets}
        for day in sorted(holidays):
            await declare_holiday(app.ctx, day, "test", by="ops-1")
        today = START + timedelta(days=1)
        counter = 0
        for step in steps:
            if step[0] == "pay" and step[1] < len(books):
                counter += 1
                book, loan_id = books[step[1]], f"loan-{step[1]}"
                book.payments.append((f"pay-{counter}", step[2]))
                await app.ledger(payment_applied(loan_id, f"pay-{counter}", "EUR", step[2],
                                                 today, 0))
            elif step[0] == "reverse" and step[1] < len(books) and books[step[1]].payments:
                pid, amount = books[step[1]].payments.pop()
                await app.ledger(payment_reversed(f"loan-{step[1]}", pid, "EUR", amount,
                                                  today, 0))
            elif step[0] == "close":
                result = await app.close(today + timedelta(days=step[1] - 1))
                today = result.business_date or today
                await check(app, books, plans, holidays)
    finally:
        await app.stop()


async def check(app: Servicing, books: list[Book], plans: list[LoanPlan],
                holidays: set[date]) -> None:
    [(as_of,)] = await app.sql("SELECT max(business_date) FROM business_days")
    changes = await app.data("DelinquencyChanged")
    for n, (book, plan) in enumerate(zip(books, plans, strict=True)):
        loan_id = f"loan-{n}"
        paid = sum(a for _, a in book.payments)
        expected = oracle_dpd(book.terms, plan, paid, holidays, as_of)
        # what the close has reported and not yet seen cured: the loan's range
        reported = {n for (n,) in await app.sql(
            "SELECT i.number FROM installments AS i JOIN loans AS l USING (loan_id) "
            "WHERE l.loan_id = :id AND i.number BETWEEN l.missed_from AND l.missed_through "
            "AND LEAST(i.total, i.cumulative_due - l.paid_to_schedule) > i.tolerance",
            id=loan_id)}
        assert reported == set(oracle_missed(book.terms, plan, paid, holidays, as_of)), (
            f"{loan_id} as of {as_of}")
        [(since,)] = await app.sql("SELECT delinquent_since FROM loans WHERE loan_id = :id",
                                   id=loan_id)
        kept = 0 if since is None else (as_of - since).days
        shown = (await loan_view(app.ctx, loan_id, None)).days_past_due
        published = [c for c in changes if c["loan_id"] == loan_id]
        last_bucket = published[-1]["bucket"] if published else "current"
        assert (kept, shown, last_bucket) == (expected, expected, bucket_for(expected)), (
            f"{loan_id} as of {as_of}")
        if published:
            assert published[-1]["days_past_due"] <= expected or expected == 0
            # what the ledger and collections count days past due from
            missed = oracle_missed(book.terms, plan, paid, holidays, as_of)
            start = min(missed.values()).isoformat() if missed else None
            assert published[-1]["delinquent_since"] == start, f"{loan_id} as of {as_of}"


@settings(max_examples=30, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(plans=st.lists(loan_plans, min_size=1, max_size=3), offsets=holiday_offsets,
       steps=actions)
def test_days_past_due_always_equals_a_replay_of_schedule_and_payments(
        servicing_database: str, plans: list[LoanPlan], offsets: list[int],
        steps: list[tuple]) -> None:
    asyncio.run(run_scenario(servicing_database, plans, offsets, steps))


@pytest.fixture
def servicing_database(database_url: str) -> str:
    async def migrate() -> None:
        app = await Servicing.start(database_url)
        await app.stop()

    asyncio.run(migrate())
    return database_url
