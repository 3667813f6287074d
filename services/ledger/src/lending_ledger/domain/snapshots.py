"""A loan account as plain JSON: snapshots (to skip replaying long streams) and the read
model the API serves. ``restore(snapshot(a))`` equals ``a``; a test replays both ways."""

from __future__ import annotations

from datetime import date
from typing import Any

from lending_ledger.domain.contract import COMPONENTS, FEE, PRINCIPAL, parse_contract
from lending_ledger.domain.loan_account import LoanAccount, Payment
from lending_ledger.domain.restructure import restructured_contract

SNAPSHOT_VERSION = 1
_SCALARS = (
    "version", "status", "seq", "credit", "cash_in", "cash_out", "recognized_interest",
    "recognized_fees", "late_fees", "penalties", "withheld", "recoveries",
)
_SINCE_RESTRUCTURE = ("schedule_base", "interest_base", "fees_base", "restructure_seq")


def _iso(d: date | None) -> str | None:
    return d.isoformat() if d else None


def _day(s: str | None) -> date | None:
    return date.fromisoformat(s) if s else None


def snapshot(a: LoanAccount) -> dict[str, Any]:
    state: dict[str, Any] = {name: getattr(a, name) for name in _SCALARS}
    state.update(
        v=SNAPSHOT_VERSION, loan_id=a.loan_id, terms=a.terms, booking=a.booking, due=a.due,
        paid=a.paid, due_total=a.due_total, paid_total=a.paid_total,
        written_off=a.written_off, waived=a.waived, capitalized=a.capitalized,
        restructures=a.restructures, restructured_at=_iso(a.restructured_at),
        **{name: getattr(a, name) for name in _SINCE_RESTRUCTURE},
        payout_on=_iso(a.payout_on), disbursed_on=_iso(a.disbursed_on),
        accrued_through=_iso(a.accrued_through), closed_on=_iso(a.closed_on),
        late_fee_charged=sorted(a.late_fee_charged), payoff=a.payoff,
        late_fees_on=sorted(a.late_fees_on.items()),
        payments=[
            [p.payment_id, p.seq, p.amount, p.value_date.isoformat(), p.lines, p.overpayment,
             p.reversed]
            for p in a.payments.values()
        ],
    )
    return state


def restore(state: dict[str, Any]) -> LoanAccount:
    a = LoanAccount(state["loan_id"])
    for name in _SCALARS:
        setattr(a, name, state[name])
    a.terms = state["terms"]
    a.contract = parse_contract(a.terms) if a.terms else None
    a.booking = state["booking"]
    a.due, a.paid = state["due"], state["paid"]
    a.due_total, a.paid_total = state["due_total"], state["paid_total"]
    a.written_off = state["written_off"]
    # snapshots written before restructures existed lack these keys
    a.waived = state.get("waived", [0, 0, 0, 0])
    a.capitalized = state.get("capitalized", [0, 0, 0, 0])
    a.restructures = state.get("restructures", [])
    a.restructured_at = _day(state.get("restructured_at"))
    for name in _SINCE_RESTRUCTURE:
        setattr(a, name, state.get(name, 0))
    for r in a.restructures:
        assert a.contract is not None
        a.contract = restructured_contract(a.contract, r["new_terms"], r["carried"], r["base"])
    a.payout_on = _day(state.get("payout_on"))  # absent from snapshots before anchoring
    a.disbursed_on = _day(state["disbursed_on"])
    a.accrued_through = _day(state["accrued_through"])
    a.closed_on = _day(state["closed_on"])
    a.late_fee_charged = set(state["late_fee_charged"])
    a.payoff = state.get("payoff")  # absent from snapshots before payoffs existed
    if "late_fees_on" in state:
        a.late_fees_on = {int(n): int(amount) for n, amount in state["late_fees_on"]}
    else:  # a snapshot from before it was kept
        a.late_fees_on = _late_fees_from_dues(a)
    a.payments = {
        p[0]: Payment(p[0], p[1], p[2], date.fromisoformat(p[3]), p[4], p[5], p[6])
        for p in state["payments"]
    }
    return a


def _late_fees_from_dues(a: LoanAccount) -> dict[int, int]:
    """Each current installment's late fee, from what its fee column owes beyond the
    contract's fee (and a restructure's carried fees), a payoff in force added back."""
    c = a.contract
    if c is None:
        return {}
    base, carried = a.schedule_base, a.carried()
    taken_off: dict[int, int] = {}
    for line in (a.payoff or {}).get("removed", []) + (a.payoff or {}).get("waived", []):
        n, component, amount = line
        if component == FEE:
            taken_off[n] = taken_off.get(n, 0) + amount
    found = {}
    for n in a.late_fee_charged:
        if n <= base or n > len(c.installments):
            continue  # an earlier schedule's: settled at the restructure, no longer counted
        stated = c.installments[n - 1].fee + (carried[FEE] if n == base + 1 else 0)
        found[n] = max(0, a.due[n - 1][FEE] + taken_off.get(n, 0) - stated)
    return found


def read_model(a: LoanAccount) -> dict[str, Any]:
    """What GET /v1/loans/{id} shows (days past due are computed at read time)."""
    c = a.contract
    if c is None:
        return {"loan_id": a.loan_id, "status": a.status, "version": a.version}
    money = c.money
    p, i, f, pen = a.receivables()
    installments = []
    for k, row in enumerate(c.installments):
        due, paid = a.due[k], a.paid[k]
        installments.append({
            "number": row.number, "due_date": row.due_date.isoformat(),
            "due": {name: money(due[n]) for n, name in enumerate(COMPONENTS)},
            "paid": {name: money(paid[n]) for n, name in enumerate(COMPONENTS)},
            "unpaid": {name: money(due[n] - paid[n]) for n, name in enumerate(COMPONENTS)},
            "settled": sum(due) == sum(paid),
        })
    nxt = a.next_due()
    disbursed = c.principal if a.disbursed_on is not None else 0
    return {
        "loan_id": a.loan_id, "status": a.status, "version": a.version,
        "currency": c.currency, "principal": money(c.principal),
        "booked_on": a.booking.get("booked_on"), "disbursed_on": _iso(a.disbursed_on),
        "closed_on": _iso(a.closed_on), "accrued_through": _iso(a.accrued_through),
        "balances": {
            "principal": money(p), "interest": money(i), "fees": money(f),
            "penalties": money(pen), "total": money(p + i + f + pen),
            "scheduled_unpaid": money(a.outstanding_total()),
            "credit_balance": money(a.credit),
            "written_off": money(sum(a.written_off)), "recovered": money(a.recoveries),
            "waived": money(sum(a.waived)), "capitalized": money(sum(a.capitalized)),
            "total_paid": money(a.total_paid()),
            # principal disbursed + capitalised - waived - repaid - written off = principal
            "principal_disbursed": money(disbursed),
            "principal_capitalized": money(sum(a.capitalized)),
            "principal_waived": money(a.waived[PRINCIPAL]),
            "principal_repaid": money(a.paid_total[PRINCIPAL]),
            "principal_written_off": money(a.written_off[PRINCIPAL]),
        },
        "paid_to_schedule": money(a.paid_to_schedule()),
        "next_due": None if nxt is None else {
            "installment_number": nxt.installment_number,
            "due_date": nxt.due_date.isoformat(), "amount_due": money(nxt.amount_due)},
        "installments": installments,
    }
