"""LoanAccount: the event-sourced aggregate. Commands check, then record past-tense events;
``_apply`` is the only code that changes state, so replaying the stream rebuilds it exactly.

Income recognition (see docs/ledger.md): scheduled interest is recognised day by day on the
contract's day count (``accrue``); interest or scheduled fees paid before they are recognised
are recognised when paid (so a receivable never goes negative); penalties and late fees are
recognised when charged. Installment due amounts never change except by penalties and fees
charged to them, a restructure, and a payoff (which takes off the interest and fees later
installments would not earn, until a reversal withdraws it: domain/payoff.py); payments only
change what is paid, so the split of every payment can be re-computed from scratch in
value-date order (backdated payments, reversals).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from lending_ledger.domain import events as ev
from lending_ledger.domain.accounts import Account, Posting, difference
from lending_ledger.domain.allocation import allocate
from lending_ledger.domain.anchoring import AprTolerance, anchor, anchored_terms
from lending_ledger.domain.contract import (
    FEE,
    INTEREST,
    PENALTY,
    PRINCIPAL,
    Contract,
    parse_contract,
)
from lending_ledger.domain.errors import (
    InvalidContractError,
    InvalidLoanStateError,
    LoanAlreadyBookedError,
    LoanNotBookedError,
    NegativeBalanceError,
    UnknownPaymentError,
)
from lending_ledger.domain.payoff import (
    BELOW_QUOTE,
    LOAN_NOT_ACTIVE,
    PRINCIPAL_ABOVE_QUOTE,
    QUOTE_EXPIRED,
    SETTLED,
    QuotedPayoff,
    binding_allowance,
    earned_part,
    owed_after,
    unearned,
    waiver_lines,
)
from lending_ledger.domain.restructure import (
    SETTLEMENT,
    RestructureRequest,
    check_request,
    new_terms,
    restructured_contract,
    waive_in_order,
)
from lending_ledger.domain.schedule_standing import NextDue, next_due_of, paid_to_schedule
from loanmath import round_minor

NEW, BOOKED, ACTIVE, DISBURSEMENT_FAILED = "new", "booked", "active", "disbursement_failed"
CLOSED, WRITTEN_OFF = "closed", "written_off"
# DisbursementFailed codes of refusals decided before any payout (never retried)
APR_OUTSIDE_TOLERANCE, TERMS_NOT_ANCHORABLE = "apr_outside_tolerance", "terms_not_anchorable"


@dataclass
class Payment:
    payment_id: str
    seq: int
    amount: int
    value_date: date
    lines: list[list[int]]
    overpayment: int
    reversed: bool = False


@dataclass(frozen=True)
class Change:
    """One recorded event with its journal entry and what the loan owes right after it."""

    event: ev.DomainEvent
    postings: list[Posting]
    outstanding: tuple[int, int, int, int]  # principal, interest, fees, penalties receivable
    business_date: date
    version: int
    recovered: int = 0  # all recoveries after the write-off, as of this event
    # what is paid toward the current schedule right after it (domain/schedule_standing.py),
    # for the events that can change it (payments, reversals, late fees); None otherwise
    paid_to_schedule: int | None = None


@dataclass
class LoanAccount:
    loan_id: str
    version: int = 0
    status: str = NEW
    contract: Contract | None = None
    terms: dict[str, Any] | None = None
    booking: dict[str, Any] = field(default_factory=dict)
    due: list[list[int]] = field(default_factory=list)
    paid: list[list[int]] = field(default_factory=list)
    due_total: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    paid_total: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    payments: dict[str, Payment] = field(default_factory=dict)
    seq: int = 0
    credit: int = 0
    cash_in: int = 0
    cash_out: int = 0
    recognized_interest: int = 0
    recognized_fees: int = 0  # scheduled fees recognised; late fees are in late_fees
    late_fees: int = 0
    penalties: int = 0
    withheld: int = 0
    written_off: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    waived: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    capitalized: list[int] = field(default_factory=lambda: [0, 0, 0, 0])
    restructures: list[dict[str, Any]] = field(default_factory=list)  # request, terms, base
    schedule_base: int = 0  # installments before the current schedule (settled at the cut)
    interest_base: int = 0  # interest recognised before the current schedule
    fees_base: int = 0  # scheduled fees recognised before the current schedule
    restructured_at: date | None = None
    restructure_seq: int = 0  # payments up to this seq came before the last restructure
    recoveries: int = 0
    payout_on: date | None = None  # the value date fixed before the payout was requested
    disbursed_on: date | None = None
    accrued_through: date | None = None
    closed_on: date | None = None
    late_fee_charged: set[int] = field(default_factory=set)
    late_fees_on: dict[int, int] = field(default_factory=dict)  # installment number -> fee
    # the payoff in force (PayoffAccepted): payment_id, removed, waived; None otherwise
    payoff: dict[str, Any] | None = None
    pending: list[Change] = field(default_factory=list)

    # ------------------------------------------------------------------ commands
    def book(
        self, *, terms: dict[str, Any], decision_id: str, offer_id: str, applicant_id: str,
        partner_id: str, booked_on: date, disbursement_method: str, disbursement_account: str,
    ) -> None:
        if self.status != NEW:
            if self.booking.get("decision_id") == decision_id:
                return  # the same acceptance again: already booked
            raise LoanAlreadyBookedError(f"loan {self.loan_id} is already booked")
        parse_contract(terms)  # refuse unserviceable terms before anything is recorded
        self._record(ev.LoanBooked(
            decision_id, offer_id, applicant_id, partner_id, booked_on.isoformat(), terms,
            disbursement_method, disbursement_account,
        ), booked_on)

    def request_payout(
        self, *, disbursement_id: str, value_date: date, tolerance: AprTolerance
    ) -> None:
        """Before the money goes out: fixes the payout's value date, once the APR recomputed
        on the schedule anchored to it is within ``tolerance`` of the disclosed APR. Beyond
        it the disbursement is refused (DisbursementFailed, not retryable): the borrower
        signed a disclosure that would be wrong. A loan whose payout was already requested
        keeps its date (a retry, a second replica, a day close since)."""
        if self.status != BOOKED or self.payout_on is not None:
            return
        c = self._booked()
        try:
            anchoring = anchor(self._current_terms(), value_date, tolerance)
        except InvalidContractError as exc:
            self._refuse_payout(disbursement_id, c, TERMS_NOT_ANCHORABLE, str(exc), value_date)
            return
        if not anchoring.within_tolerance:
            self._refuse_payout(disbursement_id, c, APR_OUTSIDE_TOLERANCE, anchoring.explain(),
                                value_date)
            return
        self._record(ev.PayoutRequested(
            disbursement_id, value_date.isoformat(), str(anchoring.disclosed_apr),
            str(anchoring.actual_apr), str(anchoring.tolerance),
        ), value_date)

    def _refuse_payout(self, disbursement_id: str, c: Contract, code: str, message: str,
                       on: date) -> None:
        self._record(ev.DisbursementFailed(
            disbursement_id, c.net_disbursement, code, message[:500], 1, False), on)

    def record_disbursement(
        self, *, disbursement_id: str, value_date: date, provider_reference: str
    ) -> None:
        """The money went out on ``value_date``: the schedule is anchored to it (the first
        period counts from the payout), and the loan is serviced on that from now."""
        if self.status in (ACTIVE, CLOSED, WRITTEN_OFF):
            return  # already disbursed: the provider's idempotency key made it one payout
        c = self._booked()
        try:
            terms: dict[str, Any] | None = anchored_terms(self._current_terms(), value_date)
        except InvalidContractError:
            terms = None  # paid already: the booked schedule stands (request_payout refuses
            # such terms before any payout, so only a direct call gets here)
        self._record(ev.LoanDisbursed(
            disbursement_id, c.net_disbursement, c.withheld_fees, value_date.isoformat(),
            self.booking["disbursement_method"], provider_reference, terms,
        ), value_date)

    def record_disbursement_failure(
        self, *, disbursement_id: str, failure_code: str, message: str, attempt: int,
        retryable: bool, on: date,
    ) -> None:
        if self.status != BOOKED:
            return
        c = self._booked()
        self._record(ev.DisbursementFailed(
            disbursement_id, c.net_disbursement, failure_code, message, attempt, retryable,
        ), on)

    def receive_payment(
        self, *, payment_id: str, amount: int, value_date: date, received_at: str, method: str,
        quote: QuotedPayoff | None = None,
    ) -> None:
        """Applies a payment. One made against a payoff ``quote`` first settles the loan on
        its value date when it meets the quote (domain/payoff.py); below it, or when the
        quote cannot hold, it is an ordinary payment and ``payoff_outcome`` says why."""
        self._booked()
        if amount <= 0:
            raise InvalidLoanStateError("a payment must be positive")
        if payment_id in self.payments:
            return  # the same payment again (a redelivery under another event id)
        if self.restructured_at is not None and value_date < self.restructured_at:
            raise InvalidLoanStateError(
                f"value_date: {value_date} is before the restructure of {self.restructured_at}")
        if self.status == WRITTEN_OFF:
            self._record(ev.RecoveryReceived(
                payment_id, amount, value_date.isoformat(), received_at, method), value_date)
            return
        outcome = None
        if quote is not None:
            outcome = self._settle_if_paid_off(payment_id, amount, value_date, quote)
        seq = self.seq + 1
        if self._is_backdated(value_date):
            plan = self._replan(extra=(payment_id, seq, amount, value_date))
            lines, over = plan.pop(payment_id)
            reallocations = self._reallocations(plan)
        else:
            lines, over = self._allocate_now(amount, value_date)
            reallocations = []
        settled = self._settled_by(lines, reallocations)
        waived = self.payoff["waived"] if outcome == SETTLED and self.payoff else []
        self._record(ev.PaymentApplied(
            payment_id, amount, value_date.isoformat(), received_at, method, lines, over,
            settled, reallocations, payoff_quote_id=quote.quote_id if quote else None,
            payoff_outcome=outcome, payoff_waived=sum(line[2] for line in waived),
        ), value_date)
        self._close_if_repaid(value_date)

    def reverse_payment(
        self, *, payment_id: str, reversal_id: str, reason: str, on: date,
        requested_by: str | None = None, approved_by: str | None = None,
    ) -> None:
        payment = self.payments.get(payment_id)
        if payment is None:
            raise UnknownPaymentError(f"loan {self.loan_id} has no payment {payment_id}")
        if payment.reversed:
            return
        if self.status == WRITTEN_OFF:
            raise InvalidLoanStateError("payments before a write-off cannot be reversed")
        if payment.seq <= self.restructure_seq:
            raise InvalidLoanStateError("payments before a restructure cannot be reversed")
        plan = self._replan(without=payment_id)
        if self.payoff is not None and (
                self.payoff["payment_id"] == payment_id or self._leaves_open(plan)):
            # the loan owes again: it is no longer paid off, so back to its full schedule
            p = self.payoff
            self._record(ev.PayoffWithdrawn(p["payment_id"], reversal_id, p["removed"],
                                            p["waived"]), on)
            plan = self._replan(without=payment_id)
        self._record(ev.PaymentReversed(
            payment_id, reversal_id, reason, on.isoformat(), payment.amount,
            [list(line) for line in payment.lines], payment.overpayment,
            self._reallocations(plan), requested_by=requested_by, approved_by=approved_by,
        ), on)

    def accrue(self, business_date: date) -> None:
        """Recognises income up to and including ``business_date``; charges late fees and
        penalty interest on overdue installments. Idempotent per date."""
        if self.status != ACTIVE or self.contract is None:
            return
        if self.accrued_through is not None and business_date <= self.accrued_through:
            return
        c = self.contract
        for k, row in enumerate(c.installments):
            if (
                c.late_fee is not None and (k + 1) not in self.late_fee_charged
                and (business_date - row.due_date).days > c.tolerance_days
                and self._open(k) > 0
            ):
                amount = self._late_fee(k)
                if amount > 0:
                    self._record(ev.FeeCharged(
                        f"{self.loan_id}:late:{k + 1}", "late_payment", amount,
                        business_date.isoformat(), k + 1,
                    ), business_date)
        since = self.accrued_through or c.start_date
        interest = max(0, self._interest_earned(business_date) - self.recognized_interest)
        fees = max(0, self._fees_due_by(business_date) - self.recognized_fees)
        penalties = self._penalties(since, business_date)
        if interest or fees or penalties:
            self._record(ev.InterestAccrued(
                business_date.isoformat(), (since + timedelta(days=1)).isoformat(),
                business_date.isoformat(), interest, fees, penalties,
            ), business_date)

    def restructure(self, r: RestructureRequest) -> None:
        """Books new terms from ``r.effective_date`` (see domain/restructure.py). The same
        request again is a no-op; an impossible one raises, naming the parameter."""
        if any(x["request_id"] == r.request_id for x in self.restructures):
            return
        if self.status != ACTIVE:
            raise InvalidLoanStateError(f"a {self.status} loan cannot be restructured")
        c = self._booked()
        last = self._last_posted()
        if r.effective_date < last:
            raise InvalidLoanStateError(
                f"effective_date: {r.effective_date} is before the last posted transaction "
                f"({last})")
        e = r.effective_date
        accrued_interest = max(0, self._interest_earned(e) - self.recognized_interest)
        accrued_fees = max(0, self._fees_due_by(e) - self.recognized_fees)
        owed = list(self.receivables())
        owed[INTEREST] += accrued_interest
        owed[FEE] += accrued_fees
        check_request(r, c, owed)
        settlement = r.kind == SETTLEMENT
        waived = waive_in_order(owed, sum(owed) - (r.settlement_amount or 0) if settlement
                                else r.waive_amount)
        left = [o - w for o, w in zip(owed, waived, strict=True)]
        arrears = [0, left[INTEREST], left[FEE], left[PENALTY]]
        capitalized = arrears if r.capitalize_arrears or settlement else [0, 0, 0, 0]
        carried = [0, 0, 0, 0] if capitalized is arrears else arrears
        remaining = sum(1 for row in c.installments[self.schedule_base:] if row.due_date > e)
        terms = new_terms(
            self._current_terms(), c, r, principal=left[PRINCIPAL] + sum(capitalized),
            remaining_installments=remaining,
            carried=(carried[INTEREST], carried[FEE], carried[PENALTY]),
        )
        self._record(ev.LoanRestructured(
            r.restructure_id, r.request_id, r.kind, e.isoformat(), accrued_interest,
            accrued_fees, owed, waived, capitalized, carried, terms,
        ), e)

    def write_off(
        self, *, write_off_id: str, request_id: str | None, effective_date: date, reason: str,
        days_past_due: int,
    ) -> None:
        """``days_past_due``: as servicing rates the loan on ``effective_date`` (servicing
        owns delinquency; the ledger keeps its DelinquencyChanged, never its own count)."""
        if self.status == WRITTEN_OFF:
            return
        if self.status != ACTIVE:
            raise InvalidLoanStateError(f"a {self.status} loan cannot be written off")
        amounts = list(self.receivables())
        self._record(ev.LoanWrittenOff(
            write_off_id, request_id, effective_date.isoformat(), amounts,
            days_past_due, reason,
        ), effective_date)

    # ------------------------------------------------------------------ queries
    def payoff_on(self, on: date) -> list[int]:
        """What settles the loan on ``on`` per component (principal, interest, fee,
        penalty), as a payment against a quote would (domain/payoff.py)."""
        c = self._booked()
        return owed_after(self.due, self.paid,
                          unearned(c, self.schedule_base, self.due, self.paid, on))

    def receivables(self) -> tuple[int, int, int, int]:
        """What the borrower owes now: principal outstanding, and interest, fees and
        penalties recognised and unpaid."""
        if self.disbursed_on is None:
            return (0, 0, 0, 0)
        w = self.written_off
        # a restructure resets the principal due, so waived or capitalised principal is
        # already out of due_total; interest, fees and penalties are kept as recognised
        gone = [w[k] + self.waived[k] + self.capitalized[k] for k in range(4)]
        return (
            self.due_total[PRINCIPAL] - self.paid_total[PRINCIPAL] - w[PRINCIPAL],
            self.recognized_interest - self.paid_total[INTEREST] - gone[INTEREST],
            self.recognized_fees + self.late_fees - self.paid_total[FEE] - gone[FEE],
            self.penalties - self.paid_total[PENALTY] - gone[PENALTY],
        )

    def position(self) -> dict[Account, int]:
        """This loan's balance in every account (debit positive); sums to zero."""
        p, i, f, pen = self.receivables()
        return {
            Account.SETTLEMENT_CASH: self.cash_in - self.cash_out,
            Account.PRINCIPAL_RECEIVABLE: p,
            Account.INTEREST_RECEIVABLE: i,
            Account.FEE_RECEIVABLE: f,
            Account.PENALTY_RECEIVABLE: pen,
            Account.BORROWER_CREDIT_BALANCES: -self.credit,
            Account.INTEREST_INCOME: -self.recognized_interest,
            Account.FEE_INCOME: -(self.recognized_fees + self.late_fees + self.withheld),
            Account.PENALTY_INCOME: -self.penalties,
            Account.RECOVERIES_INCOME: -self.recoveries,
            Account.WRITE_OFF_EXPENSE: sum(self.written_off),
            Account.WAIVER_EXPENSE: sum(self.waived),
        }

    def outstanding_total(self) -> int:
        """Everything still to pay under the schedule (scheduled interest included)."""
        return sum(self.due_total) - sum(self.paid_total)

    def carried(self) -> list[int]:
        """What the last restructure carried into its first installment, by component."""
        return list(self.restructures[-1]["carried"]) if self.restructures else [0, 0, 0, 0]

    def paid_to_schedule(self) -> int:
        """What is paid toward the current schedule as servicing counts it (oldest first)."""
        return paid_to_schedule(self._booked(), self.schedule_base, self.carried(),
                                self.paid, self.late_fees_on)

    def next_due(self) -> NextDue | None:
        """The first installment with anything unpaid, counting what is paid toward the
        schedule oldest first (servicing's rule); None once the loan is closed."""
        if self.contract is None or self.status == CLOSED:
            return None
        return next_due_of(self.contract, self.schedule_base, self.carried(),
                           self.paid_to_schedule())

    def total_paid(self) -> int:
        return sum(self.paid_total)

    # ------------------------------------------------------------------ internals
    def _booked(self) -> Contract:
        if self.contract is None:
            raise LoanNotBookedError(f"loan {self.loan_id} is not booked")
        return self.contract

    def _current_terms(self) -> dict[str, Any]:
        assert self.terms is not None
        return self.restructures[-1]["new_terms"] if self.restructures else self.terms

    def _last_posted(self) -> date:
        dates = [d for d in (self.disbursed_on, self.accrued_through, self.restructured_at)
                 if d is not None]
        dates.extend(p.value_date for p in self.payments.values())
        return max(dates)

    def _open(self, k: int) -> int:
        return sum(self.due[k]) - sum(self.paid[k])

    def _record(self, event: ev.DomainEvent, on: date) -> None:
        before = self.position()
        self._apply(event)
        self.version += 1
        after = self.position()
        if min(self.receivables()) < 0 or self.credit < 0:
            raise NegativeBalanceError(f"{event.type} left a negative balance on {self.loan_id}")
        paid = self.paid_to_schedule() if event.type in _CHANGE_WHAT_IS_PAID else None
        self.pending.append(
            Change(event, difference(before, after), self.receivables(), on, self.version,
                   self.recoveries, paid)
        )

    def _is_backdated(self, value_date: date) -> bool:
        return any(not p.reversed and p.value_date > value_date and p.seq > self.restructure_seq
                   for p in self.payments.values())

    def _allocate_now(self, amount: int, value_date: date) -> tuple[list[list[int]], int]:
        c = self._booked()
        if self.disbursed_on is None:
            return [], amount  # nothing is owed before the payout: all of it is credit
        paid = [list(row) for row in self.paid]
        return allocate(amount, value_date, [r.due_date for r in c.installments], self.due,
                        paid, c.allocation_order)

    def _replan(
        self, *, extra: tuple[str, int, int, date] | None = None, without: str | None = None
    ) -> dict[str, tuple[list[list[int]], int]]:
        """Every live payment's split, re-computed from nothing in value-date order."""
        c = self._booked()
        # payments before the last restructure are final: the installments they paid were
        # closed at what they had paid, so the re-play starts from there
        live = [(p.value_date, p.seq, p.payment_id, p.amount) for p in self.payments.values()
                if not p.reversed and p.payment_id != without and p.seq > self.restructure_seq]
        if extra is not None:
            payment_id, seq, amount, value_date = extra
            live.append((value_date, seq, payment_id, amount))
        base = self.schedule_base
        paid = [list(row) if k < base else [0, 0, 0, 0] for k, row in enumerate(self.due)]
        due_dates = [r.due_date for r in c.installments]
        plan: dict[str, tuple[list[list[int]], int]] = {}
        for value_date, _seq, payment_id, amount in sorted(live):
            if self.disbursed_on is None:
                plan[payment_id] = ([], amount)
            else:
                plan[payment_id] = allocate(amount, value_date, due_dates, self.due, paid,
                                            c.allocation_order)
        return plan

    def _reallocations(
        self, plan: dict[str, tuple[list[list[int]], int]]
    ) -> list[dict[str, Any]]:
        changed = []
        for payment_id, (lines, over) in plan.items():
            p = self.payments[payment_id]
            if _canonical(p.lines) != _canonical(lines) or p.overpayment != over:
                changed.append(ev.Reallocation(
                    payment_id, [list(x) for x in p.lines], p.overpayment, lines, over,
                ).__dict__)
        return changed

    def _settled_by(
        self, lines: list[list[int]], reallocations: list[dict[str, Any]]
    ) -> list[int]:
        delta: dict[int, int] = {}
        for n, _c, amount in lines:
            delta[n] = delta.get(n, 0) + amount
        for r in reallocations:
            for n, _c, amount in r["lines"]:
                delta[n] = delta.get(n, 0) + amount
            for n, _c, amount in r["previous_lines"]:
                delta[n] = delta.get(n, 0) - amount
        return sorted(n for n, d in delta.items() if d > 0 and self._open(n - 1) == d)

    def _settle_if_paid_off(
        self, payment_id: str, amount: int, on: date, quote: QuotedPayoff
    ) -> str:
        """Records PayoffAccepted when ``amount`` settles the loan on ``on`` under
        ``quote``; returns the outcome either way."""
        if self.status != ACTIVE:
            return LOAN_NOT_ACTIVE
        if amount < quote.total:
            return BELOW_QUOTE
        if on > quote.valid_until:
            return QUOTE_EXPIRED
        c = self._booked()
        removed = unearned(c, self.schedule_base, self.due, self.paid, on)
        owed = owed_after(self.due, self.paid, removed)
        shortfall = sum(owed) - amount
        if shortfall > binding_allowance(owed, quote):
            return PRINCIPAL_ABOVE_QUOTE
        waived = waiver_lines(self.due, self.paid, removed, max(0, shortfall))
        _p, interest, fees, _pen = self.receivables()
        self._record(ev.PayoffAccepted(
            payment_id, quote.quote_id, on.isoformat(), quote.total, owed,
            owed[INTEREST] - interest, owed[FEE] - fees, removed, waived,
        ), on)
        return SETTLED

    def _leaves_open(self, plan: dict[str, tuple[list[list[int]], int]]) -> bool:
        """Whether the payments of ``plan`` leave any of the schedule unpaid."""
        allocated = sum(line[2] for lines, _over in plan.values() for line in lines)
        base = self.schedule_base
        return sum(sum(row) for row in self.due[base:]) > allocated

    def _close_if_repaid(self, on: date) -> None:
        c = self.contract
        if self.status == ACTIVE and c is not None and self.outstanding_total() == 0:
            reason = "repaid" if on >= c.maturity_date else "prepaid"
            if self.restructures and self.restructures[-1]["kind"] == SETTLEMENT:
                reason = "settled"
            self._record(ev.LoanClosed(on.isoformat(), reason, self.total_paid()), on)

    def _interest_earned(self, as_of: date) -> int:
        """Scheduled interest earned by the end of ``as_of``: whole past periods, and the
        running period pro rata on the day count (rounded with the contract's rule; at the
        due date the whole period's interest, so the days add up exactly)."""
        c = self._booked()
        earned = self.interest_base
        for row in c.installments[self.schedule_base:]:
            earned += earned_part(c, row.interest, row.starts, row.due_date, as_of)
            if as_of < row.due_date:
                break
        return earned

    def _fees_due_by(self, as_of: date) -> int:
        c = self._booked()
        return self.fees_base + sum(r.fee for r in c.installments[self.schedule_base:]
                                    if r.due_date <= as_of)

    def _penalties(self, since: date, until: date) -> list[list[int]]:
        c = self._booked()
        rule = c.penalty
        if rule is None or not rule.annual_rate:
            return []
        room = None if rule.cap is None else rule.cap - self.penalties
        out = []
        for k, row in enumerate(c.installments):
            start = max(since, row.due_date + timedelta(days=rule.grace_days))
            if start >= until:
                continue
            base = self.due[k][PRINCIPAL] - self.paid[k][PRINCIPAL]
            if not rule.on_principal_only:
                base = sum(self.due[k][:PENALTY]) - sum(self.paid[k][:PENALTY])
            if base <= 0:
                continue
            amount = round_minor(Decimal(base) * rule.annual_rate * c.fraction(start, until),
                                 c.rounding)
            if room is not None:
                amount = min(amount, room)
                room -= amount
            if amount > 0:
                out.append([k + 1, amount])
        return out

    def _late_fee(self, k: int) -> int:
        c = self._booked()
        rule = c.late_fee
        assert rule is not None
        if rule.flat is not None:
            return rule.flat
        if rule.on_principal_only:
            base = self.due[k][PRINCIPAL] - self.paid[k][PRINCIPAL]
        else:
            base = sum(self.due[k][:PENALTY]) - sum(self.paid[k][:PENALTY])
        return round_minor(Decimal(base) * (rule.rate or Decimal(0)), c.rounding)

    # ------------------------------------------------------------------ state changes
    def _apply(self, event: ev.DomainEvent) -> None:
        getattr(self, "_when_" + event.type)(event)

    def apply_stored(self, type_: str, data: dict[str, Any], version: int) -> None:
        """Replays one stored event (loading, rebuilding)."""
        _APPLY[type_](self, ev.event_from(type_, data))
        self.version = version

    def _service_on(self, terms: dict[str, Any]) -> None:
        c = parse_contract(terms)
        self.contract, self.terms = c, terms
        self.due = [[r.principal, r.interest, r.fee, 0] for r in c.installments]
        self.paid = [[0, 0, 0, 0] for _ in c.installments]
        self.due_total = [sum(column) for column in zip(*self.due, strict=True)]

    def _when_LoanBooked(self, e: ev.LoanBooked) -> None:
        self._service_on(e.terms)
        self.status = BOOKED
        self.booking = {
            "decision_id": e.decision_id, "offer_id": e.offer_id,
            "applicant_id": e.applicant_id, "partner_id": e.partner_id,
            "booked_on": e.booked_on, "disbursement_method": e.disbursement_method,
            "disbursement_account": e.disbursement_account,
        }

    def _when_PayoutRequested(self, e: ev.PayoutRequested) -> None:
        self.payout_on = date.fromisoformat(e.value_date)

    def _when_LoanDisbursed(self, e: ev.LoanDisbursed) -> None:
        if e.terms is not None and e.terms != self.terms:
            # nothing is allocated before the payout (payments wait as credit), so the
            # anchored schedule starts with nothing paid, as the booked one did
            self._service_on(e.terms)
        self.status = ACTIVE
        self.disbursed_on = date.fromisoformat(e.value_date)
        self.cash_out += e.amount
        self.withheld = e.fees_withheld

    def _when_DisbursementFailed(self, e: ev.DisbursementFailed) -> None:
        self.status = DISBURSEMENT_FAILED

    def _add_lines(self, lines: list[list[int]], sign: int) -> None:
        for n, component, amount in lines:
            self.paid[n - 1][component] += sign * amount
            self.paid_total[component] += sign * amount

    def _recognize_paid(self) -> None:
        # interest or scheduled fees paid before their accrual are recognised when paid
        other = [self.waived[k] + self.capitalized[k] for k in range(4)]
        self.recognized_interest = max(self.recognized_interest,
                                       self.paid_total[INTEREST] + other[INTEREST])
        self.recognized_fees = max(self.recognized_fees,
                                   self.paid_total[FEE] + other[FEE] - self.late_fees)

    def _reallocate(self, reallocations: list[dict[str, Any]]) -> None:
        for r in reallocations:
            payment = self.payments[r["payment_id"]]
            self._add_lines(r["previous_lines"], -1)
            self._add_lines(r["lines"], +1)
            self.credit += r["overpayment"] - r["previous_overpayment"]
            payment.lines, payment.overpayment = r["lines"], r["overpayment"]

    def _when_PaymentApplied(self, e: ev.PaymentApplied) -> None:
        self.seq += 1
        value_date = date.fromisoformat(e.value_date)
        self.payments[e.payment_id] = Payment(
            e.payment_id, self.seq, e.amount, value_date, e.lines, e.overpayment)
        self.cash_in += e.amount
        self.credit += e.overpayment
        self._add_lines(e.lines, +1)
        self._reallocate(e.reallocations)
        self._recognize_paid()
        if self.status == CLOSED and self.outstanding_total() > 0:
            self.status, self.closed_on = ACTIVE, None

    def _when_PaymentReversed(self, e: ev.PaymentReversed) -> None:
        payment = self.payments[e.payment_id]
        payment.reversed = True
        self.cash_out += e.amount
        self.credit -= e.overpayment
        self._add_lines(e.lines, -1)
        self._reallocate(e.reallocations)
        self._recognize_paid()
        if self.status == CLOSED and self.outstanding_total() > 0:
            self.status, self.closed_on = ACTIVE, None

    def _when_RecoveryReceived(self, e: ev.RecoveryReceived) -> None:
        self.seq += 1
        self.payments[e.payment_id] = Payment(
            e.payment_id, self.seq, e.amount, date.fromisoformat(e.value_date), [], 0)
        self.cash_in += e.amount
        self.recoveries += e.amount

    def _when_InterestAccrued(self, e: ev.InterestAccrued) -> None:
        self.recognized_interest += e.interest
        self.recognized_fees += e.fees
        for n, amount in e.penalties:
            self.due[n - 1][PENALTY] += amount
            self.due_total[PENALTY] += amount
            self.penalties += amount
        self.accrued_through = date.fromisoformat(e.accrued_to)

    def _when_FeeCharged(self, e: ev.FeeCharged) -> None:
        self.due[e.installment_number - 1][FEE] += e.amount
        self.due_total[FEE] += e.amount
        self.late_fees += e.amount
        self.late_fee_charged.add(e.installment_number)
        n = e.installment_number
        self.late_fees_on[n] = self.late_fees_on.get(n, 0) + e.amount

    def _when_LoanRestructured(self, e: ev.LoanRestructured) -> None:
        assert self.contract is not None
        on = date.fromisoformat(e.effective_date)
        self.recognized_interest += e.accrued_interest
        self.recognized_fees += e.accrued_fees
        for k in range(4):
            self.waived[k] += e.waived[k]
            self.capitalized[k] += e.capitalized[k]
        base = len(self.due)
        self.contract = restructured_contract(self.contract, e.new_terms, e.carried, base)
        self.due = [list(row) for row in self.paid]  # the old installments end as paid
        for row in self.contract.installments[base:]:
            self.due.append([row.principal, row.interest, row.fee, 0])
            self.paid.append([0, 0, 0, 0])
        for k in (INTEREST, FEE, PENALTY):
            self.due[base][k] += e.carried[k]
        self.due_total = [sum(column) for column in zip(*self.due, strict=True)]
        self.schedule_base = base
        self.interest_base, self.fees_base = self.recognized_interest, self.recognized_fees
        self.accrued_through = max(self.accrued_through or on, on)
        self.restructured_at, self.restructure_seq = on, self.seq
        self.restructures.append({"request_id": e.request_id, "kind": e.kind, "base": base,
                                  "carried": e.carried, "new_terms": e.new_terms})

    def _when_LoanWrittenOff(self, e: ev.LoanWrittenOff) -> None:
        self.written_off = list(e.amounts)
        self.status = WRITTEN_OFF

    def _change_due(self, lines: list[list[int]], sign: int) -> None:
        for n, component, amount in lines:
            self.due[n - 1][component] += sign * amount
            self.due_total[component] += sign * amount

    def _when_PayoffAccepted(self, e: ev.PayoffAccepted) -> None:
        self.recognized_interest += e.accrued_interest
        self.recognized_fees += e.accrued_fees
        self._change_due(e.removed, -1)
        self._change_due(e.waived, -1)
        for _n, component, amount in e.waived:
            self.waived[component] += amount
        self.payoff = {"payment_id": e.payment_id, "removed": e.removed, "waived": e.waived}

    def _when_PayoffWithdrawn(self, e: ev.PayoffWithdrawn) -> None:
        self._change_due(e.restored, +1)
        self._change_due(e.unwaived, +1)
        for _n, component, amount in e.unwaived:
            self.waived[component] -= amount
        self.payoff = None

    def _when_LoanClosed(self, e: ev.LoanClosed) -> None:
        self.status = CLOSED
        self.closed_on = date.fromisoformat(e.closed_on)


_APPLY = {type_: getattr(LoanAccount, "_when_" + type_) for type_ in ev.EVENT_TYPES}
# a late fee changes it too: a fee paid on an installment pays its late fee first
_CHANGE_WHAT_IS_PAID = frozenset({"PaymentApplied", "PaymentReversed", "FeeCharged"})


def _canonical(lines: list[list[int]]) -> list[tuple[int, ...]]:
    return sorted(tuple(x) for x in lines)
