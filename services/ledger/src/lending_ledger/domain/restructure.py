"""Restructuring a loan: the request, the waiver order, and the new terms re-amortised with
loanmath. Pure: standard library + loanmath.

A restructure is a cut at its effective date. What the borrower owes then (principal, and
interest, fees and penalties recognised and unpaid) is first reduced by the waiver (penalties,
fees, interest, then principal), then either capitalised (interest, fees and penalties become
principal) or carried, due with the first new installment. The principal is re-amortised
from the effective date over the new count, frequency, rate and first due date. A settlement
is one installment of the agreed amount, no interest, everything above it waived.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from lending_ledger.domain.contract import (
    FEE,
    INTEREST,
    PENALTY,
    PRINCIPAL,
    Contract,
    ScheduledInstallment,
    parse_contract,
)
from lending_ledger.domain.errors import InvalidLoanStateError
from loanmath import (
    AmortizationMethod,
    Currency,
    Frequency,
    LoanMathError,
    LoanTerms,
    Money,
    build_schedule,
    schedule_apr,
)

RESCHEDULE, RESTRUCTURE, SETTLEMENT = "reschedule", "restructure", "settlement"
KINDS = (RESCHEDULE, RESTRUCTURE, SETTLEMENT)
WAIVER_ORDER = (PENALTY, FEE, INTEREST, PRINCIPAL)
_TERM_UNIT = {"daily": ("day", 1), "weekly": ("week", 1), "biweekly": ("week", 2),
              "monthly": ("month", 1)}
_RATE_PLACES = Decimal("0.0001")


@dataclass(frozen=True)
class RestructureRequest:
    """RestructureRequested in the ledger's terms (amounts in minor units)."""

    restructure_id: str
    request_id: str
    kind: str
    effective_date: date
    currency: str
    new_annual_rate: Decimal | None = None
    new_installment_count: int | None = None
    new_frequency: str | None = None
    first_due_date: date | None = None
    capitalize_arrears: bool = False
    waive_amount: int = 0
    settlement_amount: int | None = None


def waive_in_order(owed: list[int], amount: int) -> list[int]:
    """How much of each component (principal, interest, fee, penalty) ``amount`` waives."""
    waived = [0, 0, 0, 0]
    left = amount
    for component in WAIVER_ORDER:
        waived[component] = min(owed[component], left)
        left -= waived[component]
    return waived


def check_request(r: RestructureRequest, contract: Contract, owed: list[int]) -> None:
    """Refuses what cannot be booked, naming the parameter."""
    if r.kind not in KINDS:
        raise InvalidLoanStateError(f"kind: unknown restructure kind {r.kind!r}")
    if r.currency != contract.currency:
        raise InvalidLoanStateError(
            f"currency: the request is in {r.currency}, the loan in {contract.currency}")
    if r.first_due_date is not None and r.first_due_date <= r.effective_date:
        raise InvalidLoanStateError("first_due_date: must be after the effective date")
    if r.waive_amount < 0 or r.waive_amount > sum(owed):
        raise InvalidLoanStateError("waive_amount: must be between 0 and what is owed")
    if r.new_annual_rate is not None and r.new_annual_rate > contract.annual_rate:
        # collections never asks for it; a request that does is refused here too
        raise InvalidLoanStateError(f"new_annual_rate: {r.new_annual_rate} is above the "
                                    f"loan's rate {contract.annual_rate}; a restructure "
                                    "never raises it")
    if r.kind == RESCHEDULE and r.new_annual_rate is not None \
            and r.new_annual_rate != contract.annual_rate:
        raise InvalidLoanStateError("new_annual_rate: a reschedule keeps the rate "
                                    "(use kind restructure)")
    if r.kind == SETTLEMENT:
        if r.settlement_amount is None or r.settlement_amount <= 0:
            raise InvalidLoanStateError("settlement_amount: a settlement needs a positive amount")
        if r.settlement_amount > sum(owed):
            raise InvalidLoanStateError("settlement_amount: more than what is owed")
    elif r.settlement_amount is not None:
        raise InvalidLoanStateError("settlement_amount: only for kind settlement")


