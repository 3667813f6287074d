"""The contract as the ledger services it: integer minor units, parsed once from the
wire terms (decimal strings) that LoanApproved carries. Pure: standard library + loanmath."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any, NamedTuple

from lending_ledger.domain.errors import InvalidContractError
from loanmath import Currency, InterestBasis, RoundingMode, year_fraction
from loanmath.errors import LoanMathError

# Components in the order the ledger stores them; the allocation order is the contract's.
PRINCIPAL, INTEREST, FEE, PENALTY = 0, 1, 2, 3
COMPONENTS = ("principal", "interest", "fee", "penalty")
COMPONENT_INDEX = {name: i for i, name in enumerate(COMPONENTS)}
DEFAULT_ORDER = ("penalty", "fee", "interest", "principal")

_DAY_COUNTS = {
    "act/365f": InterestBasis.ACTUAL_365,
    "act/360": InterestBasis.ACTUAL_360,
    "30/360": InterestBasis.THIRTY_360_US,
    "act/act": InterestBasis.ACTUAL_ACTUAL,
}


def to_minor(text: str | Decimal, exponent: int, field: str = "amount") -> int:
    if type(text) is str and text.isascii():  # the common case, without Decimal
        dot = text.find(".")
        if dot < 0:
            if text.isdigit():
                return int(text) * 10**exponent
        elif len(text) - dot - 1 == exponent:  # exactly the minor digits: "330.02" -> 33002
            digits = text[:dot] + text[dot + 1:]
            if digits.isdigit():
                return int(digits)
    try:
        value = Decimal(text).scaleb(exponent)
    except (InvalidOperation, TypeError):
        raise InvalidContractError(f"{field}: not a decimal amount: {text!r}") from None
    if value != value.to_integral_value():
        raise InvalidContractError(f"{field}: {text!r} has more than {exponent} decimals")
    return int(value)


_PLAIN_AMOUNTS = {
    exponent: re.compile(rf"\d+\.\d{{{exponent}}}(?:,\d+\.\d{{{exponent}}})*")
    for exponent in (1, 2, 3, 4)
}


def _minor_many(texts: list[Any], exponent: int) -> list[int]:
    """``to_minor`` of a whole column at C speed when every amount has exactly the minor
    digits ("330.02"), the wire format; otherwise one by one. A rebuild parses every
    loan's schedule, so this is on its hot path."""
    pattern = _PLAIN_AMOUNTS.get(exponent)
    try:
        joined = ",".join(texts)
    except TypeError:  # not all strings
        joined = ""
    if pattern is not None and joined.isascii() and pattern.fullmatch(joined):
        return list(map(int, joined.replace(".", "").split(",")))
    return [to_minor(t, exponent) for t in texts]


def format_minor(minor: int, exponent: int) -> str:
    """The wire format of an amount: exactly the currency's minor digits ("1250.00")."""
    sign = "-" if minor < 0 else ""
    digits = str(abs(minor))
    if exponent == 0:
        return sign + digits
    digits = digits.rjust(exponent + 1, "0")
    return f"{sign}{digits[:-exponent]}.{digits[-exponent:]}"


class ScheduledInstallment(NamedTuple):
    """Immutable; a named tuple because a rebuild creates one per installment per loan."""

    number: int
    due_date: date
    principal: int
    interest: int
    fee: int
    starts: date  # the interest period this installment closes begins here


@dataclass(frozen=True, slots=True)
class PenaltyTerms:
    annual_rate: Decimal
    grace_days: int
    on_principal_only: bool  # basis "principal"; otherwise the whole overdue installment
    cap: int | None


@dataclass(frozen=True, slots=True)
class LateFeeTerms:
    flat: int | None
    rate: Decimal | None
    on_principal_only: bool


