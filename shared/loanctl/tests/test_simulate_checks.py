"""The simulation's per-loan comparisons (issue #18): the items of the ledger's and
servicing's operator lists compared field by field, and the principal identity."""

from __future__ import annotations

from loanctl.simulate.checks import compare, principal_identity


def _ledger(**changes):
    view = {"loan_id": "loan-1", "status": "active", "days_past_due": 5,
            "next_due": {"installment_number": 1, "due_date": "2025-02-15",
                         "amount_due": "325.02"},
            "balances": {"principal": "700.00", "interest": "1.50", "fees": "0.00",
                         "penalties": "0.00", "principal_disbursed": "1000.00",
                         "principal_capitalized": "0.00", "principal_waived": "0.00",
                         "principal_repaid": "300.00", "principal_written_off": "0.00"}}
    return {**view, **changes}


def _servicing(**changes):
    view = {"loan_id": "loan-1", "status": "active", "days_past_due": 5,
            "next_due": {"installment_number": 1, "due_date": "2025-02-15",
                         "amount_due": "325.02"},
            "outstanding": {"principal": "700.00", "interest": "1.50", "fees": "0.00",
                            "penalties": "0.00"}}
    return {**view, **changes}


def test_two_views_of_a_loan_that_agree_show_no_difference():
    assert compare(_ledger(), _servicing()) == []


def test_a_next_due_the_services_count_differently_is_a_difference():
    theirs = _servicing(next_due={"installment_number": 1, "due_date": "2025-02-15",
                                  "amount_due": "330.02"})
    assert compare(_ledger(), theirs) == [
        "next due: ledger 325.02 on 2025-02-15, servicing 330.02 on 2025-02-15"]
    assert compare(_ledger(next_due=None), _servicing()) == [
        "next due: ledger none, servicing 325.02 on 2025-02-15"]


def test_days_past_due_must_be_the_same_on_both_sides():
    assert compare(_ledger(days_past_due=4), _servicing()) == [
        "days past due: ledger 4, servicing 5"]


def test_principal_disbursed_less_repaid_and_written_off_is_what_is_outstanding():
    assert principal_identity(_ledger()["balances"]) is None
    wrong = {**_ledger()["balances"], "principal_repaid": "299.99"}
    assert principal_identity(wrong) == (
        "principal disbursed 1000.00 + capitalized 0.00 - waived 0.00 - repaid 299.99 - "
        "written off 0.00 = 700.01, outstanding 700.00")
