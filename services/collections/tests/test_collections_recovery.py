"""Recovery plans, the risk signal and the portfolio history on a real PostgreSQL with the
real inbox and handlers: nothing reaches the ledger before approval, maker-checker holds,
retries and redelivered closes duplicate nothing; early warnings come from the stream before
delinquency and flagged loans get a pre-due SMS; the report's past stays as it was."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from lending_collections.domain.errors import (
    ApprovalRefusedError,
    CaseClosedError,
    ProposalDecidedError,
    ProposalInvalidError,
)
from lending_collections.domain.recovery import PlanTerms
from lending_collections.service_layer import recovery, report

from .collections_support import Collections, booked, day_closed, delinquency, event, payment

pytestmark = pytest.mark.integration
FEB16 = date(2025, 2, 16)


@pytest.fixture
async def coll(database_url: str) -> AsyncIterator[Collections]:
    service = await Collections.start(database_url)
    try:
        yield service
    finally:
        assert service.consumer.stats.dead_lettered == 0
        await service.stop()


async def delinquent_loan(coll: Collections, **kw: Any) -> tuple[str, str]:
    loan = f"app-{uuid.uuid4().hex[:10]}"
    await coll.deliver(booked(loan, **kw), event("Disbursed", loan),
                       delinquency(loan, FEB16, 1, "current", "dpd_1_30"))
    [case] = await coll.sql("SELECT case_id FROM cases WHERE loan_id = :l", l=loan)
    return loan, case.case_id


async def propose(coll: Collections, case_id: str, kind: str = "term_extension", *,
                  by: str = "agent-1", key: str | None = None, **terms: Any) -> str:
    plan = PlanTerms(effective_date=date(2025, 2, 20), **({"new_installment_count": 12}
                     if kind == "term_extension" else {}) | terms)
    async with coll.ctx.sessions() as session, session.begin():
        found = await recovery.propose(session, coll.ctx.policy, case_id, kind=kind,
                                       terms=plan, by=by, why="income dropped",
                                       idempotency_key=key)
    return found.proposal_id


async def decide(coll: Collections, proposal_id: str, by: str, role: str,
                 approve: bool = True) -> str:
    async with coll.ctx.sessions() as session, session.begin():
        found = await recovery.decide(session, coll.ctx.policy, proposal_id, approve=approve,
                                      by=by, role=role, why="checked the file")
    return found.status


async def test_a_restructure_is_requested_only_once_someone_else_approves_it(
        coll: Collections):
    loan, case_id = await delinquent_loan(coll)
    first = await propose(coll, case_id, key="k-1")
    assert await propose(coll, case_id, key="k-1") == first  # a retried POST
    with pytest.raises(ProposalInvalidError) as second:
        await propose(coll, case_id, kind="payment_holiday",
                      first_due_date=date(2025, 4, 1))
    assert second.value.field == "case_id"  # one pending proposal per case
    assert await coll.outbox("RestructureRequested") == []
    with pytest.raises(ApprovalRefusedError, match="maker-checker"):
        await decide(coll, first, "agent-1", "collector")
    with pytest.raises(ApprovalRefusedError, match="role"):
        await decide(coll, first, "svc-1", "servicer")
    assert await decide(coll, first, "lead-2", "collector") == "approved"
    assert await decide(coll, first, "lead-2", "collector") == "approved"  # retried: no-op
    [requested] = await coll.outbox("RestructureRequested")
    assert (requested.loan_id, requested.case_id, requested.request_id, requested.kind,
            requested.new_installment_count, requested.approved_by,
            str(requested.waive_amount)) == (
        loan, case_id, first, "reschedule", 12, "lead-2", "0.00")
    assert requested.proposed_by == "agent-1"  # the event names the maker and the checker
    audit = await coll.sql("SELECT kind, performed_by, reason FROM case_actions"
                           " WHERE case_id = :c AND kind LIKE 'restructure%'"
                           " ORDER BY performed_at", c=case_id)
    assert [(a.kind, a.performed_by, a.reason) for a in audit] == [
        ("restructure_proposed", "agent-1", "income dropped"),
        ("restructure_approved", "lead-2", "checked the file")]


async def test_forgiving_money_needs_an_admin_and_a_rejection_publishes_nothing(
        coll: Collections):
    _, case_id = await delinquent_loan(coll)
    settlement = await propose(coll, case_id, "settlement", settlement_minor=60_000)
    [row] = await coll.sql("SELECT approver_roles, waive_amount FROM recovery_proposals")
    assert row.approver_roles == ["admin"]
    with pytest.raises(ApprovalRefusedError):
        await decide(coll, settlement, "lead-2", "collector")
    assert await decide(coll, settlement, "boss-1", "admin", approve=False) == "rejected"
    again = await propose(coll, case_id, "rate_change", new_annual_rate=Decimal("0.05"))
    with pytest.raises(ApprovalRefusedError):  # the cut forgoes interest: an admin's call
        await decide(coll, again, "lead-2", "collector")
    assert await decide(coll, again, "boss-1", "admin") == "approved"
    [requested] = await coll.outbox("RestructureRequested")
    assert (requested.kind, requested.new_annual_rate) == ("restructure", Decimal("0.05"))


async def test_a_case_that_closes_withdraws_its_pending_proposal(coll: Collections):
    loan, case_id = await delinquent_loan(coll)
    pending = await propose(coll, case_id, "payment_holiday", first_due_date=date(2025, 4, 1))
    await coll.deliver(delinquency(loan, date(2025, 2, 19), 0, "dpd_1_30", "current",
                                   overdue="0.00"))
    [row] = await coll.sql("SELECT status, decided_by, decision_reason FROM recovery_proposals")
    assert tuple(row) == ("withdrawn", "system", "case closed: cured")
    with pytest.raises(ProposalDecidedError, match="withdrawn"):
        await decide(coll, pending, "lead-2", "collector")
    audit = await coll.sql("SELECT kind FROM case_actions WHERE case_id = :c"
                           " ORDER BY performed_at, kind", c=case_id)
    assert "restructure_withdrawn" in [a.kind for a in audit]


async def test_the_day_close_recommends_a_write_off_once_and_an_admin_approves_it(
        coll: Collections):
    loan, case_id = await delinquent_loan(coll)
    on = FEB16 + timedelta(days=179)  # 180 DPD
    await coll.deliver(day_closed(on - timedelta(days=1)))
    assert await coll.sql("SELECT 1 FROM recovery_proposals") == []
    [env] = await coll.deliver(day_closed(on))
    await coll.deliver(env, day_closed(on), day_closed(on + timedelta(days=1)))
    [rec] = await coll.sql("SELECT * FROM recovery_proposals")
    assert (rec.kind, rec.proposed_by, rec.status, rec.approver_roles) == (
        "write_off", "system", "proposed", ["admin"])
    assert "180 DPD" in rec.reason
    assert await coll.outbox("WriteOffRequested") == []
    assert await decide(coll, rec.proposal_id, "boss-1", "admin") == "approved"
    [asked] = await coll.outbox("WriteOffRequested")
    assert (asked.loan_id, asked.case_id, asked.days_past_due, asked.approved_by,
            asked.reason) == (loan, case_id, 181, "boss-1", "policy_dpd_reached")
    assert asked.proposed_by == "system"
    await coll.deliver(event("LoanWrittenOff", loan, days_past_due=181,
                             effective_date=on + timedelta(days=2)))
    [closed] = await coll.outbox("CollectionCaseClosed")
    assert closed.resolution == "written_off"
    late = await propose_on_closed(coll, case_id)
    assert late == "closed"


async def propose_on_closed(coll: Collections, case_id: str) -> str:
    try:
        await propose(coll, case_id)
    except CaseClosedError:
        return "closed"
    return "open"


async def test_early_warning_from_the_stream_before_delinquency_and_pre_due_outreach(
        coll: Collections):
    first, second = f"app-{uuid.uuid4().hex[:8]}", f"app-{uuid.uuid4().hex[:8]}"
    await coll.deliver(event("ScoreComputed", second, score=540,
                             probability_of_default=Decimal("0.08")))
    await coll.deliver(_booked_for(first, "cust-9"))
    await coll.deliver(_booked_for(second, "cust-9"))
    [warning] = await coll.outbox("EarlyWarningRaised")  # not delinquent: exposure + score
    assert (warning.loan_id, warning.signals, warning.severity, warning.days_past_due) == (
        second, ["exposure_growing", "low_origination_score"], "medium", 0)
    [risk] = await coll.sql("SELECT score, level FROM loan_risk WHERE loan_id = :l", l=second)
    assert (risk.score, risk.level) == (30, "medium")
    due_soon = event("InstallmentDueSoon", second, installment_number=1,
                     due_date=date(2025, 2, 15), days_until_due=3)
    [env, _] = await coll.deliver(due_soon, event("InstallmentDueSoon", first,
                                               installment_number=1,
                                               due_date=date(2025, 2, 15)))
    await coll.deliver(env, event("InstallmentDueSoon", second, installment_number=1,
                                  due_date=date(2025, 2, 15), days_until_due=2))
    assert await coll.delivery.deliver_due() == 1  # the flagged loan only, once
    assert await coll.delivery.deliver_due() == 0
    [sms] = coll.notifier.sent.values()
    assert sms.recipient_ref == second and "2025-02-15" in sms.body and "EUR" in sms.body
    # paid on time: no more warnings; the due date is remembered for lateness
    await coll.deliver(_paid(second, 1, date(2025, 2, 15)))
    assert len(await coll.outbox("EarlyWarningRaised")) == 1


def _booked_for(loan: str, applicant: str) -> Any:
    base = booked(loan)
    return type(base).model_validate({**base.model_dump(), "applicant_id": applicant})


def _paid(loan: str, installment: int, on: date) -> Any:
    base = payment(loan, f"pay-{uuid.uuid4().hex[:6]}", "340.02", on)
    return type(base).model_validate({**base.model_dump(),
                                      "installments_settled": [installment]})


async def test_a_borrower_paying_later_each_cycle_is_warned_before_any_arrears(
        coll: Collections):
    loan = f"app-{uuid.uuid4().hex[:8]}"
    await coll.deliver(booked(loan))
    for n, late in ((1, 0), (2, 1), (3, 4)):
        due = date(2025, 1, 15) + timedelta(days=30 * n)
        await coll.deliver(event("InstallmentDueSoon", loan, installment_number=n,
                                 due_date=due),
                           _paid(loan, n, due + timedelta(days=late)))
    [warning] = await coll.outbox("EarlyWarningRaised")
    assert set(warning.signals) == {"paying_later", "late_payment_pattern"}
    assert warning.as_of == date(2025, 4, 19) and warning.days_past_due == 0


async def test_the_portfolio_report_gives_past_dates_as_they_were(coll: Collections):
    good = f"app-{uuid.uuid4().hex[:8]}"
    await coll.deliver(booked(good, product="micro", partner="p-b"), event("Disbursed", good))
    bad, _ = await delinquent_loan(coll)
    worse, _ = await delinquent_loan(coll)
    mar1, mar31 = date(2025, 3, 1), date(2025, 3, 31)
    await coll.deliver(day_closed(mar1))  # bad and worse: 14 DPD
    await coll.deliver(delinquency(bad, date(2025, 3, 10), 0, "dpd_1_30", "current",
                                   overdue="0.00", outstanding="700.00"))
    await coll.deliver(event("LoanWrittenOff", worse, days_past_due=30,
                             effective_date=date(2025, 3, 15)),
                       event("RecoveryApplied", worse, payment_id="pay-r1",
                             received_on=date(2025, 3, 20), amount="150.00"))
    await coll.deliver(event("RecoveryApplied", worse, payment_id="pay-r1",
                             received_on=date(2025, 3, 20), amount="150.00"))  # again
    await coll.deliver(day_closed(mar31))
    async with coll.ctx.sessions() as session:
        before = await report.portfolio(session, mar1)
        after = await report.portfolio(session, mar31 + timedelta(days=3))
    total = next(s for s in before["segments"] if s["dimension"] == "total")
    assert (before["snapshot_date"], total["loans"], total["outstanding"], total["par1"],
            total["par30"]) == ("2025-03-01", 3, "3000.00", "2000.00", "0.00")
    assert total["par1_ratio"] == "0.6667"
    now = next(s for s in after["segments"] if s["dimension"] == "total")
    assert (after["snapshot_date"], after["period_start"], now["loans"], now["par1"]) == (
        "2025-03-31", "2025-03-01", 2, "0.00")
    assert now["roll_rates"] == {"current": {"current": "1.0000"},
                                 "dpd_1_30": {"current": "0.5000",
                                              "written_off": "0.5000"}}
    assert (now["cure_rate"], now["recoveries"], now["write_offs"]) == (
        "0.5000", "150.00", "669.98")
    partners = {s["key"]: s for s in after["segments"] if s["dimension"] == "partner"}
    assert set(partners) == {"p-b", "partner-acme"} and partners["p-b"]["loans"] == 1
    # the past does not move: the 1 March figures again, after everything since
    async with coll.ctx.sessions() as session:
        assert await report.portfolio(session, mar1) == before


async def test_a_rate_cut_counts_the_interest_it_forgoes_toward_the_approval_tier(
        coll: Collections):
    _, case_id = await delinquent_loan(coll)  # 1000.00 at 12%, installments left: 2
    to_zero = await propose(coll, case_id, "rate_change", new_annual_rate=Decimal("0"))
    [row] = await coll.sql("SELECT approver_roles, waive_amount, forgone_interest "
                           "FROM recovery_proposals WHERE proposal_id = :p", p=to_zero)
    assert row.approver_roles == ["admin"] and row.waive_amount == 0
    assert row.forgone_interest > 0  # every cent of the remaining interest
    with pytest.raises(ApprovalRefusedError):
        await decide(coll, to_zero, "lead-2", "collector")
    assert await coll.outbox("RestructureRequested") == []


@pytest.mark.parametrize("rate", ["0.13", "1"])
async def test_a_recovery_plan_never_raises_a_loans_rate(coll: Collections, rate: str):
    _, case_id = await delinquent_loan(coll)
    with pytest.raises(ProposalInvalidError, match="never raises the rate") as refused:
        await propose(coll, case_id, "rate_change", new_annual_rate=Decimal(rate))
    assert refused.value.field == "new_annual_rate"
    assert await coll.sql("SELECT 1 FROM recovery_proposals") == []


async def test_a_rate_change_on_a_loan_whose_terms_collections_never_saw_is_refused(
        coll: Collections):
    loan = f"app-{uuid.uuid4().hex[:10]}"  # delinquency first: a stub without terms
    await coll.deliver(delinquency(loan, FEB16, 1, "current", "dpd_1_30"))
    [case] = await coll.sql("SELECT case_id FROM cases WHERE loan_id = :l", l=loan)
    with pytest.raises(ProposalInvalidError, match="contract terms") as refused:
        await propose(coll, case.case_id, "rate_change", new_annual_rate=Decimal("0.05"))
    assert refused.value.field == "new_annual_rate"
