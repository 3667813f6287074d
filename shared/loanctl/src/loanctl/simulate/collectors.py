"""The collections team at work: a collector calls the borrowers whose cases are due for a
call, records the promises they make and proposes a new schedule to those who would take
one; a second collector approves what the first proposed (maker-checker), and an admin
approves the write-offs the day close recommends. How each borrower answers is drawn from
their behaviour, seeded by the borrower and the day."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from loanctl.simulate.api import Api
from loanctl.simulate.book import Book, SimLoan, Stage
from loanctl.simulate.keys import Keys

CALL_FROM_DPD = 8
CALL_EVERY_DAYS = 7
RESTRUCTURE_FROM_DPD = 30
EXTRA_INSTALLMENTS = 6


@dataclass
class Collectors:
    api: Api
    keys: Keys
    book: Book
    seed: int
    _new_schedules: set[str] = field(default_factory=set)

    def needs_new_schedule(self, loan: SimLoan) -> bool:
        """True once after the loan's restructure was approved: the borrower rereads it."""
        if loan.application_id in self._new_schedules:
            self._new_schedules.discard(loan.application_id)
            return True
        return False

    async def work(self, today: date) -> int:
        done = 0
        for case in await self._open_cases():
            loan = self.book.by_id.get(case["loan_id"])
            if loan is None or loan.stage is not Stage.ACTIVE:
                continue
            done += await self._call(case, loan, today)
            done += await self._propose(case, loan, today)
        done += await self._decide_proposals(today)
        return done

    async def _open_cases(self) -> list[dict[str, Any]]:
        cases: list[dict[str, Any]] = []
        cursor = None
        while True:
            params: dict[str, Any] = {"status": "open", "limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = (await self.api.get("collections", "/v1/cases", self.keys.collector.key,
                                       params)).expect("the open cases")
            cases.extend(page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return sorted(cases, key=lambda c: str(c["loan_id"]))

    def _rng(self, what: str, loan: SimLoan, today: date) -> random.Random:
        return random.Random(f"{what}:{self.seed}:{loan.borrower.number}:{today}")

    async def _call(self, case: dict[str, Any], loan: SimLoan, today: date) -> int:
        if case["days_past_due"] < CALL_FROM_DPD:
            return 0
        if loan.last_call is not None and (today - loan.last_call).days < CALL_EVERY_DAYS:
            return 0
        rng, b = self._rng("call", loan, today), loan.borrower
        reached = rng.random() < b.answers_calls
        promises = reached and rng.random() < 0.6
        outcome = "promise_made" if promises else "contacted" if reached else "no_answer"
        path = f"/v1/cases/{case['case_id']}"
        answer = await self.api.post("collections", path + "/contacts", self.keys.collector.key, {
            "channel": "call", "outcome": outcome, "stage": "call",
            "reason": "simulated collector: scheduled call"}, retry=False)
        if answer.status == 409:  # the contact limit for the week is reached
            self.book.count("call_refused_contact_limit")
            return 0
        if not answer.ok:
            raise RuntimeError(f"contact on {case['case_id']}: {answer.problem()}")
        loan.last_call = today
        self.book.count(f"call_{outcome}")
        if promises:
            amount = Decimal(case["overdue_amount"])
            on = today + timedelta(days=rng.randint(2, 7))
            made = await self.api.post("collections", path + "/promises",
                                       self.keys.collector.key, {
                                           "amount": str(amount), "currency": case["currency"],
                                           "promised_date": on.isoformat(),
                                           "reason": "simulated collector: borrower promised"},
                                       retry=False)
            if made.ok and amount > 0:
                self.book.count("promise_recorded")
                if rng.random() < b.keeps_promises:
                    loan.promises[on] = loan.promises.get(on, Decimal(0)) + amount
        return 1

    async def _propose(self, case: dict[str, Any], loan: SimLoan, today: date) -> int:
        if (loan.proposed or loan.restructured or case["days_past_due"] < RESTRUCTURE_FROM_DPD
                or not loan.borrower.accepts_restructure):
            return 0
        remaining = sum(1 for due in loan.schedule if due.due_date > today)
        answer = await self.api.post(
            "collections", f"/v1/cases/{case['case_id']}/proposals", self.keys.collector.key, {
                "kind": "reschedule", "effective_date": today.isoformat(),
                "new_installment_count": max(1, remaining) + EXTRA_INSTALLMENTS,
                "capitalize_arrears": True,
                "reason": "simulated collector: the borrower asked for a longer plan"},
            retry=False)
        loan.proposed = True
        if answer.ok:
            self.book.count("restructure_proposed")
            return 1
        self.book.count(f"restructure_refused_{answer.status}")
        return 0

    async def _decide_proposals(self, today: date) -> int:
        page = (await self.api.get("collections", "/v1/proposals", self.keys.checker.key,
                                   {"status": "proposed", "limit": 500})
                ).expect("the proposals to decide")
        decided = 0
        for proposal in sorted(page["items"], key=lambda p: str(p["loan_id"])):
            loan = self.book.by_id.get(proposal["loan_id"])
            if loan is None:
                continue
            approver = self.keys.admin if proposal["kind"] == "write_off" else self.keys.checker
            result = await self.api.post(
                "collections", f"/v1/proposals/{proposal['proposal_id']}/approve",
                approver.key, {"reason": "simulated approver: within policy"}, retry=False)
            if not result.ok:
                self.book.count(f"{proposal['kind']}_approval_refused_{result.status}")
                continue
            decided += 1
            self.book.count(f"{proposal['kind']}_approved")
            if proposal["kind"] != "write_off":
                loan.restructured = True
                self._new_schedules.add(loan.application_id)
        return decided
