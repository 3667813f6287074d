"""Recovery plans on a case: propose, approve, reject; the day close's write-off
recommendations. Only an approval publishes (RestructureRequested or WriteOffRequested), in
the transaction that records it, with the proposal id as the ledger's request id.

Idempotent under retries and redelivery: a proposal may carry the client's Idempotency-Key
(the same key returns the first proposal), an approval repeated by the same approver is a
no-op, a case has at most one pending proposal (partial unique index), and a write-off is
recommended once per case.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters import repository as repo
from lending_collections.adapters.orm import cases, loans, recovery_proposals
from lending_collections.domain.cases import OPEN, SYSTEM, Recorded
from lending_collections.domain.errors import (
    CaseClosedError,
    CaseNotFoundError,
    ProposalInvalidError,
    ProposalNotFoundError,
)
from lending_collections.domain.rate_change import RateChange, check_rate, forgone_interest
from lending_collections.domain.recovery import (
    PLAN_KINDS,
    PROPOSED,
    WITHDRAWN,
    WRITE_OFF,
    PlanTerms,
    Proposal,
    check_terms,
)
from lending_collections.service_layer.context import SOURCE, CollectionsPolicy
from lending_events import from_minor_units
from lending_events.collections_events import RestructureRequested, WriteOffRequested
from lending_platform.unit_of_work import emit_in


def _proposal(row: Row[Any]) -> Proposal:
    return Proposal(
        row.proposal_id, row.case_id, row.loan_id, row.kind, row.currency,
        None if row.kind == WRITE_OFF else PlanTerms.from_json(row.terms),
        frozenset(row.approver_roles), row.proposed_by, row.proposed_on, row.reason,
        row.status, row.decided_by, row.decided_on, row.decision_reason, row.request_id)


async def get(session: AsyncSession, proposal_id: str, lock: bool = False) -> Proposal:
    query = select(recovery_proposals).where(recovery_proposals.c.proposal_id == proposal_id)
    row = (await session.execute(query.with_for_update() if lock else query)).first()
    if row is None:
        raise ProposalNotFoundError(f"no proposal {proposal_id}")
    return _proposal(row)


async def _add(session: AsyncSession, p: Proposal, *, rules_version: str,
               idempotency_key: str | None = None, forgone_interest: int = 0) -> bool:
    terms = {} if p.terms is None else p.terms.as_json()
    stmt = pg_insert(recovery_proposals).values(
        proposal_id=p.proposal_id, case_id=p.case_id, loan_id=p.loan_id, kind=p.kind,
        status=p.status, currency=p.currency, waive_amount=terms.get("waive_minor", 0),
        forgone_interest=forgone_interest,
        terms=terms, approver_roles=sorted(p.approver_roles), rules_version=rules_version,
        proposed_by=p.proposed_by, proposed_on=p.proposed_on, reason=p.reason,
        idempotency_key=idempotency_key)
    added = await session.execute(stmt.on_conflict_do_nothing().returning(
        recovery_proposals.c.proposal_id))
    return added.first() is not None


async def _save(session: AsyncSession, p: Proposal) -> None:
    await session.execute(update(recovery_proposals).where(
        recovery_proposals.c.proposal_id == p.proposal_id).values(
        status=p.status, decided_by=p.decided_by, decided_on=p.decided_on,
        decided_at=text("now()"), decision_reason=p.decision_reason, request_id=p.request_id))
    await repo.record(session, p.case_id, p.pending)
    p.pending.clear()


async def propose(session: AsyncSession, policy: CollectionsPolicy, case_id: str, *,
                  kind: str, terms: PlanTerms, by: str, why: str,
                  idempotency_key: str | None = None) -> Proposal:
    if idempotency_key:
        found = await session.scalar(select(recovery_proposals.c.proposal_id).where(
            recovery_proposals.c.idempotency_key == f"{by}:{idempotency_key}"))
        if found:
            return await get(session, found)
    case = await repo.get_case(session, case_id)
    if case is None:
        raise CaseNotFoundError(f"no case {case_id}")
    case.check_open()
    loan = await repo.get_loan(session, case.loan_id)
    assert loan is not None
    today = await repo.current_business_date(session) or policy.clock().date()
    check_terms(kind, terms, today, loan.outstanding_principal)
    forgone = 0
    if terms.new_annual_rate is not None:  # a rate_change: check_terms refuses it elsewhere
        check_rate(loan.terms, terms.new_annual_rate, policy.recovery.legal_apr_cap)
        assert loan.terms is not None
        forgone = forgone_interest(loan.terms, loan.outstanding_principal, RateChange(
            terms.new_annual_rate, terms.effective_date, terms.new_installment_count,
            terms.new_frequency, terms.first_due_date))
    forgiven = terms.waive_minor + forgone
    if kind == "settlement" and terms.settlement_minor is not None:
        forgiven = max(forgiven, loan.outstanding_principal - terms.settlement_minor)
    roles = policy.recovery.approver_roles(kind, from_minor_units(forgiven, loan.currency))
    proposal = Proposal(repo.new_id("rp"), case_id, case.loan_id, kind, loan.currency, terms,
                        roles, by, today, why).proposed()
    if not await _add(session, proposal, rules_version=policy.recovery.version,
                      idempotency_key=f"{by}:{idempotency_key}" if idempotency_key else None,
                      forgone_interest=forgone):
        raise ProposalInvalidError("case_id", f"case {case_id} already has a pending proposal")
    await repo.record(session, case_id, proposal.pending)
    return proposal


async def decide(session: AsyncSession, policy: CollectionsPolicy, proposal_id: str, *,
                 approve: bool, by: str, role: str, why: str) -> Proposal:
    proposal = await get(session, proposal_id, lock=True)
    case = await repo.get_case(session, proposal.case_id)
    assert case is not None
    today = await repo.current_business_date(session) or policy.clock().date()
    if not approve:
        if proposal.reject(by, role, today, why):
            await _save(session, proposal)
        return proposal
    if not case.is_open and proposal.status == PROPOSED:
        raise CaseClosedError(f"case {case.case_id} is closed ({case.resolution})")
    if not proposal.approve(by, role, today, why, request_id=proposal.proposal_id):
        return proposal
    await _save(session, proposal)
    await emit_in(session, await _request(session, proposal, today), SOURCE)
    return proposal


async def _request(session: AsyncSession, p: Proposal, today: date
                   ) -> RestructureRequested | WriteOffRequested:
    assert p.request_id is not None and p.decided_by is not None
    if p.kind == WRITE_OFF:
        dpd = await session.scalar(select(loans.c.days_past_due).where(
            loans.c.loan_id == p.loan_id))
        return WriteOffRequested(loan_id=p.loan_id, case_id=p.case_id,
                                 request_id=p.request_id, requested_on=today,
                                 days_past_due=int(dpd or 0), reason="policy_dpd_reached",
                                 approved_by=p.decided_by, proposed_by=p.proposed_by)
    t, cur = p.terms, p.currency
    assert t is not None
    return RestructureRequested(
        loan_id=p.loan_id, case_id=p.case_id, request_id=p.request_id,
        kind=PLAN_KINDS[p.kind], requested_on=today, effective_date=t.effective_date,
        currency=cur, new_annual_rate=t.new_annual_rate,
        new_installment_count=t.new_installment_count, new_frequency=t.new_frequency,
        first_due_date=t.first_due_date, capitalize_arrears=t.capitalize_arrears,
        waive_amount=from_minor_units(t.waive_minor, cur),
        settlement_amount=None if t.settlement_minor is None
        else from_minor_units(t.settlement_minor, cur),
        approved_by=p.decided_by, proposed_by=p.proposed_by)


async def recommend_write_offs(session: AsyncSession, policy: CollectionsPolicy,
                               business_date: date) -> int:
    """At the day close: a write-off recommendation for each open case at or past the
    policy's DPD, once per case (a rejected one is not raised again), never beside another
    pending proposal; a repeated close finds them all there."""
    roles = sorted(policy.recovery.approver_roles(WRITE_OFF, Decimal(0)))
    due = (await session.execute(
        select(cases.c.case_id, cases.c.loan_id, cases.c.days_past_due, loans.c.currency)
        .join(loans, loans.c.loan_id == cases.c.loan_id)
        .where(cases.c.status == OPEN,
               cases.c.days_past_due >= policy.recovery.write_off_at_dpd,
               ~select(recovery_proposals.c.proposal_id).where(
                   recovery_proposals.c.case_id == cases.c.case_id,
                   recovery_proposals.c.kind == WRITE_OFF).exists(),
               ~select(recovery_proposals.c.proposal_id).where(
                   recovery_proposals.c.case_id == cases.c.case_id,
                   recovery_proposals.c.status == PROPOSED).exists()))).all()
    added = 0
    for row in due:
        proposal = Proposal(
            f"wo-{row.case_id}"[:64], row.case_id, row.loan_id, WRITE_OFF, row.currency, None,
            frozenset(roles), SYSTEM, business_date,
            f"{row.days_past_due} DPD reached the write-off policy's "
            f"{policy.recovery.write_off_at_dpd} (rules v{policy.recovery.version})").proposed()
        if await _add(session, proposal, rules_version=policy.recovery.version):
            await repo.record(session, row.case_id, proposal.pending)
            added += 1
    return added


async def list_proposals(session: AsyncSession, *, status: str | None, case_id: str | None,
                         limit: int) -> list[Row[Any]]:
    query = select(recovery_proposals)
    if status:
        query = query.where(recovery_proposals.c.status == status)
    if case_id:
        query = query.where(recovery_proposals.c.case_id == case_id)
    query = query.order_by(recovery_proposals.c.proposed_at, recovery_proposals.c.proposal_id)
    return list((await session.execute(query.limit(limit))).all())


async def proposal_row(session: AsyncSession, proposal_id: str) -> Row[Any]:
    row = (await session.execute(select(recovery_proposals).where(
        recovery_proposals.c.proposal_id == proposal_id))).first()
    if row is None:
        raise ProposalNotFoundError(f"no proposal {proposal_id}")
    return row



async def currency_of_case(session: AsyncSession, case_id: str) -> str:
    currency = await session.scalar(
        select(loans.c.currency).join(cases, cases.c.loan_id == loans.c.loan_id)
        .where(cases.c.case_id == case_id))
    if currency is None:
        raise CaseNotFoundError(f"no case {case_id}")
    return str(currency)


async def withdraw_pending(session: AsyncSession, case_id: str, on: date, why: str) -> int:
    """The case closed (cure, payoff, restructure, write-off): a proposal still pending on it
    is withdrawn, so the approvers' queue holds only what can still be decided."""
    rows = (await session.execute(
        update(recovery_proposals)
        .where(recovery_proposals.c.case_id == case_id, recovery_proposals.c.status == PROPOSED)
        .values(status=WITHDRAWN, decided_by=SYSTEM, decided_on=on, decided_at=text("now()"),
                decision_reason=why)
        .returning(recovery_proposals.c.proposal_id, recovery_proposals.c.kind))).all()
    await repo.record(session, case_id, [
        Recorded(f"{WRITE_OFF if kind == WRITE_OFF else 'restructure'}_withdrawn", SYSTEM, on,
                 why, {"proposal_id": proposal_id}) for proposal_id, kind in rows])
    return len(rows)
