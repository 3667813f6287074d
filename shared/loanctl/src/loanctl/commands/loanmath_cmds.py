"""`loanctl schedule` and `loanctl apr` (owned by the loan-mathematics work).

Every option is read as text and parsed here, so that any bad input ends in exactly one
line, `error: --option: reason`, and exit code 2.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, NoReturn

import typer

from loanmath import (
    AmortizationMethod,
    AprNotFoundError,
    BusinessDayAdjustment,
    BusinessDayConvention,
    Currency,
    Frequency,
    HolidayCalendar,
    InterestBasis,
    InvalidLoanTermsError,
    LoanTerms,
    Money,
    RegZSpan,
    RoundingMode,
    Schedule,
    apr_eu_regular,
    apr_us_reg_z,
    apr_us_reg_z_regular,
    build_schedule,
    eu_year_fraction,
    first_period_of_days,
    regz_interval,
    schedule_apr,
)
from loanmath.apr import single_payment_unit

# LoanTerms field (or parser field) -> the option that carries it.
OPTION_FOR_FIELD = {
    "principal": "--principal",
    "currency": "--currency",
    "annual_rate": "--annual-rate",
    "term": "--term",
    "frequency": "--frequency",
    "method": "--method",
    "interest_basis": "--interest-basis",
    "rounding": "--rounding",
    "start": "--start",
    "first_due": "--first-due",
    "grace_principal": "--grace-principal",
    "grace_interest": "--grace-interest",
    "upfront_fee": "--fee-upfront",
    "installment_fee": "--fee-per-installment",
    "installment_multiple": "--multiple-of",
    "business_days": "--business-days",
    "calendar": "--holiday",
    "holiday": "--holiday",
    "advance": "--advance",
    "payment": "--payment",
    "first_period_days": "--first-period-days",
    "advance_date": "--advance-date",
    "first_payment_date": "--first-payment-date",
    "dates": "--first-payment-date",
    "apr_method": "--method",
}
RATE_DISPLAY = Decimal("0.0001")
MONTHLY = Frequency.parse("monthly")
APR_METHODS = ("us-reg-z", "eu")


def _fail(field: str, message: str) -> NoReturn:
    option = OPTION_FOR_FIELD.get(field, f"--{field.replace('_', '-')}")
    typer.echo(f"error: {option}: {message}", err=True)
    raise typer.Exit(code=2)


@contextmanager
def _one_line_errors() -> Iterator[None]:
    try:
        yield
    except InvalidLoanTermsError as exc:
        _fail(exc.field, exc.message)
    except AprNotFoundError as exc:
        _fail("payment", str(exc))


def _decimal(text: str, field: str) -> Decimal:
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise InvalidLoanTermsError(field, f"not a decimal number: {text!r}") from None
    if not value.is_finite():
        raise InvalidLoanTermsError(field, f"not a decimal number: {text!r}")
    return value


def _int(text: str, field: str) -> int:
    try:
        return int(text.strip())
    except ValueError:
        raise InvalidLoanTermsError(field, f"not a whole number: {text!r}") from None


def _date(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidLoanTermsError(field, f"not an ISO date (YYYY-MM-DD): {text!r}") from None


def _optional(text: str | None, parse: Callable[[str], Money]) -> Money | None:
    return None if text is None else parse(text)


def _rate(value: Decimal) -> str:
    return str(value.quantize(RATE_DISPLAY, rounding=ROUND_HALF_UP))


def schedule_json(schedule: Schedule) -> dict[str, object]:
    apr = schedule_apr(schedule)
    return {
        "installments": [
            {
                "number": row.number,
                "due_date": row.due_date.isoformat(),
                "principal": str(row.principal),
                "interest": str(row.interest),
                "fees": str(row.fees),
                "total": str(row.total),
                "balance_after": str(row.balance_after),
            }
            for row in schedule.installments
        ],
        "total_principal": str(schedule.total_principal),
        "total_interest": str(schedule.total_interest),
        "total_fees": str(schedule.total_fees),
        "total_repayable": str(schedule.total_repayable),
        "apr": _rate(apr.apr),
        "effective_annual_rate": _rate(apr.effective_annual_rate),
    }


def _print_table(data: dict[str, object], currency: str) -> None:
    head = ("#", "due date", "principal", "interest", "fees", "total", "balance")
    line = "{:>4}  {:<10}  {:>14}  {:>12}  {:>10}  {:>14}  {:>14}"
    typer.echo(line.format(*head))
    rows = data["installments"]
    assert isinstance(rows, list)
    for r in rows:
        typer.echo(
            line.format(
                r["number"],
                r["due_date"],
                r["principal"],
                r["interest"],
                r["fees"],
                r["total"],
                r["balance_after"],
            )
        )
    typer.echo(f"total principal  {data['total_principal']} {currency}")
    typer.echo(f"total interest   {data['total_interest']} {currency}")
    typer.echo(f"total fees       {data['total_fees']} {currency}")
    typer.echo(f"total repayable  {data['total_repayable']} {currency}")
    typer.echo(f"APR              {data['apr']}")
    typer.echo(f"effective annual {data['effective_annual_rate']}")


def schedule(
    principal: Annotated[str, typer.Option(help="Amount lent, e.g. 10000.00")],
    annual_rate: Annotated[str, typer.Option(help="Nominal annual rate as a fraction: 0.12")],
    term: Annotated[str, typer.Option(help="Number of installments")],
    start: Annotated[str, typer.Option(help="Disbursement date, YYYY-MM-DD")],
    currency: Annotated[str, typer.Option(help="ISO 4217 code")] = "USD",
    frequency: Annotated[
        str,
        typer.Option(
            help="daily, weekly, biweekly, semi-monthly, "
            "monthly, quarterly, every-N-days|weeks|months"
        ),
    ] = "monthly",
    method: Annotated[
        str, typer.Option(help="annuity, equal-principal, flat, interest-only, bullet")
    ] = "annuity",
    interest_basis: Annotated[
        str, typer.Option(help="periodic, 30/360, 30e/360, actual/360, actual/365, actual/actual")
    ] = "periodic",
    rounding: Annotated[str, typer.Option(help="half-up, half-even, down, up")] = "half-up",
    first_due: Annotated[str | None, typer.Option(help="First due date (odd first period)")] = None,
    grace_principal: Annotated[str, typer.Option(help="Installments with no principal")] = "0",
    grace_interest: Annotated[str, typer.Option(help="Installments with no interest due")] = "0",
    fee_upfront: Annotated[str | None, typer.Option(help="Fee paid at disbursement")] = None,
    fee_per_installment: Annotated[
        str | None, typer.Option(help="Fee with each installment")
    ] = None,
    multiple_of: Annotated[
        str | None, typer.Option(help="Round the installment to a multiple of this amount")
    ] = None,
    business_days: Annotated[
        str, typer.Option(help="none, following, modified-following, preceding")
    ] = "none",
    holiday: Annotated[list[str] | None, typer.Option(help="A holiday (repeatable)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Print a repayment schedule, its totals, APR (Reg Z) and effective annual rate."""
    with _one_line_errors():
        cur = Currency.of(currency)

        def money(field: str) -> Callable[[str], Money]:
            return lambda text: Money.parse(text, cur, field)

        adjustment = None
        try:
            convention = BusinessDayConvention(business_days.strip().lower())
        except ValueError:
            raise InvalidLoanTermsError("business_days", f"unknown {business_days!r}") from None
        if convention is not BusinessDayConvention.NONE:
            days = [_date(h, "holiday") for h in holiday or []]
            adjustment = BusinessDayAdjustment(convention, HolidayCalendar.of(days))
        terms = LoanTerms(
            principal=money("principal")(principal),
            annual_rate=_decimal(annual_rate, "annual_rate"),
            term=_int(term, "term"),
            frequency=Frequency.parse(frequency),
            start=_date(start, "start"),
            method=AmortizationMethod.parse(method),
            interest_basis=InterestBasis.parse(interest_basis),
            rounding=RoundingMode.parse(rounding),
            first_due=None if first_due is None else _date(first_due, "first_due"),
            grace_principal=_int(grace_principal, "grace_principal"),
            grace_interest=_int(grace_interest, "grace_interest"),
            upfront_fee=_optional(fee_upfront, money("upfront_fee")),
            installment_fee=_optional(fee_per_installment, money("installment_fee")),
            installment_multiple=_optional(multiple_of, money("installment_multiple")),
            business_days=adjustment,
        )
        data = schedule_json(build_schedule(terms))
    if as_json:
        typer.echo(json.dumps(data))
    else:
        _print_table(data, cur.code)


