"""The ledger service's /v1 routes: thin, request model -> command -> handler -> response.

Every route needs an operator API key (any role for reads; servicer or admin to ask for or
decide a payment reversal: reversal_routes.py): the ledger is an internal, operator-facing
service.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from sqlalchemy import select, text

from lending_ledger.adapters.orm import loan_accounts, parked_acceptances
from lending_ledger.adapters.orm import refusals as refusals_table
from lending_ledger.domain.accounts import ACCOUNT_KIND, Account
from lending_ledger.domain.contract import format_minor
from lending_ledger.entrypoints import schemas
from lending_ledger.service_layer.booking import current_business_date
from lending_ledger.service_layer.queries import days_past_due, exponent_of
from lending_platform.auth import require_operator
from lending_platform.credentials import OPERATOR_ROLES, Principal
from lending_platform.problems import ProblemError

router = APIRouter(tags=["ledger"])
Reader = Annotated[Principal, Depends(require_operator(*OPERATOR_ROLES))]


def _runtime(request: Request) -> Any:
    return request.app.state.runtime


def _not_found(loan_id: str) -> ProblemError:
    return ProblemError(404, f"No loan account {loan_id}.", code="loan-not-found")


@router.get("/loans/{loan_id}", response_model=schemas.LoanPublic)
async def get_loan(
    loan_id: str, request: Request, _: Reader,
    as_of: Annotated[date | None, Query(description="Default: the current business date")] = None,
) -> schemas.LoanPublic:
    async with _runtime(request).sessions() as session:
        view = await session.scalar(
            select(loan_accounts.c.view).where(loan_accounts.c.loan_id == loan_id))
        business_date = as_of or await current_business_date(session)
    if view is None:
        raise _not_found(loan_id)
    return schemas.LoanPublic(**view, as_of=business_date,
                              days_past_due=days_past_due(view, business_date))


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
