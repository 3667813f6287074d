"""Servicing's view of a loan takes the ledger's figures (issue #18): the balances every
ledger event reports (``outstanding``) and what the ledger counts as paid toward the
schedule (``paid_to_schedule``), so that the two views of one loan agree by construction;
the delinquency that follows is published with its start (``delinquent_since``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from lending_events.base import Breakdown
from lending_events.ledger import FeeCharged, InterestAccrued, PaymentApplied
from lending_servicing.service_layer import queries
from lending_servicing.testing import contract_terms, disbursed, loan_booked

from .servicing_support import Servicing

pytestmark = pytest.mark.integration
START = date(2025, 1, 15)
FEE = Decimal("5.00")  # a service fee due with every installment: 300 + 10 + 5 = 315.00


@pytest.fixture
async def servicing(database_url: str):
    app = await Servicing.start(database_url, initial_business_date=START)
    terms = _with_a_service_fee()
    await app.ledger(loan_booked("loan-1", terms), disbursed("loan-1", terms))
    yield app
    await app.stop()


def _with_a_service_fee():
    terms = contract_terms(start=START)
    data = terms.model_dump()
    for row in data["schedule"]:
        row["fees"], row["total"] = FEE, Decimal(row["total"]) + FEE
    added = FEE * len(data["schedule"])
    data.update(total_fees=added, total_cost=Decimal(data["total_cost"]) + added,
                total_repayable=Decimal(data["total_repayable"]) + added)
    return type(terms).model_validate(data)


def _money(principal: str, interest: str = "0.00", fees: str = "0.00") -> Breakdown:
    parts = [Decimal(principal), Decimal(interest), Decimal(fees), Decimal("0.00")]
    return Breakdown(principal=parts[0], interest=parts[1], fees=parts[2],
                     penalties=parts[3], total=sum(parts))


async def _standing(servicing: Servicing) -> tuple[int, str | None, int]:
    """paid_to_schedule, and the next due's date and amount (minor units), as the single
    loan's view and the operator's list both say."""
    view = await queries.loan_view(servicing.ctx, "loan-1", None)
    page = await queries.loan_page(servicing.ctx, cursor=None, limit=10, status=None)
    [item] = page.items
    nxt = view.next_due
    assert nxt is not None and item.row.next_due == (nxt.row.number, nxt.row.due_date,
                                                     nxt.unpaid)
    assert (item.days_past_due, item.row.delinquent_since) == (view.days_past_due,
                                                               view.delinquent_since)
    return view.loan.paid_to_schedule, nxt.row.due_date.isoformat(), nxt.unpaid


async def test_a_late_fee_paid_before_the_scheduled_fee_leaves_the_installment_as_the_ledger_says(
        servicing: Servicing) -> None:
    # 310.00 of the first 315.00 paid the day before it falls due: 5.00 short
    await servicing.ledger(PaymentApplied(
        loan_id="loan-1", payment_id="p1", currency="EUR", amount=Decimal("310.00"),
        value_date=date(2025, 2, 14), allocation=_money("295.00", "10.00", "5.00"),
        overpayment=Decimal("0.00"), outstanding=_money("605.00"),
        paid_to_schedule=Decimal("310.00")))
    await servicing.close(date(2025, 2, 16))
    assert await _standing(servicing) == (31_000, "2025-02-15", 500)
    # the ledger charges a late fee on #1; the 5.00 of fees paid on #1 pay it first, so
    # 10.00 of #1 is unpaid in the ledger's count: servicing counts the same
    await servicing.ledger(FeeCharged(
        loan_id="loan-1", currency="EUR", fee_id="late-1", kind="late_payment",
        amount=Decimal("15.50"), charged_on=date(2025, 2, 16), installment_number=1,
        outstanding=_money("605.00", fees="20.50"), paid_to_schedule=Decimal("305.00")))
    assert await _standing(servicing) == (30_500, "2025-02-15", 1_000)
    [loan] = await servicing.sql("SELECT outstanding_fees FROM loans WHERE loan_id = 'loan-1'")
    assert loan.outstanding_fees == 2_050


async def test_servicing_takes_the_ledgers_balances_after_an_accrual(
        servicing: Servicing) -> None:
    # the ledger recognised #1's scheduled fee on its due date with the day's interest
    await servicing.ledger(InterestAccrued(
        loan_id="loan-1", currency="EUR", business_date=date(2025, 2, 15),
        accrued_from=date(2025, 2, 15), accrued_to=date(2025, 2, 15), interest=Decimal("0.30"),
        penalty_interest=Decimal("0.00"), annual_rate=Decimal("0.12"), day_count="act/365f",
        accrued_unpaid_interest=Decimal("10.30"),
        outstanding=_money("900.00", "10.30", "5.00")))
    [loan] = await servicing.sql(
        "SELECT outstanding_principal, outstanding_interest, outstanding_fees, "
        "outstanding_penalties FROM loans WHERE loan_id = 'loan-1'")
    assert tuple(loan) == (90_000, 1_030, 500, 0)


async def test_a_payment_that_moves_the_delinquency_start_publishes_it(
        servicing: Servicing) -> None:
    await servicing.close(date(2025, 3, 20))  # #1 and #2 missed: delinquent since 2025-02-15
    [first] = await servicing.data("DelinquencyChanged")
    assert (first["days_past_due"], first["delinquent_since"]) == (33, "2025-02-15")
    await servicing.ledger(PaymentApplied(
        loan_id="loan-1", payment_id="p1", currency="EUR", amount=Decimal("315.00"),
        value_date=date(2025, 3, 20), allocation=_money("300.00", "10.00", "5.00"),
        overpayment=Decimal("0.00"), outstanding=_money("600.00", "10.00", "5.00"),
        paid_to_schedule=Decimal("315.00")))
    moved = (await servicing.data("DelinquencyChanged"))[-1]
    assert (moved["as_of"], moved["days_past_due"], moved["delinquent_since"],
            moved["bucket"]) == ("2025-03-20", 5, "2025-03-15", "dpd_1_30")
