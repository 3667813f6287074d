"""Domain results to response models: amounts leave as decimal strings with the currency's
minor digits."""

from __future__ import annotations

from typing import Any

from lending_events.money import from_minor_units
from lending_servicing.domain.schedule import InstallmentStanding
from lending_servicing.entrypoints.schemas import (
    BreakdownPublic,
    InstallmentPublic,
    LoanPublic,
    LoanSummaryPublic,
    NextDuePublic,
    PayoffQuotePublic,
    StatementLinePublic,
    StatementPublic,
)
from lending_servicing.service_layer.queries import (
    LoanSummary,
    LoanView,
    PayoffQuoteView,
    Statement,
)


def money(units: int, currency: str) -> str:
    return str(from_minor_units(units, currency))


def breakdown(currency: str, principal: int, interest: int, fees: int,
              penalties: int) -> BreakdownPublic:
    return BreakdownPublic(
        principal=money(principal, currency), interest=money(interest, currency),
        fees=money(fees, currency), penalties=money(penalties, currency),
        total=money(principal + interest + fees + penalties, currency))


def installment_public(s: InstallmentStanding, currency: str) -> InstallmentPublic:
    r = s.row
    return InstallmentPublic(
        number=r.number, due_date=r.due_date, effective_due_date=r.effective_due,
        principal=money(r.principal, currency), interest=money(r.interest, currency),
        fees=money(r.fees, currency), total=money(r.total, currency),
        paid=money(s.paid, currency), unpaid=money(s.unpaid, currency),
        status=s.status.value)


def loan_public(view: LoanView) -> LoanPublic:
    loan, cur = view.loan, view.loan.currency
    nxt = view.next_due
    return LoanPublic(
        loan_id=loan.loan_id, status=loan.status, currency=cur,
        principal=money(loan.principal, cur), business_date=view.business_date,
        as_of=view.as_of, days_past_due=view.days_past_due,
        delinquent_since=view.delinquent_since, bucket=view.bucket.value,
        overdue_amount=money(view.overdue, cur),
        next_due=None if nxt is None else NextDuePublic(
            installment_number=nxt.row.number, due_date=nxt.row.due_date,
            amount_due=money(nxt.unpaid, cur)),
        outstanding=breakdown(cur, loan.outstanding_principal, loan.outstanding_interest,
                              loan.outstanding_fees, loan.outstanding_penalties),
        maturity_date=loan.maturity_date,
        installments=[installment_public(s, cur) for s in view.installments])


def summary_public(item: LoanSummary) -> LoanSummaryPublic:
    r, cur = item.row, item.row.currency
    return LoanSummaryPublic(
        loan_id=r.loan_id, status=r.status, currency=cur, as_of=item.as_of,
        days_past_due=item.days_past_due, delinquent_since=r.delinquent_since,
        bucket=item.bucket.value, overdue_amount=money(r.overdue, cur),
        next_due=None if r.next_due is None else NextDuePublic(
            installment_number=r.next_due[0], due_date=r.next_due[1],
            amount_due=money(r.next_due[2], cur)),
        outstanding=breakdown(cur, *r.outstanding))


def payoff_public(quote: PayoffQuoteView) -> PayoffQuotePublic:
    cur, p = quote.loan.currency, quote.payoff
    return PayoffQuotePublic(
        quote_id=quote.quote_id, loan_id=quote.loan.loan_id, currency=cur,
        as_of=quote.as_of, valid_until=quote.valid_until,
        amount=breakdown(cur, p.principal, p.interest, p.fees, p.penalties),
        per_diem_interest=money(p.per_diem, cur))


def _line(line: Any, cur: str) -> StatementLinePublic:
    after = line.principal_after
    return StatementLinePublic(
        date=line.on_date, kind=line.kind, reference=line.reference,
        amount=money(line.amount, cur), principal=money(line.principal, cur),
        interest=money(line.interest, cur), fees=money(line.fees, cur),
        penalties=money(line.penalties, cur),
        principal_balance_after=None if after is None else money(after, cur))


def statement_public(st: Statement) -> StatementPublic:
    cur = st.view.loan.currency
    return StatementPublic(
        loan_id=st.view.loan.loan_id, currency=cur, period_from=st.period_from,
        period_to=st.period_to, opening_principal_balance=money(st.opening_principal, cur),
        closing_principal_balance=money(st.closing_principal, cur),
        paid_in_period=money(st.paid_in_period, cur), days_past_due=st.view.days_past_due,
        bucket=st.view.bucket.value, overdue_amount=money(st.view.overdue, cur),
        lines=[_line(line, cur) for line in st.lines],
        installments_due=[installment_public(s, cur) for s in st.installments_due])
