"""`loanctl apr` given each 12 CFR 1026 Appendix J (c) example as the regulation states it
(amount advanced, advance date, payments, first payment date, unit-period) prints its
published APR to 0.01 point, and says how many unit-periods and odd days it counted.

The examples: https://www.consumerfinance.gov/rules-policy/regulations/1026/j/ (c)(1)(i)
to (c)(5)(i); the same cases in loanmath terms are in
shared/loanmath/tests/test_loanmath_apr_examples.py.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
import typer
from typer.testing import CliRunner

from loanctl.commands import loanmath_cmds
from loanmath import Frequency

# (example, amount advanced, advance date, payments in order, first payment date,
#  unit-period, published APR %, unit-periods and odd days to the first payment)
EXAMPLES = [
    ("(c)(1)(i) monthly, regular first period", "5000.00", "1978-01-10", ["230.00x24"],
     "1978-02-10", "monthly", "9.69", 1, 0),
    ("(c)(1)(ii) monthly, long first period", "6000.00", "1978-02-10", ["200.00x36"],
     "1978-04-01", "monthly", "11.82", 1, 19),
    ("(c)(1)(iii) semimonthly, short first period", "5000.00", "1978-02-23", ["219.17x24"],
     "1978-03-01", "semi-monthly", "10.34", 0, 6),
    ("(c)(1)(iv) quarterly, long first period", "10000.00", "1978-05-23", ["385.00x40"],
     "1978-10-01", "quarterly", "8.97", 1, 39),
    ("(c)(1)(v) weekly, long first period", "500.00", "1978-03-20", ["17.60x30"],
     "1978-04-21", "weekly", "14.96", 4, 4),
    ("(c)(2)(i) monthly, irregular first payment", "5000.00", "1978-01-10",
     ["250.00", "230.00x23"], "1978-02-10", "monthly", "10.08", 1, 0),
    ("(c)(2)(ii) every 4 weeks, long first period, irregular first payment", "400.00",
     "1978-03-18", ["39.50", "38.31x11"], "1978-04-20", "every-4-weeks", "28.50", 1, 5),
    ("(c)(3)(i) monthly, irregular final payment", "5000.00", "1978-01-10",
     ["230.00x23", "280.00"], "1978-02-10", "monthly", "10.50", 1, 0),
    ("(c)(3)(ii) every 2 weeks, short first period, irregular final payment", "200.00",
     "1978-04-03", ["9.50x19", "30.00"], "1978-04-11", "biweekly", "12.22", 0, 8),
    ("(c)(4)(i) monthly, irregular first and final payments", "5000.00", "1978-01-10",
     ["250.00", "230.00x22", "280.00"], "1978-02-10", "monthly", "10.90", 1, 0),
    ("(c)(4)(ii) every 2 months, short first period, irregular first and final payments",
     "8000.00", "1978-01-10", ["449.36", "465.00x18", "200.00"], "1978-03-01",
     "every-2-months", "7.30", 0, 52),
]


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    loanmath_cmds.register(root)
    return root


def apr_json(app: typer.Typer, *args: str) -> dict[str, object]:
    result = CliRunner().invoke(app, ["apr", *args, "--json"])
    assert result.exit_code == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def percent(data: dict[str, object]) -> str:
    return str((Decimal(str(data["apr"])) * 100).quantize(Decimal("0.01")))


@pytest.mark.parametrize(
    ("example", "advance", "advanced_on", "payments", "first_on", "unit", "published",
     "unit_periods", "odd_days"), EXAMPLES, ids=[e[0].split(" ")[0] for e in EXAMPLES])
def test_each_appendix_j_loan_stated_by_its_dates_gets_its_published_apr(
        app, example, advance, advanced_on, payments, first_on, unit, published,
        unit_periods, odd_days):
    streams = [arg for p in payments for arg in ("--payment", p)]
    data = apr_json(app, "--advance", advance, "--advance-date", advanced_on, *streams,
                    "--first-payment-date", first_on, "--frequency", unit)
    assert percent(data) == published, example
    assert data["unit_period"] == Frequency.parse(unit).label
    assert data["first_payment"] == {
        "unit_periods": unit_periods, "odd_days": odd_days,
        "fraction": data["first_payment"]["fraction"]}  # type: ignore[index]


def test_appendix_j_c5i_single_payment_loan_takes_its_term_as_the_unit_period(app):
    """(c)(5)(i): $1,000 advanced 1-3-78, $1,080 repaid 9-15-78 (255 days): 11.45%."""
    data = apr_json(app, "--advance", "1000.00", "--advance-date", "1978-01-03",
                    "--payment", "1080.00", "--first-payment-date", "1978-09-15")
    assert percent(data) == "11.45"
    assert data["unit_period"] == "every-255-days"
    assert data["unit_periods_per_year"] == "1.431372549"  # 365 / 255
    assert data["first_payment"] == {"unit_periods": 1, "odd_days": 0, "fraction": "0"}


def test_a_long_first_month_counted_from_the_dates_is_not_a_day_count(app):
    """(c)(1)(ii): 2-10-78 to 4-1-78 is one month (back from 4-1 to 3-1) and 19 days, f =
    19/30; the same 50 days as a day count are 1 month and 20 days, and miss 11.82%."""
    by_dates = apr_json(app, "--advance", "6000.00", "--advance-date", "1978-02-10",
                        "--payment", "200.00x36", "--first-payment-date", "1978-04-01")
    assert percent(by_dates) == "11.82"
    assert by_dates["first_payment"] == {"unit_periods": 1, "odd_days": 19,
                                         "fraction": "0.6333333333"}
    by_days = apr_json(app, "--advance", "6000.00", "--payment", "200.00x36",
                       "--first-period-days", "50")
    assert by_days["first_payment"] == {"unit_periods": 1, "odd_days": 20,
                                        "fraction": "0.6666666667"}
    assert percent(by_days) != "11.82"


@pytest.mark.parametrize(("args", "message"), [
    (["--advance-date", "1978-01-10"], "error: --first-payment-date: --advance-date and"),
    (["--first-payment-date", "1978-02-10"], "error: --advance-date: --advance-date and"),
    (["--advance-date", "1978-02-10", "--first-payment-date", "1978-02-10"],
     "error: --first-payment-date: must be after --advance-date"),
    (["--advance-date", "1978-01-10", "--first-payment-date", "1978-02-10",
      "--first-period-days", "31"], "error: --first-period-days: give the dates or"),
    (["--advance-date", "1978-1-10", "--first-payment-date", "1978-02-10"],
     "error: --advance-date: not an ISO date"),
])
def test_dates_that_cannot_state_a_loan_exit_2_with_one_line(app, args, message):
    result = CliRunner().invoke(app, ["apr", "--advance", "5000", "--payment", "230x24",
                                      *args])
    assert result.exit_code == 2
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1


def test_a_single_dated_payment_refuses_a_unit_period_of_its_own(app):
    result = CliRunner().invoke(app, [
        "apr", "--advance", "1000", "--advance-date", "1978-01-03", "--payment", "1080",
        "--first-payment-date", "1978-09-15", "--frequency", "monthly"])
    assert result.exit_code == 2 and result.stderr.startswith("error: --frequency:")
