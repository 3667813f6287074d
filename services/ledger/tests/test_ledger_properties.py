"""Properties of the loan account for any sequence of payments, backdated payments,
duplicates, reversals, accruals, restructures (reschedules, rate changes, capitalised or
carried arrears, waivers, settlements), payoffs against quotes (met, short, late, after
charges the quote did not know), write-offs and recoveries after them (payments that
arrive once the loan is written off): every entry balances, a closed loan owes nothing,
the journal equals the loan's position, no component goes negative, the payments' splits
add up to what was received, and replaying the events (or restoring a snapshot) gives the
identical state."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from hypothesis import event, given, settings
from hypothesis import strategies as st

from lending_ledger.domain.accounts import Account, check_balanced
from lending_ledger.domain.errors import InvalidLoanStateError
from lending_ledger.domain.loan_account import CLOSED, LoanAccount
from lending_ledger.domain.payoff import QuotedPayoff
from lending_ledger.domain.restructure import RestructureRequest
from lending_ledger.domain.snapshots import restore, snapshot
from lending_ledger.testing import built_terms, disbursed, sample_terms

START = date(2025, 1, 15)

TERMS = [
    sample_terms(),
    built_terms("1200.00", "0.18", 6),
    built_terms("500.00", "0.30", 8, frequency="weekly"),
    built_terms("3000.00", "0", 3),
]

payment = st.tuples(st.just("pay"), st.integers(1, 60_000), st.integers(0, 200))
reversal = st.tuples(st.just("reverse"), st.integers(0, 50), st.integers(0, 200))
accrual = st.tuples(st.just("accrue"), st.integers(0, 0), st.integers(1, 40))
duplicate = st.tuples(st.just("again"), st.integers(0, 50), st.integers(0, 0))
write_off = st.tuples(st.just("write_off"), st.integers(0, 0), st.integers(0, 0))
restructure = st.tuples(st.just("restructure"), st.integers(0, 10**6), st.integers(0, 60))
quote = st.tuples(st.just("quote"), st.integers(0, 0), st.integers(0, 200))
payoff = st.tuples(st.just("payoff"), st.integers(0, 10**6), st.integers(0, 10))
operation = st.one_of(payment, payment, reversal, accrual, accrual, duplicate, write_off,
                      restructure, quote, payoff)
KINDS = ("reschedule", "restructure", "settlement")


def restructure_request(account: LoanAccount, n: int, a: int, b: int,
                        on: date) -> RestructureRequest:
    """A request drawn from two integers: kind, count, capitalisation, waiver, rate, holiday."""
    owed = sum(account.receivables())
    kind = KINDS[a % 3]
    return RestructureRequest(
        restructure_id=f"rst{n}", request_id=f"rr{n}", kind=kind, effective_date=on,
        currency="EUR", new_installment_count=(a // 3) % 7 + 1 if a % 5 else None,
        new_annual_rate=Decimal(a % 25) / 100 if kind == "restructure" else None,
        first_due_date=on + timedelta(days=b + 1) if b % 2 else None,
        capitalize_arrears=bool(a % 2), waive_amount=owed * (a % 7) // 20 if kind != "settlement"
        else 0,
        settlement_amount=max(1, owed * (30 + a % 70) // 100) if kind == "settlement" else None,
    )


def run(terms_index: int, ops: list[tuple[str, int, int]]) -> LoanAccount:
    account = disbursed(TERMS[terms_index])
    today = START
    paid: list[tuple[str, int, date]] = []
    quotes: list[tuple[QuotedPayoff, date]] = []
    for n, (kind, a, b) in enumerate(ops):
        try:
            if kind == "pay":
                value_date = START + timedelta(days=b)
                account.receive_payment(payment_id=f"p{n}", amount=a, value_date=value_date,
                                        received_at="2025-01-01T00:00:00Z", method="card")
                paid.append((f"p{n}", a, value_date))
            elif kind == "again" and paid:
                pid, amount, value_date = paid[a % len(paid)]
                account.receive_payment(payment_id=pid, amount=amount, value_date=value_date,
                                        received_at="2025-01-01T00:00:00Z", method="card")
            elif kind == "reverse" and paid:
                pid = paid[a % len(paid)][0]
                account.reverse_payment(payment_id=pid, reversal_id=f"r{n}", reason="bounced",
                                        on=today)
            elif kind == "accrue":
                today += timedelta(days=b)
                account.accrue(today)
            elif kind == "restructure":
                latest = max([today, *(d for _p, _a, d in paid)])
                on = latest + timedelta(days=b % 10)
                account.restructure(restructure_request(account, n, a, b, on))
            elif kind == "quote" and account.status == "active":
                as_of = START + timedelta(days=b)
                owed = account.payoff_on(as_of + timedelta(days=7))
                quotes.append((QuotedPayoff(f"q{n}", sum(owed), owed[0],
                                            as_of + timedelta(days=7)), as_of))
            elif kind == "payoff" and quotes:
                q, as_of = quotes[a % len(quotes)]
                value_date = as_of + timedelta(days=b)  # up to 3 days after the quote ends
                amount = q.total + (-1, 0, 0, 250)[a % 4]
                account.receive_payment(payment_id=f"p{n}", amount=amount, value_date=value_date,
                                        received_at="2025-01-01T00:00:00Z", method="card",
                                        quote=q)
                paid.append((f"p{n}", amount, value_date))
            elif kind == "write_off":
                account.write_off(write_off_id=f"wo{n}", request_id=None, effective_date=today,
                                  reason="policy_dpd_reached", days_past_due=0)
        except InvalidLoanStateError:
            pass  # refusals are fine; a refused command records nothing
    return account


@settings(deadline=None, max_examples=300)
@given(st.integers(0, len(TERMS) - 1), st.lists(operation, max_size=25))
def test_every_history_balances_replays_identically_and_never_goes_negative(terms_index, ops):
    account = run(terms_index, ops)
    for change in account.pending:
        event(change.event.type)

    journal: dict[Account, int] = {}
    for change in account.pending:
        check_balanced(change.postings, change.event.type)
        for p in change.postings:
            journal[p.account] = journal.get(p.account, 0) + p.amount
    position = account.position()
    assert sum(position.values()) == 0
    assert {a: v for a, v in position.items() if v} == {a: v for a, v in journal.items() if v}

    assert min(account.receivables()) >= 0 and account.credit >= 0
    if account.status == CLOSED:
        assert account.receivables() == (0, 0, 0, 0) and account.outstanding_total() == 0
    for k in range(len(account.due)):
        for component in range(4):
            assert 0 <= account.paid[k][component] <= account.due[k][component]

    live = [p for p in account.payments.values() if not p.reversed]
    allocations = [p for p in live if p.lines or p.overpayment]
    assert sum(line[2] for p in allocations for line in p.lines) + account.credit == sum(
        p.amount for p in allocations
    )
    assert sum(p.amount for p in live) == account.cash_in - sum(
        p.amount for p in account.payments.values() if p.reversed
    )
    recovered = [p for p in live if not p.lines and not p.overpayment]
    assert account.recoveries == sum(p.amount for p in recovered)
    assert position[Account.WAIVER_EXPENSE] == sum(account.waived)
    assert all(v >= 0 for v in account.waived + account.capitalized)

    fresh = LoanAccount(account.loan_id)
    for version, change in enumerate(account.pending, start=1):
        fresh.apply_stored(change.event.type, change.event.to_data(), version)
    assert snapshot(fresh) == snapshot(account)
    assert snapshot(restore(snapshot(account))) == snapshot(account)


@settings(deadline=None, max_examples=150)
@given(st.integers(0, len(TERMS) - 1),
       st.lists(st.tuples(st.integers(1, 40_000), st.integers(0, 200)), min_size=1, max_size=8),
       st.randoms(use_true_random=False))
def test_the_split_does_not_depend_on_the_order_payments_arrive_in(terms_index, pays, rnd):
    """Backdated payments re-play in value-date order, so any arrival order ends the same."""
    def apply(order: list[int]) -> LoanAccount:
        account = disbursed(TERMS[terms_index])
        for i in order:
            amount, day = pays[i]
            account.receive_payment(payment_id=f"p{i}", amount=amount,
                                    value_date=START + timedelta(days=day),
                                    received_at="2025-01-01T00:00:00Z", method="card")
        return account

    in_order = sorted(range(len(pays)), key=lambda i: (pays[i][1], i))
    shuffled = list(in_order)
    rnd.shuffle(shuffled)
    a, b = apply(in_order), apply(shuffled)
    assert a.paid == b.paid and a.credit == b.credit and a.status == b.status


@settings(deadline=None, max_examples=150)
@given(st.integers(0, len(TERMS) - 1),
       st.lists(st.tuples(st.integers(1, 40_000), st.integers(0, 120)), max_size=4),
       st.integers(0, 90), st.integers(0, 10**6), st.integers(0, 60))
def test_paying_the_published_new_schedule_settles_a_restructured_loan(
    terms_index, pays, accrue_days, a, b
):
    """Whatever was owed and however it was restructured, the schedule LoanRestructured
    publishes (carried arrears included) is exactly what is left to pay."""
    from lending_events.ledger import LoanRestructured
    from lending_ledger.service_layer.integration import integration_events

    account = disbursed(TERMS[terms_index])
    for n, (amount, day) in enumerate(pays):
        account.receive_payment(payment_id=f"p{n}", amount=amount,
                                value_date=START + timedelta(days=day),
                                received_at="2025-01-01T00:00:00Z", method="card")
    if account.status != "active":
        return
    today = START + timedelta(days=max([accrue_days, *(d for _a, d in pays)]))
    account.accrue(today)
    try:
        account.restructure(restructure_request(account, 0, a, b, today))
    except InvalidLoanStateError:
        return
    (published,) = integration_events(account, account.pending[-1])
    assert isinstance(published, LoanRestructured)
    assert published.outstanding is not None
    schedule_total = sum(row.total for row in published.new_terms.schedule)
    owed = published.outstanding.total
    assert schedule_total >= owed  # the rest is interest not yet earned
    for n, row in enumerate(published.new_terms.schedule):
        account.accrue(row.due_date)
        account.receive_payment(payment_id=f"n{n}", amount=int(row.total * 100),
                                value_date=row.due_date,
                                received_at="2025-01-01T00:00:00Z", method="card")
    assert account.status == "closed"
    assert account.receivables() == (0, 0, 0, 0) and account.credit == 0
    assert sum(account.position().values()) == 0
