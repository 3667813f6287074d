from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import ValidationError

from lending_events import from_minor_units, minor_digits, to_minor_units
from lending_events.base import Breakdown
from lending_events.ledger import LoanBooked
from lending_events.money import MoneyFormatError
from lending_events.samples import SAMPLE_DATA, TERMS, sample_event
from lending_events.servicing import InstallmentDueSoon

DUE_SOON = {"loan_id": "app-1", **SAMPLE_DATA["InstallmentDueSoon"]}


def _due_soon(**changes: object) -> InstallmentDueSoon:
    return InstallmentDueSoon.model_validate({**DUE_SOON, **changes})


@pytest.mark.parametrize(("currency", "digits"), [("EUR", 2), ("USD", 2), ("CNY", 2),
                                                   ("JPY", 0), ("KRW", 0), ("KWD", 3),
                                                   ("BHD", 3), ("OMR", 3), ("CLF", 4)])
def test_minor_digits_follow_iso_4217(currency: str, digits: int) -> None:
    assert minor_digits(currency) == digits


def test_a_currency_code_must_be_three_capital_letters() -> None:
    with pytest.raises(MoneyFormatError):
        minor_digits("eur")


@pytest.mark.parametrize(("currency", "amount"), [("EUR", "340.02"), ("JPY", "34002"),
                                                  ("KWD", "340.020")])
def test_an_amount_with_the_currencys_minor_digits_is_accepted(currency: str,
                                                               amount: str) -> None:
    event = _due_soon(currency=currency, amount_due=amount)
    assert event.amount_due == Decimal(amount)


@pytest.mark.parametrize(("currency", "amount"), [("EUR", "340.2"), ("EUR", "340"),
                                                  ("EUR", "340.020"), ("JPY", "340.00"),
                                                  ("KWD", "340.02")])
def test_an_amount_with_the_wrong_digits_for_its_currency_is_rejected(currency: str,
                                                                      amount: str) -> None:
    with pytest.raises(ValidationError, match=f"amount_due: '{amount}' has .* but {currency} "
                       "amounts need exactly"):
        _due_soon(currency=currency, amount_due=amount)


@pytest.mark.parametrize("number", [340.02, 340, True])
def test_a_json_number_is_never_accepted_as_money(number: object) -> None:
    with pytest.raises(ValidationError, match="must be decimal strings"):
        _due_soon(amount_due=number)


@pytest.mark.parametrize("text", ["-1.00", "1e3", "1,00", " 1.00", "NaN", ""])
def test_only_plain_non_negative_decimal_strings_are_money(text: str) -> None:
    with pytest.raises(ValidationError, match="not a non-negative decimal string"):
        _due_soon(amount_due=text)


def test_python_producers_may_pass_decimals_with_the_right_exponent() -> None:
    assert _due_soon(amount_due=Decimal("340.02")).amount_due == Decimal("340.02")
    with pytest.raises(ValidationError, match="has 1 decimal places"):
        _due_soon(amount_due=Decimal("340.2"))


def test_a_rate_with_a_float_is_rejected() -> None:
    data = {"loan_id": "app-1", **SAMPLE_DATA["InterestAccrued"], "annual_rate": 0.12}
    with pytest.raises(ValidationError, match="JSON number"):
        sample_event("InterestAccrued").model_validate(data)


def test_amounts_inside_the_schedule_are_checked_against_the_terms_currency() -> None:
    terms = TERMS.model_dump(mode="json")
    terms["schedule"][1]["interest"] = "6.7"
    terms["schedule"][1]["total"] = "340.02"
    data = {"loan_id": "app-1", **SAMPLE_DATA["LoanApproved"], "terms": terms}
    with pytest.raises(ValidationError, match=r"terms\.schedule\[1\]\.interest: '6.7'"):
        sample_event("LoanApproved").model_validate(data)


def test_a_booked_loan_has_one_currency() -> None:
    data = {"loan_id": "app-1", **SAMPLE_DATA["LoanBooked"], "currency": "USD"}
    with pytest.raises(ValidationError, match="terms are in EUR but the event says USD"):
        LoanBooked.model_validate(data)


def test_a_schedule_that_does_not_add_up_to_the_principal_is_rejected() -> None:
    terms = TERMS.model_dump(mode="json")
    terms["principal"] = "1000.01"
    with pytest.raises(ValidationError, match=r"principal 1000\.01 does not match"):
        type(TERMS).model_validate(terms)


def test_a_breakdown_total_is_the_exact_sum_of_its_components() -> None:
    with pytest.raises(ValidationError, match="total"):
        Breakdown.model_validate({"principal": "1.00", "interest": "0.10", "fees": "0.00",
                                  "penalties": "0.00", "total": "1.11"})


def test_minor_units_convert_exactly_both_ways() -> None:
    assert from_minor_units(125000, "EUR") == Decimal("1250.00")
    assert str(from_minor_units(125000, "JPY")) == "125000"
    assert str(from_minor_units(1250005, "KWD")) == "1250.005"
    assert to_minor_units(Decimal("1250.00"), "EUR") == 125000
    with pytest.raises(MoneyFormatError):
        to_minor_units(Decimal("1250.001"), "EUR")


def test_optional_amounts_are_checked_too() -> None:
    terms = TERMS.model_dump(mode="json")
    terms["fees"][0]["amount"] = "20.0"
    data = {"loan_id": "app-1", **SAMPLE_DATA["LoanApproved"], "terms": terms}
    with pytest.raises(ValidationError, match=r"terms\.fees\[0\]\.amount: '20.0'"):
        sample_event("LoanApproved").model_validate(data)
