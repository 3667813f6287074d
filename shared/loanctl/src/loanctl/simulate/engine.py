"""The day loop: each business day the partners submit, the underwriter decides referrals,
borrowers answer offers and pay, collectors work their cases, ops close the day; after each
step the run waits for the stack to settle, and after the close it checks the invariants.
"""

from __future__ import annotations

import asyncio
import math
import random
import sys
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from loanctl.simulate.api import Api
from loanctl.simulate.behaviour import Behaviour, OfferResponse, draw_borrower
from loanctl.simulate.book import Book, Due, SimLoan, Stage
from loanctl.simulate.chaos import Chaos
from loanctl.simulate.checks import Checker
from loanctl.simulate.collectors import Collectors
from loanctl.simulate.figures import Figures
from loanctl.simulate.keys import Keys
from loanctl.simulate.population import Product, application_for
from loanctl.simulate.repayment import Intent, Kind, intents
from loanctl.simulate.settle import Settler

ACCEPT_SHARE_FOR_PLANNING = Decimal("0.5")  # of applications that become loans, roughly


@dataclass(frozen=True)
class Plan:
    loans: int
    months: int
    seed: int
    mix: dict[Behaviour, float]
    products: tuple[str, ...] | None  # None: every product the catalogue offers
    arrivals_per_day: int | None
    days: int | None = None  # business days to live instead of whole months


@dataclass
class DayProgress:
    day: date
    days_done: int
    days_total: int
    loans: int
    events_per_second: float
    violations: int


