"""Anchoring the schedule to the disbursement date, and the APR check that guards it.

Underwriting prices an offer as of its business date; the money goes out later (a day, a
week, whenever the borrower signs and the payout runs). At disbursement the schedule is
rebuilt with loanmath from the contract's own parameters (principal, rate, count,
frequency, amortisation, day count, rounding, fees) with the first period counted from
the value date, so no installment is ever due before the money went out. The APR is then
recomputed on that schedule and compared with the APR the borrower was shown: US
Regulation Z §1026.22(a)(2)-(3) holds a disclosed APR accurate within 1/8 of a percentage
point of the actual one for a regular transaction and 1/4 for an irregular one (several
advances, irregular periods or irregular payment amounts other than the first or last).
Beyond it the disclosure is wrong and the loan must not be paid out on it.

Pure: standard library + loanmath.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from lending_ledger.domain.contract import Contract, format_minor, parse_contract, to_minor
from lending_ledger.domain.errors import InvalidContractError
from loanmath import (
    AmortizationMethod,
    Currency,
    Frequency,
    LoanMathError,
    LoanTerms,
    Money,
    Schedule,
    build_schedule,
    reg_z_regular,
    schedule_apr,
)

APR_PLACES = Decimal("0.0001")
_UNITS = {"day": "days", "week": "weeks", "month": "months"}


@dataclass(frozen=True)
class AprTolerance:
    """How far the actual APR may be from the disclosed one (fractions: 0.00125 is 1/8 of a
    percentage point). Defaults: Regulation Z §1026.22(a)(2) and (a)(3)."""

    regular: Decimal = Decimal("0.00125")
    irregular: Decimal = Decimal("0.0025")


@dataclass(frozen=True)
class Anchoring:
    """The contract terms anchored to ``value_date`` and how their APR compares."""

    value_date: date
    terms: dict[str, Any]  # ContractTerms JSON, schedule from value_date, APR recomputed
    disclosed_apr: Decimal
    actual_apr: Decimal  # unrounded, on the anchored schedule
    regular: bool  # Reg Z: equal payments and periods (first and last may differ)
    tolerance: Decimal  # the one that applies (regular or irregular)

    @property
    def within_tolerance(self) -> bool:
        return abs(self.actual_apr - self.disclosed_apr) <= self.tolerance

    def explain(self) -> str:
        kind = "regular" if self.regular else "irregular"
        return (f"the APR on the schedule anchored to {self.value_date.isoformat()} is "
                f"{self.actual_apr.quantize(APR_PLACES)}, the disclosed APR "
                f"{self.disclosed_apr}: more than the {kind} tolerance of {self.tolerance} "
                f"apart; a new offer must be disclosed")


def anchor(terms: Mapping[str, Any], value_date: date,
           tolerance: AprTolerance | None = None) -> Anchoring:
    """``terms`` with their schedule rebuilt from ``value_date`` (kept as they are when they
    already start on it), the APR recomputed on what is booked and checked against the
    disclosed one. Raises InvalidContractError when loanmath cannot rebuild the terms."""
    tolerance = tolerance or AprTolerance()
    contract = parse_contract(terms)
    try:
        if value_date == contract.start_date:
            anchored = dict(terms)
            actual = _schedule_apr(_as_disclosed(terms, contract), terms)
        else:
            schedule = _rebuilt(terms, contract, value_date)
            actual = _schedule_apr(schedule, terms)
            anchored = _terms_json(terms, contract, schedule, actual)
    except (LoanMathError, ValueError, KeyError) as exc:
        raise InvalidContractError(f"the schedule cannot be anchored: {exc}") from exc
    regular = _is_regular(anchored)
    return Anchoring(value_date, anchored, Decimal(str(terms["apr"])), actual, regular,
                     tolerance.regular if regular else tolerance.irregular)


def anchored_terms(terms: Mapping[str, Any], value_date: date) -> dict[str, Any]:
    """Just the terms of ``anchor`` (no APR work when they already start on the date)."""
    if date.fromisoformat(str(terms["start_date"])) == value_date:
        return dict(terms)
    return anchor(terms, value_date).terms


def _loanmath_terms(terms: Mapping[str, Any], c: Contract, start: date) -> LoanTerms:
    grace = terms.get("grace") or {}
    currency = c.currency
    return LoanTerms(
        principal=Money.parse(str(terms["principal"]), currency), annual_rate=c.annual_rate,
        term=len(terms["schedule"]), frequency=_frequency(terms), start=start,
        method=_method(terms), interest_basis=c.basis, rounding=c.rounding,
        grace_principal=int(grace.get("principal_periods", 0)),
        grace_interest=int(grace.get("interest_periods", 0)),
        upfront_fee=Money(c.withheld_fees, Currency.of(currency)) if c.withheld_fees else None,
    )


def _rebuilt(terms: Mapping[str, Any], c: Contract, start: date) -> Schedule:
    """loanmath's schedule from ``start``, each installment keeping the contract's own fee
    (fees do not depend on dates)."""
    schedule = build_schedule(_loanmath_terms(terms, c, start))
    rows = tuple(
        replace(row, fees=Money(to_minor(str(terms["schedule"][k]["fees"]), c.exponent),
                                row.fees.currency))
        for k, row in enumerate(schedule.installments))
    return replace(schedule, installments=rows)


def _as_disclosed(terms: Mapping[str, Any], c: Contract) -> Schedule:
    """The schedule exactly as disclosed (amounts and dates of the contract's own rows), in
    loanmath's shape so that its APR is computed the one way every APR here is."""
    schedule = _rebuilt(terms, c, c.start_date)
    cur = schedule.currency
    rows = tuple(
        replace(row, due_date=i.due_date, principal=Money(i.principal, cur),
                interest=Money(i.interest, cur), fees=Money(i.fee, cur))
        for row, i in zip(schedule.installments, c.installments, strict=True))
    return replace(schedule, installments=rows)


def _schedule_apr(schedule: Schedule, terms: Mapping[str, Any]) -> Decimal:
    if not any(i.interest.minor or i.fees.minor for i in schedule.installments) \
            and not schedule.upfront_fee.minor:
        return Decimal(0)  # no cost of credit: no rate to solve for
    result = schedule_apr(schedule)
    return result.effective_annual_rate if terms.get("apr_method") == "effective" \
        else result.apr


def _terms_json(terms: Mapping[str, Any], c: Contract, schedule: Schedule,
                apr: Decimal) -> dict[str, Any]:
    exp = c.exponent
    rows = [
        {"number": k + 1, "due_date": i.due_date.isoformat(),
         "principal": format_minor(i.principal.minor, exp),
         "interest": format_minor(i.interest.minor, exp),
         "fees": format_minor(i.fees.minor, exp),
         "total": format_minor(i.total.minor, exp),
         "principal_balance_after": format_minor(i.balance_after.minor, exp)}
        for k, i in enumerate(schedule.installments)]
    interest = sum(i.interest.minor for i in schedule.installments)
    fees = to_minor(str(terms["total_fees"]), exp)
    return {
        **terms,
        "start_date": schedule.start.isoformat(), "first_due_date": rows[0]["due_date"],
        "maturity_date": rows[-1]["due_date"], "schedule": rows,
        "apr": str(apr.quantize(APR_PLACES, ROUND_HALF_UP)),
        "total_interest": format_minor(interest, exp),
        "total_cost": format_minor(interest + fees, exp),
        "total_repayable": format_minor(sum(i.total.minor for i in schedule.installments),
                                        exp),
    }


def _is_regular(terms: Mapping[str, Any]) -> bool:
    """§1026.22(a)(3): irregular when payment amounts (other than the first and the last)
    differ; the periods of a loanmath schedule are regular and there is one advance."""
    return reg_z_regular([Decimal(str(row["total"])) for row in terms["schedule"]])


def _frequency(terms: Mapping[str, Any]) -> Frequency:
    if terms["frequency"] == "at_maturity":  # one installment after the whole term
        term = terms["term"]
        return Frequency.parse(f"every-{term['count']}-{_UNITS[term['unit']]}")
    return Frequency.parse(str(terms["frequency"]))


def _method(terms: Mapping[str, Any]) -> AmortizationMethod:
    if terms["amortization"] == "bullet":
        return AmortizationMethod.BULLET
    if terms.get("interest_method") == "flat":
        return AmortizationMethod.FLAT
    return AmortizationMethod.parse(str(terms["amortization"]))
