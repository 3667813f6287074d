"""The ledger service's /v1 routes: thin, request model -> command -> handler -> response.

Every route needs an operator API key (any role for reads; servicer or admin to reverse a
payment): the ledger is an internal, operator-facing service.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select, text

from lending_ledger.adapters.orm import loan_accounts, parked_acceptances
from lending_ledger.adapters.orm import refusals as refusals_table
from lending_ledger.domain.accounts import ACCOUNT_KIND, Account
from lending_ledger.domain.contract import format_minor
from lending_ledger.domain.errors import LedgerDomainError
from lending_ledger.entrypoints import schemas
from lending_ledger.service_layer.booking import before_first_close, current_business_date
from lending_ledger.service_layer.ledger import LoanLedger, UnknownLoanError
from lending_ledger.service_layer.loan_reads import MAX_PAGE, loan_page, loan_read
from lending_ledger.service_layer.queries import exponent_of
from lending_platform.auth import require_operator
from lending_platform.credentials import OPERATOR_ROLES, Principal
from lending_platform.problems import ProblemError

router = APIRouter(tags=["ledger"])
Reader = Annotated[Principal, Depends(require_operator(*OPERATOR_ROLES))]
Servicer = Annotated[Principal, Depends(require_operator("servicer"))]


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


def _not_found(loan_id: str) -> ProblemError:
    return ProblemError(404, f"No loan account {loan_id}.", code="loan-not-found")


@router.get("/loans", response_model=schemas.LoanPagePublic)
async def list_loans(
    request: Request, _: Reader,
    cursor: Annotated[str | None, Query(description="The last loan id of the page before")]
    = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    status: Annotated[str | None, Query(pattern=r"^[a-z_]+$")] = None,
) -> schemas.LoanPagePublic:
    """Every loan in loan id order, with the figures another view of it must agree with:
    status, balances and principal movements, days past due and the next due."""
    async with _runtime(request).sessions() as session:
        page = await loan_page(session, cursor=cursor, limit=limit, status=status)
    return schemas.LoanPagePublic(
        items=[schemas.LoanSummaryPublic(**item) for item in page.items],
        next_cursor=page.next_cursor)


@router.get("/loans/{loan_id}", response_model=schemas.LoanPublic)
async def get_loan(
    loan_id: str, request: Request, _: Reader,
    as_of: Annotated[date | None, Query(
        description="Default: the last closed business date; another date ages the "
        "delinquency servicing last reported")] = None,
) -> schemas.LoanPublic:
    async with _runtime(request).sessions() as session:
        read = await loan_read(session, loan_id, as_of)
    if read is None:
        raise _not_found(loan_id)
    return schemas.LoanPublic(**read.view, as_of=read.as_of, days_past_due=read.days_past_due,
                              delinquent_since=read.delinquent_since)


@router.get("/loans/{loan_id}/events", response_model=list[schemas.LoanEventPublic])
async def get_loan_events(loan_id: str, request: Request, _: Reader) -> list[Any]:
    async with _runtime(request).sessions() as session:
        rows = (await session.execute(text(
            "SELECT position, version, type, data, recorded_at FROM events "
            "WHERE stream_id = :s ORDER BY version"), {"s": loan_id})).mappings().all()
    if not rows:
        raise _not_found(loan_id)
    return [dict(r) for r in rows]


@router.get("/loans/{loan_id}/journal", response_model=list[schemas.JournalEntryPublic])
async def get_loan_journal(loan_id: str, request: Request, _: Reader) -> list[Any]:
    async with _runtime(request).sessions() as session:
        rows = (await session.execute(text(
            "SELECT e.entry_id, e.event_type, e.position, e.business_date, e.currency, "
            "l.account, l.debit, l.credit FROM journal_entries e "
            "JOIN journal_lines l USING (entry_id) WHERE e.loan_id = :s "
            "ORDER BY e.entry_id, l.line_no"), {"s": loan_id})).all()
        known = await session.scalar(
            select(loan_accounts.c.loan_id).where(loan_accounts.c.loan_id == loan_id))
    if known is None:
        raise _not_found(loan_id)
    entries: dict[int, dict[str, Any]] = {}
    for r in rows:
        exp = exponent_of(r.currency)
        entry = entries.setdefault(r.entry_id, {
            "entry_id": r.entry_id, "event_type": r.event_type, "position": r.position,
            "business_date": r.business_date, "currency": r.currency, "lines": []})
        entry["lines"].append({"account": r.account, "debit": format_minor(r.debit, exp),
                               "credit": format_minor(r.credit, exp)})
    return list(entries.values())


@router.get("/trial-balance", response_model=schemas.TrialBalancePublic)
async def get_trial_balance(request: Request, _: Reader) -> schemas.TrialBalancePublic:
    async with _runtime(request).sessions() as session:
        rows = (await session.execute(text(
            "SELECT e.currency, l.account, sum(l.debit) AS debit, sum(l.credit) AS credit "
            "FROM journal_lines l JOIN journal_entries e USING (entry_id) "
            "GROUP BY e.currency, l.account ORDER BY e.currency, l.account"))).all()
    by_currency: dict[str, list[Any]] = {}
    for r in rows:
        by_currency.setdefault(r.currency, []).append(r)
    currencies = []
    for currency, lines in by_currency.items():
        exp = exponent_of(currency)
        debit, credit = sum(int(r.debit) for r in lines), sum(int(r.credit) for r in lines)
        currencies.append(schemas.TrialBalanceCurrencyPublic(
            currency=currency, total_debit=format_minor(debit, exp),
            total_credit=format_minor(credit, exp), balanced=debit == credit,
            lines=[schemas.TrialBalanceLinePublic(
                account=r.account, kind=ACCOUNT_KIND[Account(r.account)],
                debit=format_minor(int(r.debit), exp), credit=format_minor(int(r.credit), exp),
                balance=format_minor(int(r.debit) - int(r.credit), exp)) for r in lines],
        ))
    return schemas.TrialBalancePublic(currencies=currencies,
                                      balanced=all(c.balanced for c in currencies))


@router.get("/ops/offers", response_model=schemas.OpsQueuesPublic)
async def get_refused_and_parked(
    request: Request, _: Reader, limit: Annotated[int, Query(ge=1, le=1000)] = 100,
) -> schemas.OpsQueuesPublic:
    """Acceptances refused (expired or foreign offers, unserviceable terms, requests the ledger
    cannot book) and acceptances parked until their LoanApproved terms arrive."""
    async with _runtime(request).sessions() as session:
        refused = (await session.execute(
            select(refusals_table).order_by(refusals_table.c.refusal_id.desc()).limit(limit)
        )).mappings().all()
        parked = (await session.execute(
            select(parked_acceptances).order_by(parked_acceptances.c.parked_at).limit(limit)
        )).mappings().all()
    return schemas.OpsQueuesPublic(
        refusals=[schemas.RefusalPublic(**r) for r in refused],
        parked=[schemas.ParkedAcceptancePublic(**p) for p in parked],
    )


@router.post("/ops/loans/{loan_id}/payments/{payment_id}/reversal",
             response_model=schemas.LoanPublic, status_code=201)
async def reverse_payment(
    loan_id: str, payment_id: str, body: schemas.ReversalCreate, request: Request, _: Servicer,
) -> schemas.LoanPublic:
    """Reverses an applied payment (bounce, chargeback, correction): its split is undone by a
    new event and later payments are re-allocated; nothing is edited."""
    runtime = _runtime(request)
    ledger: LoanLedger = runtime.ports["ledger"]
    reversal_id = body.reversal_id or f"rev-{uuid.uuid4().hex[:16]}"
    async with runtime.sessions() as session, session.begin():
        on = await current_business_date(session) or before_first_close(datetime.now(UTC))

        def reverse(account: Any) -> None:
            account.reverse_payment(payment_id=payment_id, reversal_id=reversal_id,
                                    reason=body.reason, on=on)

        try:
            await ledger.execute(session, loan_id, reverse)
        except UnknownLoanError:
            raise _not_found(loan_id) from None
        except LedgerDomainError as exc:
            raise ProblemError(409, str(exc), code="reversal-refused") from exc
    return await get_loan(loan_id, request, _, None)
