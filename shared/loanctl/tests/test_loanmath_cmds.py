"""`loanctl schedule` and `loanctl apr`, driven through a Typer app like the root one."""

import json
from decimal import Decimal

import pytest
import typer
from typer.testing import CliRunner

from loanctl.commands import loanmath_cmds


@pytest.fixture
def app() -> typer.Typer:
    root = typer.Typer()
    loanmath_cmds.register(root)
    return root


def run(app: typer.Typer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


SCHEDULE = [
    "schedule", "--principal", "10000.00", "--currency", "USD", "--annual-rate", "0.12",
    "--term", "12", "--frequency", "monthly", "--method", "annuity",
    "--interest-basis", "periodic", "--rounding", "half-up", "--start", "2027-01-15",
]  # fmt: skip


def test_schedule_json_lists_installments_totals_and_rates(app: typer.Typer) -> None:
    code, out, _ = run(app, *SCHEDULE, "--fee-upfront", "50.00", "--json")
    assert code == 0
    data = json.loads(out)
    first = data["installments"][0]
    assert first == {
        "number": 1, "due_date": "2027-02-15", "principal": "788.49", "interest": "100.00",
        "fees": "0.00", "total": "888.49", "balance_after": "9211.51",
    }  # fmt: skip
    assert data["installments"][-1]["balance_after"] == "0.00"
    assert data["total_principal"] == "10000.00"
    assert data["total_interest"] == "661.86"
    assert data["total_fees"] == "50.00"
    assert data["total_repayable"] == "10711.86"
    assert Decimal(data["apr"]) > Decimal("0.12")
    assert len(data["apr"].split(".")[1]) == 4


def test_without_fees_the_apr_is_the_nominal_rate_and_ear_compounds_it(app: typer.Typer) -> None:
    code, out, _ = run(app, *SCHEDULE, "--json")
    data = json.loads(out)
    assert code == 0
    assert (data["apr"], data["effective_annual_rate"]) == ("0.1200", "0.1268")


def test_schedule_accepts_the_odd_first_period_grace_and_multiple_options(
    app: typer.Typer,
) -> None:
    code, out, _ = run(
        app, *SCHEDULE, "--first-due", "2027-02-28", "--grace-principal", "2",
        "--grace-interest", "1", "--multiple-of", "1", "--json",
    )  # fmt: skip
    assert code == 0
    rows = json.loads(out)["installments"]
    assert rows[0]["due_date"] == "2027-02-28"
    assert rows[0]["total"] == "0.00"
    assert rows[2]["total"].endswith(".00")


def test_schedule_prints_a_readable_table_without_json(app: typer.Typer) -> None:
    code, out, _ = run(app, *SCHEDULE)
    assert code == 0
    assert "due date" in out
    assert "2027-02-15" in out
    assert "total repayable  10661.86 USD" in out


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("--principal", "-5.00"), "error: --principal: must be greater than zero"),
        (("--term", "0"), "error: --term: must be at least 1"),
        (("--term", "twelve"), "error: --term: not a whole number: 'twelve'"),
        (("--annual-rate", "10.5"), "error: --annual-rate: must be between 0 and 10"),
        (("--method", "balloon"), "error: --method: unknown method 'balloon'"),
        (("--frequency", "hourly"), "error: --frequency: unknown frequency 'hourly'"),
        (("--currency", "XXX"), "error: --currency: unknown ISO 4217 currency 'XXX'"),
        (("--start", "2027-02-30"), "error: --start: not an ISO date"),
        (("--principal", "10.001"), "error: --principal: '10.001' has more than 2 decimals"),
    ],
)
def test_bad_schedule_input_exits_2_with_one_line_naming_the_option(
    app: typer.Typer, change: tuple[str, str], message: str
) -> None:
    args = list(SCHEDULE)
    if change[0] in args:
        args[args.index(change[0]) + 1] = change[1]
    else:
        args += list(change)
    code, out, err = run(app, *args, "--json")
    assert code == 2
    assert out == ""
    assert err.startswith(message)
    assert err.count("\n") == 1


def test_bad_fee_names_the_cli_option(app: typer.Typer) -> None:
    code, _, err = run(app, *SCHEDULE, "--fee-upfront", "20000.00")
    assert code == 2
    assert err == "error: --fee-upfront: must be less than the principal\n"


def test_apr_reproduces_reg_z_appendix_j_c1i(app: typer.Typer) -> None:
    """12 CFR 1026 App. J (c)(1)(i): $5,000, 24 monthly payments of $230: 9.69%."""
    code, out, _ = run(
        app, "apr", "--advance", "5000.00", "--payment", "230.00x24", "--frequency", "monthly",
        "--json",
    )  # fmt: skip
    assert code == 0
    assert json.loads(out) == {
        "apr": "0.0969", "method": "us-reg-z", "unit_period": "monthly",
        "unit_periods_per_year": "12",
        "first_payment": {"unit_periods": 1, "odd_days": 0, "fraction": "0"}}


def test_apr_with_an_odd_first_period_and_several_streams(app: typer.Typer) -> None:
    """App. J (c)(1)(v): $500, 30 weekly payments of $17.60, the first after 32 days:
    14.96%. App. J (c)(3)(i): 23 x $230 then $280: 10.50%."""
    code, out, _ = run(
        app, "apr", "--advance", "500", "--payment", "17.60x30", "--frequency", "weekly",
        "--first-period-days", "32", "--json",
    )  # fmt: skip
    assert (code, json.loads(out)["apr"]) == (0, "0.1496")
    assert json.loads(out)["first_payment"] == {"unit_periods": 4, "odd_days": 4,
                                                "fraction": "0.5714285714"}
    code, out, _ = run(
        app, "apr", "--advance", "5000", "--payment", "230x23", "--payment", "280",
        "--json",
    )  # fmt: skip
    assert (code, json.loads(out)["apr"]) == (0, "0.1050")


def test_apr_eu_method_gives_the_effective_rate(app: typer.Typer) -> None:
    code, out, _ = run(
        app, "apr", "--advance", "1000", "--payment", "88.85x12", "--method", "eu", "--json"
    )
    assert code == 0
    assert json.loads(out) == {"apr": "0.1269", "method": "eu", "unit_period": "monthly"}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--advance", "-1", "--payment", "10x3"], "error: --advance: must be greater than zero"),
        (["--advance", "100", "--payment", "10y3"], "error: --payment: not a decimal number"),
        (["--advance", "100", "--payment", "10x0"], "error: --payment:"),
        (["--advance", "100", "--payment", "10x3", "--method", "uk"], "error: --method:"),
        (["--advance", "100", "--payment", "10x3", "--frequency", "x"], "error: --frequency:"),
    ],
)
def test_bad_apr_input_exits_2_with_one_line(
    app: typer.Typer, args: list[str], message: str
) -> None:
    code, _, err = run(app, "apr", *args)
    assert code == 2
    assert err.startswith(message)
    assert err.count("\n") == 1