@dataclass(frozen=True, slots=True)
class Contract:
    currency: str
    exponent: int
    principal: int
    annual_rate: Decimal
    day_count: str
    basis: InterestBasis
    rounding: RoundingMode
    start_date: date
    maturity_date: date
    installments: tuple[ScheduledInstallment, ...]
    allocation_order: tuple[int, ...]  # component indexes, contract order
    withheld_fees: int  # taken from the payout (origination fee deducted at disbursement)
    tolerance_days: int
    penalty: PenaltyTerms | None
    late_fee: LateFeeTerms | None

    @property
    def net_disbursement(self) -> int:
        return self.principal - self.withheld_fees

    def money(self, minor: int) -> str:
        return format_minor(minor, self.exponent)

    def fraction(self, start: date, end: date) -> Decimal:
        """Year fraction between two dates on the contract's day count."""
        return year_fraction(self.basis, start, end)


def parse_contract(terms: Mapping[str, Any]) -> Contract:
    """Builds the ledger's view of ``ContractTerms`` (its JSON form) or raises
    InvalidContractError naming the field."""
    try:
        return _parse(terms)
    except (KeyError, TypeError, ValueError, LoanMathError) as exc:
        if isinstance(exc, InvalidContractError):
            raise
        raise InvalidContractError(f"terms cannot be serviced: {exc!r}") from exc


def _parse(terms: Mapping[str, Any]) -> Contract:
    currency = Currency.of(terms["currency"])
    exp = currency.exponent
    start = date.fromisoformat(terms["start_date"])
    rows: list[ScheduledInstallment] = []
    previous = start
    schedule = terms["schedule"]
    amounts = iter(_minor_many(
        [row[k] for row in schedule for k in ("principal", "interest", "fees")], exp))
    for row, principal, interest, fees in zip(schedule, amounts, amounts, amounts,
                                              strict=False):
        due = date.fromisoformat(row["due_date"])
        if due <= previous:
            raise InvalidContractError(f"schedule[{row['number']}]: due dates must increase")
        rows.append(ScheduledInstallment(
            int(row["number"]), due, principal, interest, fees, previous))
        previous = due
    if not rows:
        raise InvalidContractError("schedule: at least one installment is needed")
    principal = to_minor(terms["principal"], exp, "principal")
    if sum(r.principal for r in rows) != principal or principal <= 0:
        raise InvalidContractError("schedule: principal column must sum to the principal")
    withheld = 0
    late_fee: LateFeeTerms | None = None
    for fee in terms.get("fees") or ():
        amount = to_minor(fee["amount"], exp, "fee") if fee.get("amount") is not None else None
        rate = Decimal(fee["rate"]) if fee.get("rate") is not None else None
        if fee["kind"] == "late_payment":
            late_fee = LateFeeTerms(amount, rate, fee["basis"] == "principal")
        elif fee.get("deducted_from_disbursement"):
            withheld += amount if amount is not None else _round(
                Decimal(principal) * (rate or Decimal(0)), terms
            )
    if withheld >= principal:
        raise InvalidContractError("fees: withheld fees must be less than the principal")
    penalty = None
    if terms.get("penalty"):
        p = terms["penalty"]
        penalty = PenaltyTerms(
            Decimal(p["annual_rate"]), int(p["grace_days"]), p["basis"] == "principal",
            to_minor(p["cap"], exp, "penalty.cap") if p.get("cap") is not None else None,
        )
    order = tuple(COMPONENT_INDEX[c] for c in terms.get("allocation_order") or DEFAULT_ORDER)
    if sorted(order) != [0, 1, 2, 3]:
        raise InvalidContractError("allocation_order must name each component once")
    day_count = terms["day_count"]
    return Contract(
        currency=currency.code, exponent=exp, principal=principal,
        annual_rate=Decimal(terms["annual_rate"]), day_count=day_count,
        basis=_DAY_COUNTS[day_count], rounding=_rounding(terms), start_date=start,
        maturity_date=rows[-1].due_date, installments=tuple(rows), allocation_order=order,
        withheld_fees=withheld,
        tolerance_days=int((terms.get("grace") or {}).get("tolerance_days", 0)),
        penalty=penalty, late_fee=late_fee,
    )


def _rounding(terms: Mapping[str, Any]) -> RoundingMode:
    return RoundingMode.parse(str(terms.get("rounding", "half_even")))


def _round(value: Decimal, terms: Mapping[str, Any]) -> int:
    from loanmath import round_minor

    return round_minor(value, _rounding(terms))
