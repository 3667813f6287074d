"""Payoff quotes and re-amortization after a partial prepayment (hand-checked cases)."""

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from loanmath import (
    AmortizationMethod,
    Frequency,
    InvalidLoanTermsError,
    LoanTerms,
    Money,
    Reamortization,
    Schedule,
    build_schedule,
    payoff_quote,
    reamortize,
)


def usd(text: str) -> Money:
    return Money.parse(text, "USD")


def loan(**overrides: Any) -> Schedule:
    base = LoanTerms(
        usd("10000.00"), Decimal("0.12"), 12, Frequency.parse("monthly"), date(2027, 1, 15)
    )
    return build_schedule(replace(base, **overrides))


def test_a_payoff_on_the_disbursement_day_is_the_principal() -> None:
    quote = payoff_quote(loan(), date(2027, 1, 15))
    assert str(quote.total) == "10000.00"


def test_a_payoff_mid_period_adds_interest_accrued_pro_rata() -> None:
    """Hand-checked: installment 1 paid (788.49 principal, 100.00 interest); on 1 Mar 2027,
    14 of the 28 days of 15 Feb - 15 Mar have run: 9211.51 x 0.01 x 14/28 = 46.06."""
    quote = payoff_quote(
        loan(), date(2027, 3, 1), principal_paid=usd("788.49"), interest_paid=usd("100.00")
    )
    assert str(quote.outstanding_principal) == "9211.51"
    assert str(quote.accrued_interest) == "46.06"
    assert str(quote.total) == "9257.57"


def test_a_payoff_includes_unpaid_past_interest_and_fees() -> None:
    """Hand-checked: nothing paid by 1 Mar 2027 on a loan with a 5.00 installment fee:
    100.00 interest of period 1 + 10000 x 0.01 x 14/28 = 50.00, fee 5.00, and a 25.00
    prepayment fee: 10000 + 150 + 30 = 10180.00."""
    quote = payoff_quote(
        loan(installment_fee=usd("5.00")), date(2027, 3, 1), extra_fees=usd("25.00")
    )
    assert str(quote.accrued_interest) == "150.00"
    assert str(quote.fees) == "30.00"
    assert str(quote.total) == "10180.00"


def test_a_fully_repaid_loan_has_nothing_to_pay_off() -> None:
    schedule = loan()
    quote = payoff_quote(
        schedule,
        date(2028, 2, 1),
        principal_paid=schedule.total_principal,
        interest_paid=schedule.total_interest,
    )
    assert quote.total.minor == 0


def test_a_payoff_before_the_start_is_refused() -> None:
    with pytest.raises(InvalidLoanTermsError) as info:
        payoff_quote(loan(), date(2027, 1, 1))
    assert info.value.field == "as_of"


def test_keeping_the_term_lowers_the_installment() -> None:
    """Hand-checked: after 3 installments the balance is 7610.80; 3000.00 prepaid leaves
    4610.80 over the 9 remaining months: 4610.80 x 0.01 / (1 - 1.01^-9) = 538.2664...
    -> 538.27, the last 538.25."""
    rest = reamortize(
        loan(), after_installment=3, prepayment=usd("3000.00"), keep=Reamortization.KEEP_TERM
    )
    assert [r.number for r in rest.installments] == list(range(4, 13))
    assert [str(r.total) for r in rest.installments] == ["538.27"] * 8 + ["538.25"]
    assert rest.total_principal == usd("4610.80")
    assert rest.installments[-1].balance_after.minor == 0


def test_keeping_the_installment_shortens_the_term() -> None:
    """Hand-checked: the same 4610.80 repaid at 888.49 a month is gone after six more
    installments; the last is 313.80 principal + 3.14 interest = 316.94."""
    rest = reamortize(
        loan(),
        after_installment=3,
        prepayment=usd("3000.00"),
        keep=Reamortization.KEEP_INSTALLMENT,
    )
    assert [str(r.total) for r in rest.installments] == ["888.49"] * 5 + ["316.94"]
    assert rest.installments[-1].due_date == date(2027, 10, 15)
    assert rest.total_principal == usd("4610.80")


def test_a_prepayment_must_leave_a_balance() -> None:
    with pytest.raises(InvalidLoanTermsError) as info:
        reamortize(
            loan(),
            after_installment=11,
            prepayment=usd("900.00"),
            keep=Reamortization.KEEP_TERM,
        )
    assert info.value.field == "prepayment"


def test_a_bullet_has_no_installment_to_keep() -> None:
    schedule = loan(term=3, method=AmortizationMethod.INTEREST_ONLY)
    with pytest.raises(InvalidLoanTermsError):
        reamortize(
            schedule,
            after_installment=1,
            prepayment=usd("100.00"),
            keep=Reamortization.KEEP_INSTALLMENT,
        )