def _stream(text: str) -> tuple[Decimal, int]:
    amount, sep, count = text.strip().lower().partition("x")
    if not sep:
        return _decimal(amount, "payment"), 1
    number = _int(count, "payment")
    value = _decimal(amount, "payment")
    if number < 1 or value <= 0:
        raise InvalidLoanTermsError("payment", f"{text!r}: need AMOUNT>0 x COUNT>=1")
    return value, number


@dataclass(frozen=True)
class AprCase:
    """What `loanctl apr` was asked: one advance, then payment streams one unit-period
    apart, the first after `first_period_days`, or on `first_payment_date` (Reg Z's way)."""

    advance: Decimal
    streams: list[tuple[Decimal, int]]
    unit: Frequency | None  # None: not given
    first_period_days: int | None
    advance_date: date | None
    first_payment_date: date | None

    @property
    def single_dated_payment(self) -> bool:
        return (self.first_payment_date is not None and len(self.streams) == 1
                and self.streams[0][1] == 1)


def _apr_case(advance: str, payment: list[str], frequency: str | None,
              first_period_days: str | None, advance_date: str | None,
              first_payment_date: str | None) -> AprCase:
    amount = _decimal(advance, "advance")
    if amount <= 0:
        raise InvalidLoanTermsError("advance", "must be greater than zero")
    days = None if first_period_days is None else _int(first_period_days, "first_period_days")
    advanced_on = None if advance_date is None else _date(advance_date, "advance_date")
    first_on = None if first_payment_date is None else _date(first_payment_date,
                                                             "first_payment_date")
    if (advanced_on is None) != (first_on is None):
        missing = "advance_date" if advanced_on is None else "first_payment_date"
        raise InvalidLoanTermsError(missing, "--advance-date and --first-payment-date go "
                                    "together")
    if first_on is not None and days is not None:
        raise InvalidLoanTermsError("first_period_days", "give the dates or the day count, "
                                    "not both")
    if advanced_on is not None and first_on is not None and first_on <= advanced_on:
        raise InvalidLoanTermsError("first_payment_date", "must be after --advance-date")
    unit = None if frequency is None else Frequency.parse(frequency)
    return AprCase(amount, [_stream(p) for p in payment], unit, days, advanced_on, first_on)


