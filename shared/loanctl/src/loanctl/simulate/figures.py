"""The figures a risk manager reads off the simulated book: month by month outstanding and
portfolio at risk, vintage default curves, roll rates by balance, cash in and out, income,
losses and the collections work. Collected after every close from the views the checks
read, so they describe the same settled stack the invariants were checked on."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from loanctl.simulate.book import Book, SimLoan, Stage
from loanctl.simulate.checks import Checker, bucket_for

ROLL_BUCKETS = ("current", "dpd_1_30", "dpd_31_60", "dpd_61_90", "dpd_91_180",
                "dpd_181_plus", "closed", "written_off")


@dataclass
class MonthEnd:
    month: str
    day: date
    loans: int
    outstanding: Decimal
    par1: Decimal
    par30: Decimal
    par90: Decimal
    disbursed: Decimal
    cash_in: Decimal
    written_off: Decimal


@dataclass
class Figures:
    book: Book
    checker: Checker
    months: list[MonthEnd] = field(default_factory=list)
    _standing: dict[str, tuple[str, Decimal]] = field(default_factory=dict)  # month start
    rolls: dict[str, dict[str, Decimal]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(Decimal)))
    _cash_in_mark: Decimal = Decimal(0)
    _disbursed_mark: Decimal = Decimal(0)
    _written_off_mark: Decimal = Decimal(0)

    def record(self, closed: date, business_date: date) -> None:
        if business_date.month != closed.month or business_date.year != closed.year:
            self._month_end(closed)

    def _positions(self) -> dict[str, tuple[str, Decimal]]:
        """Every disbursed loan's bucket (or end state) and outstanding principal now."""
        out: dict[str, tuple[str, Decimal]] = {}
        for loan in self.book.loans:
            if loan.disbursed_on is None:
                continue
            view = self.checker._ledger.get(loan.application_id)
            if loan.stage is Stage.CLOSED:
                out[loan.application_id] = ("closed", Decimal(0))
            elif loan.stage is Stage.WRITTEN_OFF:
                out[loan.application_id] = ("written_off", Decimal(0))
            elif view is not None:
                dpd = int(view.get("days_past_due", 0))
                out[loan.application_id] = (bucket_for(dpd),
                                            Decimal(view["balances"]["principal"]))
        return out

    def _month_end(self, day: date) -> None:
        positions = self._positions()
        outstanding = sum((p for _, p in positions.values()), Decimal(0))

        def at_risk(over: int) -> Decimal:
            total = Decimal(0)
            for loan_id, (_, principal) in positions.items():
                view = self.checker._ledger.get(loan_id) or {}
                if int(view.get("days_past_due", 0)) > over and principal > 0:
                    total += principal
            return _ratio(total, outstanding)

        for loan_id, (bucket, principal) in self._standing.items():
            now = positions.get(loan_id, (bucket, principal))[0]
            self.rolls[bucket][now] += principal
        self._standing = {k: v for k, v in positions.items()
                          if v[0] not in ("closed", "written_off")}
        disbursed = sum((loan.principal for loan in self.book.loans if loan.disbursed_on),
                        Decimal(0))
        written_off = sum((Decimal((self.checker._ledger.get(loan.application_id) or {})
                                   .get("balances", {}).get("written_off", "0"))
                           for loan in self.book.loans if loan.stage is Stage.WRITTEN_OFF),
                          Decimal(0))
        self.months.append(MonthEnd(
            month=day.strftime("%Y-%m"), day=day,
            loans=sum(1 for b, p in positions.values() if p > 0), outstanding=outstanding,
            par1=at_risk(0), par30=at_risk(30), par90=at_risk(90),
            disbursed=disbursed - self._disbursed_mark,
            cash_in=self.book.paid_in - self._cash_in_mark,
            written_off=written_off - self._written_off_mark))
        self._disbursed_mark, self._cash_in_mark = disbursed, self.book.paid_in
        self._written_off_mark = written_off

    def vintages(self, last_day: date) -> dict[str, list[Decimal]]:
        """Per disbursement month: the share of its loans defaulted (90+ days past due, or
        written off) by each month on book."""
        cohorts: dict[str, list[SimLoan]] = defaultdict(list)
        for loan in self.book.loans:
            if loan.cohort is not None:
                cohorts[loan.cohort].append(loan)
        curves: dict[str, list[Decimal]] = {}
        for cohort, loans in sorted(cohorts.items()):
            start = min(loan.disbursed_on for loan in loans if loan.disbursed_on)
            months = max(1, (last_day - start).days // 30)
            curve = []
            for m in range(1, months + 1):
                by = start + timedelta(days=30 * m)
                days = (_default_day(loan) for loan in loans)
                defaulted = sum(1 for d in days if d is not None and d <= by)
                curve.append(_ratio(Decimal(defaulted), Decimal(len(loans))))
            curves[cohort] = curve
        return curves

    def roll_rates(self) -> dict[str, dict[str, Decimal]]:
        """From each bucket at a month end, the share of its principal in each bucket (or
        closed, written off) at the next month end."""
        rates: dict[str, dict[str, Decimal]] = {}
        for start, moves in self.rolls.items():
            total = sum(moves.values(), Decimal(0))
            rates[start] = {b: _ratio(v, total) for b, v in moves.items() if v}
        return rates

    def summary(self) -> dict[str, Any]:
        stages: dict[str, int] = defaultdict(int)
        for loan in self.book.loans:
            stages[loan.stage.value] += 1
        return {"applications": len(self.book.loans), "loans_disbursed": self.book.disbursed,
                "by_stage": dict(sorted(stages.items())),
                "payments": self.book.payments, "paid_in": str(self.book.paid_in),
                "payoff_quotes_paid": self.book.quotes_paid,
                "collections": dict(sorted(self.book.actions.items()))}


def _default_day(loan: SimLoan) -> date | None:
    if loan.stage is Stage.WRITTEN_OFF and loan.closed_on is not None:
        return min(d for d in (loan.defaulted_on, loan.closed_on) if d is not None)
    return loan.defaulted_on


def _ratio(part: Decimal, whole: Decimal) -> Decimal:
    return (part / whole).quantize(Decimal("0.0001")) if whole else Decimal(0)