@dataclass
class Simulation:
    plan: Plan
    api: Api
    keys: Keys
    on_day: Callable[[DayProgress], None] = lambda progress: None
    book: Book = field(default_factory=Book)
    findings: list[str] = field(default_factory=list)  # answers a partner would not expect
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    timings: dict[str, float] = field(default_factory=dict)  # seconds spent, by phase
    next_borrower: int = 0
    days_lived: int = 0
    loan_days: int = 0  # loans on the book summed over the days lived: the run's work
    verify: bool = True  # `loanctl ledger verify` at the end (needs the ledger's database)
    chaos: bool = False
    say: Callable[[str], None] = lambda line: None

    def __post_init__(self) -> None:
        self.settler = Settler(self.api, self.keys.admin.key)
        self.checker = Checker(self.api, self.keys, self.book)
        self.collectors = Collectors(self.api, self.keys, self.book, self.plan.seed)
        self.figures = Figures(self.book, self.checker)
        self.products: list[Product] = []
        self.first_day: date | None = None
        self.kills: Chaos | None = None
        self.last_day: date | None = None

    # ---------------------------------------------------------------- the run
    async def run(self) -> None:
        await self.settler.quiet()  # the keys issued for this run reach every service
        await self.checker.start()
        self.products = await self._catalogue()
        today = await self._business_date()
        self.first_day = today
        end = (today + timedelta(days=self.plan.days) if self.plan.days
               else _add_months(today, self.plan.months))
        days_total = (end - today).days
        per_day = self.plan.arrivals_per_day or _default_arrivals(self.plan, days_total)
        self.kills = Chaos(self.plan.seed, days_total, say=self.say) if self.chaos else None
        done = 0
        while today < end:
            if self.kills is not None:
                self.kills.day_started(done)
            await self._live(today, per_day)
            today = await self._close(today)
            done += 1
            self.days_lived, self.loan_days = done, self.loan_days + len(
                self.book.at(Stage.ACTIVE))
            self.on_day(DayProgress(today, done, days_total, self.book.disbursed, 0.0,
                                    len(self.checker.violations)))
        self.last_day = today
        if self.kills is not None:
            await self.kills.close()
            await self._settle("chaos")
        async with self._timed("checks"):
            await self.checker.finish(today, await verify_ledger() if self.verify else None)

    async def _live(self, today: date, per_day: int) -> None:
        async with self._timed("arrivals"):
            await self._arrivals(today, per_day)
        await self._settle("arrivals")
        async with self._timed("decisions"):
            await self._read_decisions(today)
            referred = await self._underwrite(today)
        if referred:
            await self._settle("referrals")
            async with self._timed("decisions"):
                await self._read_decisions(today)
        async with self._timed("offers"):
            await self._answer_offers(today)
        await self._settle("offers")
        async with self._timed("disbursements"):
            await self._read_disbursements(today)
        async with self._timed("payments"):
            await self._pay(today)
        await self._settle("payments")
        async with self._timed("collections"):
            worked = await self.collectors.work(today)
        if worked:
            await self._settle("collections")

    async def _settle(self, after: str) -> None:
        async with self._timed(f"settle after {after}"):
            await self.settler.quiet()

    @asynccontextmanager
    async def _timed(self, phase: str) -> AsyncIterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.timings[phase] = self.timings.get(phase, 0.0) + time.perf_counter() - started

    async def _close(self, today: date) -> date:
        async with self._timed("close"):
            answer = await self.api.post(
                "servicing", "/v1/admin/business-day/close", self.keys.admin.key,
                {"as_of": today.isoformat(), "allow_future_date": True}, retry=True)
        closed = answer.expect(f"the close of {today}")
        await self._settle("close")
        tomorrow = date.fromisoformat(closed["business_date"])
        async with self._timed("checks"):
            await self._read_outcomes(today)
            await self.checker.after_close(today, tomorrow)
            self.figures.record(today, tomorrow)
        return tomorrow

    # ---------------------------------------------------------------- partners
    async def _catalogue(self) -> list[Product]:
        catalogue = (await self.api.get("intake", "/v1/products", self.keys.partners[0].key)
                     ).expect("the product catalogue")
        products = [Product.from_catalogue(p) for p in catalogue["items"]]
        if self.plan.products is not None:
            unknown = set(self.plan.products) - {p.code for p in products}
            if unknown:
                raise ValueError(f"--products: not in the catalogue: {', '.join(unknown)}")
            products = [p for p in products if p.code in self.plan.products]
        return products

    async def _business_date(self) -> date:
        calendar = (await self.api.get("servicing", "/v1/admin/business-day",
                                       self.keys.admin.key)).expect("the business day")
        return date.fromisoformat(calendar["business_date"])

    async def _arrivals(self, today: date, per_day: int) -> None:
        booked = len(self.book.at(Stage.ACCEPTED, Stage.ACTIVE, Stage.CLOSED,
                                  Stage.WRITTEN_OFF, Stage.DISBURSEMENT_FAILED))
        if booked >= self.plan.loans:
            return
        first = self.next_borrower
        self.next_borrower += per_day
        for number in range(first, first + per_day):
            rng = random.Random(f"arrival:{self.plan.seed}:{number}")
            product = self.products[number % len(self.products)] if number < len(
                self.products) else rng.choice(self.products)
            partner = self.keys.partners[number % len(self.keys.partners)]
            borrower = draw_borrower(self.plan.seed, number, self.plan.mix)
            body = application_for(self.plan.seed, number, product, today)
            answer = await self.api.post(
                "intake", "/v1/applications", partner.key, body,
                idempotency_key=f"sim-{self.run_id}-{number}")
            if answer.status != 202:
                self.findings.append(f"{today} application of borrower {number} "
                                     f"({product.code}) answered {answer.status}: "
                                     f"{answer.problem()}")
                continue
            self.book.add(SimLoan(borrower, product.code, partner, answer.body["id"], today,
                                  currency=product.currency))

    async def _status(self, loan: SimLoan) -> dict[str, Any]:
        answer = await self.api.get("intake", f"/v1/applications/{loan.application_id}",
                                    loan.partner.key)
        if not answer.ok:
            raise RuntimeError(f"GET application {loan.application_id}: {answer.problem()}")
        return dict(answer.body)

    async def _read_decisions(self, today: date) -> None:
        for loan in self.book.at(Stage.SUBMITTED, Stage.REFERRED):
            app = await self._status(loan)
            status = app["status"]
            if status == "approved":
                loan.stage, loan.offer, loan.offered_on = Stage.APPROVED, app["offer"], today
            elif status == "declined":
                loan.stage = Stage.DECLINED
            elif status == "referred":
                loan.stage = Stage.REFERRED

    async def _underwrite(self, today: date) -> int:
        """The underwriter works the referral queue: approves most, declines some."""
        mine = {loan.application_id: loan for loan in self.book.at(Stage.REFERRED)}
        if not mine:
            return 0
        queue = (await self.api.get("underwriting", "/v1/referrals", self.keys.underwriter.key,
                                    {"status": "open", "limit": 500})).expect("the referrals")
        decided = 0
        for referral in queue["items"]:
            loan = mine.get(referral["application_id"])
            if loan is None:
                continue
            approve = random.Random(f"referral:{self.plan.seed}:{loan.borrower.number}"
                                    ).random() < 0.7
            body = {"outcome": "approve" if approve else "decline",
                    "note": "simulated underwriter: file reviewed",
                    "reason_codes": [] if approve else ["underwriter_declined"]}
            result = await self.api.post(
                "underwriting", f"/v1/referrals/{referral['referral_id']}/decision",
                self.keys.underwriter.key, body, retry=True)
            if result.ok or result.status == 409:
                decided += 1
            else:
                self.findings.append(f"{today} referral of {loan.application_id}: "
                                     f"{result.status} {result.problem()}")
        return decided

    async def _answer_offers(self, today: date) -> None:
        for loan in self.book.at(Stage.APPROVED):
            if loan.offered_on != today:
                continue  # answered (or ignored) on the day it came
            response = loan.borrower.offer_response
            if response is OfferResponse.ACCEPT:
                await self._accept(loan, today)
            elif response is OfferResponse.DECLINE:
                answer = await self.api.post(
                    "intake", f"/v1/applications/{loan.application_id}/withdrawal",
                    loan.partner.key, {"reason": "borrower_request"}, retry=True)
                if answer.ok:
                    loan.stage = Stage.WITHDRAWN
                else:
                    self.findings.append(f"{today} withdrawal of {loan.application_id}: "
                                         f"{answer.status} {answer.problem()}")

    async def _accept(self, loan: SimLoan, today: date) -> None:
        offer = loan.offer or {}
        body = {"offer_id": offer["offer_id"], "terms_version": "2025-01",
                "accepted_at": _utc_now(), "disclosure_sha256": offer["disclosure_sha256"],
                "ip_address": "10.0.0.1", "device_id": f"sim-device-{loan.borrower.number}"}
        answer = await self.api.post(
            "intake", f"/v1/applications/{loan.application_id}/offer/acceptance",
            loan.partner.key, body, idempotency_key=f"sim-{self.run_id}-accept-"
            f"{loan.borrower.number}")
        if answer.ok:
            loan.stage = Stage.ACCEPTED
        else:
            self.findings.append(f"{today} acceptance of {loan.application_id}: "
                                 f"{answer.status} {answer.problem()}")

    async def _read_disbursements(self, today: date) -> None:
        for loan in self.book.at(Stage.ACCEPTED):
            app = await self._status(loan)
            if app["status"] == "disbursed":
                await self._activate(loan, today)
            elif app["status"] in ("disbursement_failed", "withdrawn", "expired"):
                loan.stage = Stage.DISBURSEMENT_FAILED

    async def _activate(self, loan: SimLoan, today: date) -> None:
        view = await self.servicing_view(loan)
        ledger = (await self.api.get("ledger", f"/v1/loans/{loan.application_id}",
                                     self.keys.admin.key)).expect("the ledger's loan")
        # The money may have gone out on an earlier business day than the run noticed.
        disbursed_on = date.fromisoformat(ledger.get("disbursed_on") or today.isoformat())
        loan.stage = Stage.ACTIVE
        loan.disbursed_on = disbursed_on
        loan.principal = Decimal(view["principal"])
        loan.schedule = _schedule(view)
        self.checker.born(loan, view, disbursed_on)

    async def _read_outcomes(self, today: date) -> None:
        """After the close, the offers left open past their expiry: the run notices. Only
        offers whose expiry has passed (by the business date or the wall clock) are read."""
        for loan in self.book.at(Stage.APPROVED):
            if not _expiry_passed(loan.offer or {}, today):
                continue
            app = await self._status(loan)
            if app["status"] == "expired":
                loan.stage = Stage.EXPIRED
            elif app["status"] == "withdrawn":
                loan.stage = Stage.WITHDRAWN

    # ---------------------------------------------------------------- borrowers
    async def servicing_view(self, loan: SimLoan) -> dict[str, Any]:
        answer = await self.api.get("servicing", f"/v1/loans/{loan.application_id}",
                                    loan.partner.key)
        if not answer.ok:
            raise RuntimeError(f"GET servicing loan {loan.application_id}: "
                               f"{answer.status} {answer.problem()}")
        return dict(answer.body)

    async def _pay(self, today: date) -> None:
        for loan in self.book.at(Stage.ACTIVE):
            if loan.restructured and self.collectors.needs_new_schedule(loan):
                loan.schedule = _schedule(await self.servicing_view(loan))
                loan.acted_on = sum(1 for d in loan.schedule if d.due_date < today)
            wanted = intents(loan, today)
            if not wanted:
                continue
            view = await self.servicing_view(loan)
            if view["status"] != "active":
                continue
            for intent in wanted:
                await self._pay_one(loan, view, intent, today)

    async def _pay_one(self, loan: SimLoan, view: dict[str, Any], intent: Intent,
                       today: date) -> None:
        cur = view["currency"]
        quote_id = None
        if intent.kind is Kind.SETTLE:
            answer = await self.api.get("servicing", f"/v1/loans/{loan.application_id}/payoff",
                                        loan.partner.key, {"as_of": today.isoformat()})
            if not answer.ok:
                self.findings.append(f"{today} payoff quote of {loan.application_id}: "
                                     f"{answer.status} {answer.problem()}")
                return
            amount, quote_id = Decimal(answer.body["amount"]["total"]), answer.body["quote_id"]
        elif intent.kind is Kind.PROMISED:
            amount = intent.amount or Decimal(0)
        elif intent.kind is Kind.EXTRA:
            amount = Decimal(view["outstanding"]["principal"]) * intent.share
        else:
            amount = due_now(view, today) * intent.share
        amount = amount.quantize(Decimal("0.01"), ROUND_HALF_UP)
        if amount <= 0:
            return
        number = self.book.payments
        body = {"amount": str(amount), "currency": cur, "value_date": today.isoformat(),
                "channel": "bank_transfer", "external_reference": f"sim-{number}",
                "payoff_quote_id": quote_id}
        answer = await self.api.post(
            "servicing", f"/v1/loans/{loan.application_id}/payments", loan.partner.key, body,
            idempotency_key=f"sim-{self.run_id}-pay-{number}")
        self.book.payments += 1
        if answer.status != 202:
            self.findings.append(f"{today} payment of {amount} {cur} ({intent.kind}) on "
                                 f"{loan.application_id}: {answer.status} {answer.problem()}")
            return
        self.book.paid_in += amount
        if quote_id is not None:
            loan.settled_by_quote = quote_id
            self.book.quotes_paid += 1
            self.checker.quote_paid(loan, quote_id, today)