def _reg_z(case: AprCase) -> dict[str, object]:
    if case.single_dated_payment:
        assert case.advance_date is not None and case.first_payment_date is not None
        if case.unit is not None:
            raise InvalidLoanTermsError("frequency", "a single payment's unit-period is its "
                                        "term (App. J (b)(4)(ii)); leave --frequency out")
        result = apr_us_reg_z([(case.advance_date, case.advance)],
                              [(case.first_payment_date, case.streams[0][0])])
        unit, _ = single_payment_unit(case.advance_date, case.first_payment_date)
        first = RegZSpan(1, 0, Decimal(0))  # (b)(5)(vi), (vii): the term is one unit-period
    else:
        unit = case.unit or MONTHLY
        if case.advance_date is not None and case.first_payment_date is not None:
            first = regz_interval(case.advance_date, case.first_payment_date, unit)
        elif case.first_period_days is not None:
            first = first_period_of_days(unit, case.first_period_days)
        else:
            first = RegZSpan(1, 0, Decimal(0))
        result = apr_us_reg_z_regular(case.advance, case.streams, unit, first_period=first)
    return {
        "apr": _rate(result.apr), "method": "us-reg-z", "unit_period": unit.label,
        "unit_periods_per_year": _ratio(result.periods_per_year),
        "first_payment": {"unit_periods": first.unit_periods, "odd_days": first.odd_days,
                          "fraction": _ratio(first.fraction)},
    }


