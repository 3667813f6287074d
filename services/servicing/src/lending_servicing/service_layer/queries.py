"""The reads: a loan with its schedule and standing, a payoff quote, a statement."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lending_servicing.adapters import calendar_repository as calendars
from lending_servicing.adapters import projection
from lending_servicing.adapters.bucket_table import load_buckets
from lending_servicing.adapters.loan_summaries import LoanSummaryRow, page_of_loans
from lending_servicing.domain.delinquency import Bucket, BucketRange, bucket_for
from lending_servicing.domain.errors import InvalidPaymentError, LoanNotFoundError
from lending_servicing.domain.payoff import DEFAULT_ORDER, LoanBalances, Payoff, payoff_on
from lending_servicing.domain.quote_token import SignedQuote, sign
from lending_servicing.domain.schedule import (
    InstallmentStanding,
    InstallmentStatus,
    ScheduledInstallment,
    TrackedInstallment,
    days_past_due_from,
    delinquent_since,
    standing,
)
from lending_servicing.service_layer.context import ServicingContext

TRACKED_FIELDS = tuple(TrackedInstallment.__dataclass_fields__)


@dataclass(frozen=True)
class LoanView:
    """A loan's standing as of ``as_of``, every figure from one computation: the statuses
    from what is paid toward the schedule, and from them what is overdue, the days past due
    and their bucket. (``loan.bucket`` is what the close last published: it catches up at
    the next close and is not shown.)"""

    loan: Any
    business_date: date
    as_of: date  # the last closed business date (the day before the first close: yesterday)
    installments: list[InstallmentStanding]
    delinquent_since: date | None
    days_past_due: int
    overdue: int
    bucket: Bucket

    @property
    def next_due(self) -> InstallmentStanding | None:
        return next((s for s in self.installments if s.unpaid > 0), None)


async def _calendar_dates(ctx: ServicingContext, session: AsyncSession) -> tuple[date, date]:
    last = await calendars.last_closed(session, ctx.policy.calendar_id)
    if last is not None:
        return last
    today = ctx.policy.initial_business_date or ctx.today()
    return today - timedelta(days=1), today


async def _loan(session: AsyncSession, loan_id: str, partner_id: str | None) -> Any:
    loan = await projection.get_loan_row(session, loan_id)
    if loan is None or (partner_id is not None and loan.partner_id != partner_id):
        raise LoanNotFoundError(loan_id)
    return loan


def _tracked(rows: list[Any]) -> list[TrackedInstallment]:
    return [TrackedInstallment(**{f: getattr(r, f) for f in TRACKED_FIELDS}) for r in rows]


async def loan_view(ctx: ServicingContext, loan_id: str, partner_id: str | None) -> LoanView:
    """``partner_id``: the calling partner may see its own loans only; None for operators."""
    async with ctx.sessions() as session:
        loan = await _loan(session, loan_id, partner_id)
        as_of, business_date = await _calendar_dates(ctx, session)
        rows = _tracked(await projection.installments_of(session, loan_id))
        buckets = await load_buckets(session)
    return standing_of(loan, business_date, as_of, rows, buckets)


def standing_of(loan: Any, business_date: date, as_of: date, rows: list[TrackedInstallment],
                buckets: tuple[BucketRange, ...]) -> LoanView:
    standings = standing(rows, loan.paid_to_schedule, as_of, closed=loan.status == "closed")
    overdue = sum(s.unpaid for s in standings if s.status is InstallmentStatus.MISSED)
    since = delinquent_since(standings)
    dpd = days_past_due_from(since, as_of)
    return LoanView(loan, business_date, as_of, standings, since, dpd, overdue,
                    bucket_for(dpd, buckets))


@dataclass(frozen=True)
class LoanSummary:
    """One loan of a page: the figures of its LoanView, computed in SQL by the same rules."""

    row: LoanSummaryRow
    as_of: date
    days_past_due: int
    bucket: Bucket


@dataclass(frozen=True)
class LoanPage:
    items: list[LoanSummary]
    next_cursor: str | None


async def loan_page(ctx: ServicingContext, *, cursor: str | None, limit: int,
                    status: str | None) -> LoanPage:
    """Loans in loan id order after ``cursor``, as of the last closed business date."""
    async with ctx.sessions() as session:
        as_of, _ = await _calendar_dates(ctx, session)
        rows = await page_of_loans(session, as_of=as_of, cursor=cursor, limit=limit,
                                   status=status)
        buckets = await load_buckets(session)
    items = []
    for row in rows:
        dpd = days_past_due_from(row.delinquent_since, as_of)
        items.append(LoanSummary(row, as_of, dpd, bucket_for(dpd, buckets)))
    return LoanPage(items, rows[-1].loan_id if len(rows) == limit else None)


@dataclass(frozen=True)
class PayoffQuoteView:
    quote_id: str
    loan: Any
    as_of: date
    valid_until: date
    payoff: Payoff


def balances(loan: Any) -> LoanBalances:
    terms = loan.terms
    scale = Decimal(10) ** loan.minor_digits
    schedule = [ScheduledInstallment(
        int(i["number"]), date.fromisoformat(i["due_date"]),
        int(Decimal(i["principal"]) * scale), int(Decimal(i["interest"]) * scale),
        int(Decimal(i["fees"]) * scale)) for i in terms["schedule"]]
    assert loan.currency == terms["currency"]
    return LoanBalances(
        start_date=loan.start_date, day_count=terms["day_count"],
        rounding=terms.get("rounding") or "half_even", schedule=schedule,
        paid_to_schedule=loan.paid_to_schedule,
        principal_outstanding=loan.outstanding_principal,
        charged_fees_unpaid=max(loan.fees_charged - loan.fees_charged_paid, 0),
        penalties_outstanding=loan.outstanding_penalties,
        allocation_order=tuple(terms.get("allocation_order") or DEFAULT_ORDER),
        carried_interest=loan.carried_interest, carried_fees=loan.carried_fees,
        carried_penalties=loan.carried_penalties)


def check_as_of(as_of: date, business_date: date, max_days_ahead: int) -> None:
    """A quote's as-of date is the current business date or a day of the coming window; a
    date out of range is a 422 naming the parameter, never an overflow further on."""
    if as_of < business_date:
        raise InvalidPaymentError("query.as_of",
                                  f"is before the current business date {business_date}")
    if (as_of - business_date).days > max_days_ahead:
        raise InvalidPaymentError(
            "query.as_of", f"is more than {max_days_ahead} days after the current business "
            f"date {business_date}")


async def payoff_quote(ctx: ServicingContext, loan_id: str, partner_id: str | None,
                       as_of: date | None) -> PayoffQuoteView:
    """What settles the loan if paid with a value date up to ``valid_until``: computed as of
    that last day, so paying earlier leaves a small credit the ledger returns as
    overpayment, never a shortfall. Writes nothing: the quote id is signed
    (domain/quote_token.py) and only its use is recorded, with the payment."""
    async with ctx.sessions() as session:
        loan = await _loan(session, loan_id, partner_id)
        _, business_date = await _calendar_dates(ctx, session)
    as_of = as_of or business_date
    check_as_of(as_of, business_date, ctx.policy.payoff_quote_max_days_ahead)
    if loan.status not in ("booked", "active"):
        raise InvalidPaymentError("loan", f"the loan is {loan.status}")
    valid_until = as_of + timedelta(days=ctx.policy.payoff_quote_valid_days)
    settle_on = max(valid_until, loan.start_date)
    quote = payoff_on(balances(loan), settle_on)
    quote_id = sign(SignedQuote(loan_id, as_of, valid_until, quote.principal, quote.total),
                    ctx.policy.payoff_quote_key)
    return PayoffQuoteView(quote_id, loan, as_of, valid_until, quote)


@dataclass(frozen=True)
class Statement:
    view: LoanView
    period_from: date
    period_to: date
    opening_principal: int
    closing_principal: int
    lines: list[Any]
    installments_due: list[InstallmentStanding]
    paid_in_period: int


async def statement(ctx: ServicingContext, loan_id: str, partner_id: str | None,
                    period_from: date | None, period_to: date | None) -> Statement:
    view = await loan_view(ctx, loan_id, partner_id)
    start = period_from or view.loan.start_date
    end = period_to or view.as_of
    if end < start:
        raise InvalidPaymentError("query.to", "is before `from`")
    async with ctx.sessions() as session:
        lines = await projection.activity_of(session, loan_id, start, end)
        opening = await projection.principal_before(session, loan_id, start) or 0
    closing = opening
    for line in lines:
        if line.principal_after is not None:
            closing = line.principal_after
    paid = sum(line.amount for line in lines if line.kind == "payment") - sum(
        line.amount for line in lines if line.kind == "reversal")
    due = [s for s in view.installments if start <= s.row.due_date <= end]
    return Statement(view, start, end, opening, closing, lines, due, paid)