def new_terms(
    current: dict[str, Any], contract: Contract, r: RestructureRequest, *, principal: int,
    remaining_installments: int, carried: tuple[int, int, int],
) -> dict[str, Any]:
    """ContractTerms JSON from the effective date: the current terms with the request's
    parameters, the schedule rebuilt by loanmath for ``principal``; the carried interest
    (and fees and penalties) are due with the first installment."""
    settlement = r.kind == SETTLEMENT
    frequency = r.new_frequency or current["frequency"]
    if frequency not in _TERM_UNIT:
        raise InvalidLoanStateError(f"new_frequency: {frequency!r} cannot be re-amortised")
    rate = Decimal(0) if settlement else (
        r.new_annual_rate if r.new_annual_rate is not None else contract.annual_rate)
    count = 1 if settlement else (r.new_installment_count or max(1, remaining_installments))
    if principal <= 0:
        raise InvalidLoanStateError("no principal left to re-amortise")
    try:
        schedule = build_schedule(LoanTerms(
            principal=Money(principal, Currency.of(contract.currency)), annual_rate=rate,
            term=count, frequency=Frequency.parse(frequency), start=r.effective_date,
            method=_method(current), interest_basis=contract.basis, rounding=contract.rounding,
            first_due=r.first_due_date,
        ))
    except LoanMathError as exc:
        raise InvalidLoanStateError(f"the new schedule cannot be built: {exc}") from exc
    money = contract.money
    carried_interest, carried_fees = carried[0], carried[1] + carried[2]
    rows = []
    for k, row in enumerate(schedule.installments):
        interest = row.interest.minor + (carried_interest if k == 0 else 0)
        fees = carried_fees if k == 0 else 0
        rows.append({
            "number": k + 1, "due_date": row.due_date.isoformat(),
            "principal": money(row.principal.minor), "interest": money(interest),
            "fees": money(fees), "total": money(row.principal.minor + interest + fees),
            "principal_balance_after": money(row.balance_after.minor),
        })
    total_interest = sum(i.interest.minor for i in schedule.installments) + carried_interest
    unit, per = _TERM_UNIT[frequency]
    return {
        **current,
        "principal": money(principal), "annual_rate": str(rate), "frequency": frequency,
        "term": {"count": count * per, "unit": unit},
        "start_date": r.effective_date.isoformat(), "first_due_date": rows[0]["due_date"],
        "maturity_date": rows[-1]["due_date"],
        "fees": [f for f in current.get("fees") or () if not f.get("deducted_from_disbursement")],
        "schedule": rows, "apr": str(_apr(schedule, current, rate)),
        "total_interest": money(total_interest), "total_fees": money(carried_fees),
        "total_cost": money(total_interest + carried_fees),
        "total_repayable": money(principal + total_interest + carried_fees),
    }


def restructured_contract(
    before: Contract, terms: dict[str, Any], carried: list[int], base: int
) -> Contract:
    """The contract the account services after a restructure: the old installments (settled
    by then) followed by the new ones, numbered on from ``base``; each installment's
    ``interest`` and ``fee`` are the scheduled amounts only (the carried ones were already
    recognised), the payout figures stay those of the booking."""
    parsed = parse_contract(terms)
    rows = []
    for k, row in enumerate(parsed.installments):
        interest = row.interest - (carried[INTEREST] if k == 0 else 0)
        fee = row.fee - (carried[FEE] + carried[PENALTY] if k == 0 else 0)
        rows.append(ScheduledInstallment(base + k + 1, row.due_date, row.principal, interest,
                                         fee, row.starts))
    return replace(parsed, installments=before.installments + tuple(rows),
                   principal=before.principal, withheld_fees=before.withheld_fees,
                   start_date=before.start_date)


def _method(terms: dict[str, Any]) -> AmortizationMethod:
    if terms["amortization"] == "bullet":
        return AmortizationMethod.BULLET
    if terms.get("interest_method") == "flat":
        return AmortizationMethod.FLAT
    return {"equal_installments": AmortizationMethod.ANNUITY,
            "equal_principal": AmortizationMethod.EQUAL_PRINCIPAL,
            "interest_only": AmortizationMethod.INTEREST_ONLY}[terms["amortization"]]


def _apr(schedule: Any, terms: dict[str, Any], rate: Decimal) -> Decimal:
    if rate == 0:
        return Decimal("0.0000")
    try:
        result = schedule_apr(schedule)
    except LoanMathError:
        return rate.quantize(_RATE_PLACES)
    apr = result.effective_annual_rate if terms.get("apr_method") == "effective" else result.apr
    return apr.quantize(_RATE_PLACES)