async def verify_ledger() -> list[str]:
    """`loanctl ledger verify`: empty when the projections equal the replayed events."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "loanctl.main", "ledger", "verify", "--quiet",
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await process.communicate()
    if process.returncode == 0:
        return []
    return [line for line in (err or out).decode().splitlines() if line.strip()][:20]


def due_now(view: dict[str, Any], today: date) -> Decimal:
    """What a borrower owes today: every installment due by today, unpaid, and penalties."""
    due = sum((Decimal(i["unpaid"]) for i in view["installments"]
               if date.fromisoformat(i["due_date"]) <= today), Decimal(0))
    return due + Decimal(view["outstanding"]["penalties"])


def _schedule(view: dict[str, Any]) -> list[Due]:
    return [Due(int(i["number"]), date.fromisoformat(i["due_date"]), Decimal(i["total"]))
            for i in view["installments"]]


def _default_arrivals(plan: Plan, days: int) -> int:
    window = max(1, days * 2 // 3)  # the book arrives over the first two thirds of the run
    return max(1, math.ceil(plan.loans / float(ACCEPT_SHARE_FOR_PLANNING) / window))


def _add_months(day: date, months: int) -> date:
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    for dom in (day.day, 30, 29, 28):
        try:
            return date(year, month, min(dom, day.day))
        except ValueError:
            continue
    raise ValueError(day)


def _expiry_passed(offer: dict[str, Any], today: date) -> bool:
    from datetime import UTC, datetime

    expires = offer.get("expires_at")
    if expires is None:
        return True
    at = datetime.fromisoformat(str(expires))
    return at.date() <= today or at <= datetime.now(UTC)


def _utc_now() -> str:
    from datetime import UTC, datetime

    return datetime.now(UTC).isoformat()

