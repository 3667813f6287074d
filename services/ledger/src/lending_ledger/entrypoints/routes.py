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
from lending_ledger.service_layer.loan_reads import MAX_PAGE, loan_page, loan_read
from lending_ledger.service_layer.queries import exponent_of
from lending_ledger.service_layer.trial_balance import AccountTotal, account_totals
from lending_platform.auth import require_operator
from lending_platform.credentials import OPERATOR_ROLES, Principal
from lending_platform.problems import ProblemError

router = APIRouter(tags=["ledger"])
Reader = Annotated[Principal, Depends(require_operator(*OPERATOR_ROLES))]


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


Limit = Annotated[int, Query(ge=1, le=1000, description="Items per page")]
Cursor = Annotated[str | None, Query(max_length=20, pattern=r"^[0-9]+$",
                                     description="`next_cursor` of the previous page")]


async def _known(session: Any, loan_id: str) -> None:
    found = await session.scalar(
        select(loan_accounts.c.loan_id).where(loan_accounts.c.loan_id == loan_id))
    if found is None:
        raise _not_found(loan_id)


@router.get("/loans/{loan_id}/events", response_model=schemas.LoanEventPage)
async def get_loan_events(loan_id: str, request: Request, _: Reader,
                          cursor: Cursor = None, limit: Limit = 100) -> schemas.LoanEventPage:
    """The loan's stream, oldest first, a page at a time."""
    after = int(cursor or 0)
    async with _runtime(request).sessions() as session:
        await _known(session, loan_id)
        rows = (await session.execute(text(
            "SELECT position, version, type, data, recorded_at FROM events "
            "WHERE stream_id = :s AND version > :after ORDER BY version LIMIT :n"),
            {"s": loan_id, "after": after, "n": limit})).mappings().all()
    return schemas.LoanEventPage(
        items=[schemas.LoanEventPublic(**r) for r in rows],
        next_cursor=str(rows[-1]["version"]) if len(rows) == limit else None)


@router.get("/loans/{loan_id}/journal", response_model=schemas.JournalPage)
async def get_loan_journal(loan_id: str, request: Request, _: Reader,
                           cursor: Cursor = None, limit: Limit = 100) -> schemas.JournalPage:
    """The loan's journal entries with their lines, oldest first, a page of entries at a
    time (the day close's accrual is posted per currency, not per loan: it is not here)."""
    after = int(cursor or 0)
    async with _runtime(request).sessions() as session:
        await _known(session, loan_id)
        rows = (await session.execute(text(
            "WITH page AS (SELECT entry_id, event_type, position, business_date, currency "
            "FROM journal_entries WHERE loan_id = :s AND entry_id > :after "
            "ORDER BY entry_id LIMIT :n) "
            "SELECT p.*, l.account, l.debit, l.credit FROM page p "
            "JOIN journal_lines l USING (entry_id) ORDER BY p.entry_id, l.line_no"),
            {"s": loan_id, "after": after, "n": limit})).all()
    entries: dict[int, dict[str, Any]] = {}
    for r in rows:
        exp = exponent_of(r.currency)
        entry = entries.setdefault(r.entry_id, {
            "entry_id": r.entry_id, "event_type": r.event_type, "position": r.position,
            "business_date": r.business_date, "currency": r.currency, "lines": []})
        entry["lines"].append({"account": r.account, "debit": format_minor(r.debit, exp),
                               "credit": format_minor(r.credit, exp)})
    items = [schemas.JournalEntryPublic(**e) for e in entries.values()]
    return schemas.JournalPage(
        items=items, next_cursor=str(items[-1].entry_id) if len(items) == limit else None)


@router.get("/trial-balance", response_model=schemas.TrialBalancePublic)
async def get_trial_balance(request: Request, _: Reader) -> schemas.TrialBalancePublic:
    """Every account's debits and credits per currency, from the running totals kept as the
    journal grows (no scan of the journal; `loanctl ledger verify` checks them against one)."""
    by_currency: dict[str, list[AccountTotal]] = {}
    for total in await account_totals(_runtime(request).sessions):
        by_currency.setdefault(total.currency, []).append(total)
    currencies = []
    for currency, lines in by_currency.items():
        exp = exponent_of(currency)
        debit, credit = sum(t.debit for t in lines), sum(t.credit for t in lines)
        currencies.append(schemas.TrialBalanceCurrencyPublic(
            currency=currency, total_debit=format_minor(debit, exp),
            total_credit=format_minor(credit, exp), balanced=debit == credit,
            lines=[schemas.TrialBalanceLinePublic(
                account=t.account, kind=ACCOUNT_KIND[Account(t.account)],
                debit=format_minor(t.debit, exp), credit=format_minor(t.credit, exp),
                balance=format_minor(t.debit - t.credit, exp)) for t in lines],
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
