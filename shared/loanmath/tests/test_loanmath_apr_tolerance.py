"""Regulation Z §1026.22(a)(2)-(3): which tolerance an APR gets."""

from __future__ import annotations

from decimal import Decimal

from loanmath import reg_z_regular

D = Decimal


def test_equal_payments_with_an_odd_first_and_last_are_a_regular_transaction():
    assert reg_z_regular([D("120.40"), D("100.00"), D("100.00"), D("99.87")])
    assert reg_z_regular([D("50.00")])


def test_payments_that_differ_in_the_middle_make_a_transaction_irregular():
    assert not reg_z_regular([D("100.00"), D("120.00"), D("80.00"), D("100.00")])
