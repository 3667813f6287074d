"""Payoff quotes, the pure rules: the ledger's payoff rule on servicing's projection, quote
ids that prove themselves, and a closed loan owing nothing in its schedule."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from lending_platform.signing import new_signing_key
from lending_servicing.config import DEV_PAYOFF_QUOTE_KEY, Settings
from lending_servicing.domain.calendar import BusinessCalendar
from lending_servicing.domain.payoff import LoanBalances, payoff_on
from lending_servicing.domain.quote_token import (
    InvalidQuoteIdError,
    SignedQuote,
    sign,
    verify,
)
from lending_servicing.domain.schedule import (
    ArrearsRule,
    InstallmentStatus,
    ScheduledInstallment,
    days_past_due,
    standing,
    track,
)

# 900.00 in three monthly installments of 300.00 + 10.00 interest, act/365f, from 15 Jan
SCHEDULE = [ScheduledInstallment(1, date(2025, 2, 15), 30_000, 1_000, 0),
            ScheduledInstallment(2, date(2025, 3, 15), 30_000, 1_000, 0),
            ScheduledInstallment(3, date(2025, 4, 15), 30_000, 1_000, 0)]
LOAN = LoanBalances(start_date=date(2025, 1, 15), day_count="act/365f", rounding="half_even",
                    schedule=SCHEDULE, paid_to_schedule=0, principal_outstanding=90_000,
                    charged_fees_unpaid=0, penalties_outstanding=0)
KEY = b"k" * 32


def test_a_payoff_earns_the_running_period_s_scheduled_interest_pro_rata_as_the_ledger_does():
    quote = payoff_on(LOAN, date(2025, 2, 8))
    # 24 of the period's 31 days of its 10.00: 7.741..., half-even; nothing of #2 and #3
    assert (quote.principal, quote.interest, quote.total) == (90_000, 774, 90_774)
    assert quote.per_diem == 806 - 774  # 25/31 of 10.00, less 24/31
    after_first = payoff_on(LOAN, date(2025, 2, 25))  # #1's interest unpaid, #2 10 of 28 days
    assert after_first.interest == 1_000 + 357


def test_principal_paid_ahead_keeps_the_interest_paid_with_it_and_owes_no_more():
    # #1 paid, then 15.00 ahead: #2's 10.00 interest (recognised when paid) and 5.00 principal
    loan = replace(LOAN, paid_to_schedule=31_000 + 1_500, principal_outstanding=59_500)
    quote = payoff_on(loan, date(2025, 2, 25))
    assert (quote.principal, quote.interest, quote.fees) == (59_500, 0, 0)


def test_late_fees_and_penalties_the_ledger_reports_are_part_of_the_payoff():
    loan = replace(LOAN, charged_fees_unpaid=1_550, penalties_outstanding=42)
    quote = payoff_on(loan, date(2025, 2, 25))
    assert (quote.fees, quote.penalties) == (1_550, 42)
    assert quote.total == 90_000 + 1_357 + 1_550 + 42


def test_a_restructure_s_carried_interest_is_earned_in_full_and_its_penalties_counted_once():
    # the first new installment carries 4.00 interest, 2.00 fees and 1.00 penalties
    schedule = [ScheduledInstallment(1, date(2025, 4, 1), 45_000, 400 + 450, 300),
                ScheduledInstallment(2, date(2025, 5, 1), 45_000, 450, 0)]
    loan = replace(LOAN, start_date=date(2025, 3, 1), schedule=schedule,
                   principal_outstanding=90_000, penalties_outstanding=100,
                   carried_interest=400, carried_fees=200, carried_penalties=100)
    quote = payoff_on(loan, date(2025, 3, 1))  # the day of the cut: nothing new earned yet
    assert (quote.principal, quote.interest, quote.fees, quote.penalties) == (
        90_000, 400, 200, 100)


def test_a_quote_id_carries_its_figures_and_fails_for_another_loan_key_or_figure():
    quote = SignedQuote("loan-1", date(2025, 2, 1), date(2025, 2, 8), 90_000, 90_774)
    quote_id = sign(quote, KEY)
    assert len(quote_id) == 60 and quote_id.startswith("pq1-")
    assert verify(quote_id, "loan-1", KEY) == quote
    for loan_id, key, text in [("loan-2", KEY, quote_id), ("loan-1", b"x" * 32, quote_id),
                               ("loan-1", KEY, quote_id[:-1] + "a" if quote_id[-1] != "a"
                                else quote_id[:-1] + "b"),
                               ("loan-1", KEY, "pq-unknown")]:
        with pytest.raises(InvalidQuoteIdError):
            verify(text, loan_id, key)


def test_the_development_quote_key_is_refused_outside_development():
    Settings(environment="development")  # the default key is fine here
    with pytest.raises(ValueError, match="SERVICING_PAYOFF_QUOTE_KEY"):
        Settings(environment="production")
    Settings(environment="production", payoff_quote_key="p" * 32,
             credential_verify_keys=new_signing_key()[1])
    with pytest.raises(ValueError, match="32 characters"):
        Settings(payoff_quote_key="short")
    assert DEV_PAYOFF_QUOTE_KEY not in repr(Settings())


def test_a_closed_loan_shows_no_installment_open_or_missed():
    rows = track(SCHEDULE, BusinessCalendar.of("main"), ArrearsRule())
    paid_off = 62_000 + 30_000 + 357  # #3's interest beyond the payoff was never owed
    closed = standing(rows, paid_off, date(2025, 6, 1), closed=True)
    assert [s.status for s in closed] == [InstallmentStatus.PAID, InstallmentStatus.PAID,
                                          InstallmentStatus.CLOSED]
    assert [s.unpaid for s in closed] == [0, 0, 0] and closed[2].paid == 30_357
    assert days_past_due(closed, date(2025, 6, 1)) == 0
    open_ = standing(rows, paid_off, date(2025, 6, 1))
    assert open_[2].status is InstallmentStatus.MISSED  # what the view showed before