def _eu(case: AprCase) -> dict[str, object]:
    if case.first_period_days is not None and case.first_period_days < 1:
        raise InvalidLoanTermsError("first_period_days", "must be at least 1")
    unit = case.unit or MONTHLY
    years = None
    if case.advance_date is not None and case.first_payment_date is not None:
        years = eu_year_fraction(case.advance_date, case.first_payment_date, unit)
    rate = apr_eu_regular(case.advance, case.streams, unit, case.first_period_days,
                          first_years=years)
    out: dict[str, object] = {"apr": _rate(rate), "method": "eu", "unit_period": unit.label}
    if years is not None:
        out["first_payment"] = {"years": f"{years.numerator}/{years.denominator}"}
    return out


def _ratio(value: Decimal) -> str:
    """A count or fraction of unit-periods to 10 places (365/255 = 1.4313725490)."""
    return format(value.quantize(Decimal("1e-10")).normalize(), "f")


def apr(
    advance: Annotated[str, typer.Option(help="Amount financed (received by the borrower)")],
    payment: Annotated[list[str], typer.Option(help="AMOUNTxCOUNT, repeatable, in order")],
    frequency: Annotated[
        str | None, typer.Option(help="Payment frequency, the unit-period [monthly]")
    ] = None,
    advance_date: Annotated[
        str | None, typer.Option(help="Date of the advance, YYYY-MM-DD (with the next)")
    ] = None,
    first_payment_date: Annotated[
        str | None, typer.Option(help="Date of the first payment, YYYY-MM-DD: whole "
                                 "unit-periods are counted back from it, then odd days")
    ] = None,
    first_period_days: Annotated[
        str | None, typer.Option(help="Days to the first payment (30 a month, 15 a semimonth)")
    ] = None,
    method: Annotated[str, typer.Option(help="us-reg-z (Appendix J) or eu (APRC)")] = "us-reg-z",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON")] = False,
) -> None:
    """Solve the APR of one advance repaid by regular payments."""
    with _one_line_errors():
        chosen = method.strip().lower()
        if chosen not in APR_METHODS:
            raise InvalidLoanTermsError(
                "apr_method", f"unknown method {method!r}; expected us-reg-z or eu"
            )
        case = _apr_case(advance, payment, frequency, first_period_days, advance_date,
                         first_payment_date)
        data = _eu(case) if chosen == "eu" else _reg_z(case)
    if as_json:
        typer.echo(json.dumps(data))
        return
    rate = Decimal(str(data["apr"]))
    typer.echo(f"APR {data['apr']} ({(rate * 100).quantize(Decimal('0.01'))}%)")
    first = data.get("first_payment")
    if isinstance(first, dict) and "unit_periods" in first:
        typer.echo(f"first payment after {first['unit_periods']} unit-period(s) "
                   f"({data['unit_period']}) and {first['odd_days']} odd day(s): "
                   f"f = {first['fraction']}")


def register(app: typer.Typer) -> None:
    """Adds the loan-mathematics commands to the root app."""
    app.command("schedule")(schedule)
    app.command("apr")(apr)
