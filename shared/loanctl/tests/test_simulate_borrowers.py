"""The simulated borrowers: who they are and what they mean to pay follow from the seed."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from loanctl.simulate.behaviour import Behaviour, MixError, draw_borrower, parse_mix
from loanctl.simulate.book import Due, SimLoan
from loanctl.simulate.keys import Actor
from loanctl.simulate.population import Product, application_for
from loanctl.simulate.repayment import Kind, intents

PRODUCT = Product("personal-credit", "personal_credit", "individual", "CNY", Decimal(1000),
                  Decimal(50000), "month", 3, 36, ("monthly",), ("none",),
                  ("id_card", "income_proof"))


def test_a_mix_is_normalised_and_names_what_it_refuses():
    assert parse_mix("on_time=3,late=1") == {Behaviour.ON_TIME: 0.75, Behaviour.LATE: 0.25}
    with pytest.raises(MixError, match="unknown behaviour 'sloppy'"):
        parse_mix("sloppy=1")
    with pytest.raises(MixError, match="late"):
        parse_mix("late=-1")
    with pytest.raises(MixError, match="more than zero"):
        parse_mix("late=0")


def test_the_same_seed_draws_the_same_borrowers_and_their_behaviours_follow_the_mix():
    mix = parse_mix("on_time=0.6,late=0.2,partial=0.05,early_settle=0.05,default=0.1")
    first = [draw_borrower(7, n, mix) for n in range(2000)]
    assert first == [draw_borrower(7, n, mix) for n in range(2000)]
    assert first != [draw_borrower(8, n, mix) for n in range(2000)]
    shares = Counter(b.behaviour for b in first)
    assert 0.55 < shares[Behaviour.ON_TIME] / 2000 < 0.65
    assert 0.07 < shares[Behaviour.DEFAULT] / 2000 < 0.13
    assert Behaviour.PREPAY not in shares  # left out of the mix: none


def test_an_application_is_the_same_for_the_same_borrower_and_fits_its_product():
    today = date(2027, 3, 1)
    body = application_for(7, 42, PRODUCT, today)
    assert body == application_for(7, 42, PRODUCT, today)
    amount = Decimal(body["requested"]["amount"])
    assert PRODUCT.amount_min <= amount <= PRODUCT.amount_max
    assert PRODUCT.term_min <= body["requested"]["term"] <= PRODUCT.term_max
    assert [d["type"] for d in body["documents"]] == list(PRODUCT.required_documents)


def _loan(behaviour: Behaviour, **changes: Any) -> SimLoan:
    borrower = replace(draw_borrower(1, 1, {behaviour: 1.0}), **changes)
    start = date(2027, 1, 1)
    loan = SimLoan(borrower, "personal-credit", Actor("p", "p", "k"), "app-1", start)
    loan.disbursed_on = start
    loan.schedule = [Due(n, start + timedelta(days=30 * n), Decimal(100)) for n in range(1, 7)]
    return loan


def test_an_on_time_borrower_pays_what_is_due_on_each_due_date_and_nothing_between():
    loan = _loan(Behaviour.ON_TIME)
    assert intents(loan, date(2027, 1, 30)) == []
    assert [i.kind for i in intents(loan, date(2027, 1, 31))] == [Kind.DUE]
    assert intents(loan, date(2027, 2, 1)) == []


def test_a_late_borrower_pays_days_after_the_due_date():
    loan = _loan(Behaviour.LATE, days_late=5)
    assert intents(loan, date(2027, 2, 4)) == []
    assert [i.kind for i in intents(loan, date(2027, 2, 5))] == [Kind.DUE]


def test_a_defaulter_stops_after_the_installments_they_pay():
    loan = _loan(Behaviour.DEFAULT, stop_after=1)
    assert [i.kind for i in intents(loan, date(2027, 1, 31))] == [Kind.DUE]
    assert intents(loan, date(2027, 3, 2)) == []


def test_a_promise_kept_is_paid_on_its_date_once():
    loan = _loan(Behaviour.DEFAULT, stop_after=0)
    loan.promises[date(2027, 2, 10)] = Decimal("55.00")
    assert [(i.kind, i.amount) for i in intents(loan, date(2027, 2, 10))] == [
        (Kind.PROMISED, Decimal("55.00"))]
    assert intents(loan, date(2027, 2, 11)) == []


def test_an_early_settler_asks_for_a_payoff_a_week_before_the_next_installment():
    loan = _loan(Behaviour.EARLY_SETTLE, settle_after=2)
    for day in (date(2027, 1, 31), date(2027, 3, 2)):
        assert [i.kind for i in intents(loan, day)] == [Kind.DUE]
    assert intents(loan, date(2027, 3, 24)) == []
    assert [i.kind for i in intents(loan, date(2027, 3, 25))] == [Kind.SETTLE]


def test_a_restructured_borrower_keeps_to_the_new_schedule():
    loan = _loan(Behaviour.DEFAULT, stop_after=0)
    loan.restructured = True
    assert [i.kind for i in intents(loan, date(2027, 1, 31))] == [Kind.DUE]


def test_a_short_chaos_run_kills_every_kind_once_and_a_long_one_twice():
    from collections import Counter

    from loanctl.simulate.chaos import KINDS, plan_kills

    short, long = Counter(k.kind for k in plan_kills(11, 21)), Counter(
        k.kind for k in plan_kills(11, 120))
    assert short == dict.fromkeys(KINDS, 1)
    assert long == dict.fromkeys(KINDS, 2)
    assert all(1 <= k.day < 21 for k in plan_kills(11, 21))
