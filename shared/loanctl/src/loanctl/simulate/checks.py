"""The invariants, checked after every close on a settled stack. A violation names the
invariant, the loan, the day and what each side said; the run exits non-zero if any held
false. Each invariant counts how often it was checked, so the report shows what "held"
covers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from loanctl.simulate.api import Api
from loanctl.simulate.book import Book, SimLoan, Stage
from loanctl.simulate.deadletters import DeadLetterCounter
from loanctl.simulate.keys import Keys

BUCKETS = ((0, 0, "current"), (1, 30, "dpd_1_30"), (31, 60, "dpd_31_60"),
           (61, 90, "dpd_61_90"), (91, 180, "dpd_91_180"), (181, None, "dpd_181_plus"))
# Regulation Z 1026.22(a)(2)-(3): 1/8 of a point, 1/4 for an irregular transaction
APR_TOLERANCE, APR_TOLERANCE_IRREGULAR = Decimal("0.00125"), Decimal("0.0025")
COMPONENTS = ("principal", "interest", "fees", "penalties")
PAGE = 1000  # loans per request of the services' lists (their maximum)

INVARIANTS = {
    "ledger_servicing_agree": "ledger and servicing agree per loan (status, balances, DPD, "
                              "next due)",
    "trial_balance": "the trial balance is zero; principal disbursed - repaid - written off "
                     "= outstanding",
    "payouts_match": "the payout provider paid each loan once, the amount the ledger booked",
    "cases_follow_delinquency": "every delinquent loan has an open case at its DPD and "
                                "bucket; cured and closed loans have none",
    "bucket_matches_dpd": "bucket and days past due agree on every read",
    "applications_settled": "every application is terminal or legally waiting; every "
                            "accepted offer is disbursed",
    "payoff_closes": "a paid payoff quote closes the loan with nothing outstanding",
    "born_current": "a loan's first due date is after its disbursement and it is current "
                    "at birth",
    "apr_as_disclosed": "the APR of the booked schedule equals the disclosed APR within "
                        "Reg Z's tolerance (1/8 point; 1/4 for irregular payments)",
    "ledger_verifies": "the ledger's state rebuilt from its events equals its projections",
    "no_dead_letters": "no event was dead-lettered",
}


@dataclass(frozen=True)
class Violation:
    invariant: str
    day: date
    loan_id: str | None
    detail: str

    def __str__(self) -> str:
        loan = f" loan {self.loan_id}" if self.loan_id else ""
        return f"{self.day} {self.invariant}{loan}: {self.detail}"


def bucket_for(dpd: int) -> str:
    for low, high, code in BUCKETS:
        if dpd >= low and (high is None or dpd <= high):
            return code
    raise ValueError(dpd)


@dataclass
class Checker:
    api: Api
    keys: Keys
    book: Book
    violations: list[Violation] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)
    _quotes: dict[str, date] = field(default_factory=dict)  # loan id -> day the quote was paid
    _ledger: dict[str, dict[str, Any]] = field(default_factory=dict)  # last views read
    _servicing: dict[str, dict[str, Any]] = field(default_factory=dict)
    dead_letters: DeadLetterCounter | None = None
    _payouts_seen: int = 0
    _payouts: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # by loan id
    _expected_payout: dict[str, Decimal] = field(default_factory=dict)  # loan id -> net
    _dead_letters_at_start: dict[str, int] = field(default_factory=dict)

    async def start(self) -> None:
        if self.dead_letters is not None:
            self._dead_letters_at_start = await self.dead_letters.counts()

    def fail(self, invariant: str, day: date, loan: str | None, detail: str) -> None:
        self.violations.append(Violation(invariant, day, loan, detail))

    # ------------------------------------------------------------ at moments of a loan
    def born(self, loan: SimLoan, view: dict[str, Any], today: date) -> None:
        """Just disbursed (``today``: the ledger's disbursement date): the schedule starts
        after the money went out, nothing is late, and the APR of what was booked is the
        APR the borrower was shown."""
        self.checked["born_current"] += 1
        first = date.fromisoformat(view["installments"][0]["due_date"])
        if first <= today or view["days_past_due"] != 0:
            self.fail("born_current", today, loan.application_id,
                      f"disbursed {today}, first due {first}, {view['days_past_due']} days "
                      f"past due")
        self._check_apr(loan, view, today)
        offer = loan.offer or {}
        if "total_repayable" in offer:  # the amount financed is what goes out
            self._expected_payout[loan.application_id] = (
                Decimal(offer["total_repayable"]) - Decimal(offer["total_cost"]))

    def _check_apr(self, loan: SimLoan, view: dict[str, Any], today: date) -> None:
        from loanmath import Frequency, apr_us_reg_z, reg_z_regular

        offer = loan.offer or {}
        if offer.get("apr_method", "nominal") != "nominal" or "apr" not in offer:
            return
        self.checked["apr_as_disclosed"] += 1
        # the amount financed: what is repaid less the finance charge (withheld fees in it)
        financed = Decimal(offer["total_repayable"]) - Decimal(offer["total_cost"])
        frequency = {"monthly": "monthly", "weekly": "weekly", "biweekly": "biweekly",
                     "daily": "daily"}.get(offer["frequency"])
        payments = [(date.fromisoformat(i["due_date"]), Decimal(i["total"]))
                    for i in view["installments"]]
        try:
            unit = Frequency.parse(frequency) if frequency else None
            booked = apr_us_reg_z([(today, financed)], payments, unit).apr
        except Exception as exc:  # a schedule loanmath cannot price is itself a finding
            self.fail("apr_as_disclosed", today, loan.application_id,
                      f"APR of the booked schedule cannot be computed: {exc}")
            return
        disclosed = Decimal(offer["apr"])
        tolerance = (APR_TOLERANCE if reg_z_regular([amount for _, amount in payments])
                     else APR_TOLERANCE_IRREGULAR)
        if abs(booked - disclosed) > tolerance:
            self.fail("apr_as_disclosed", today, loan.application_id,
                      f"disclosed {disclosed}, booked schedule {booked} ({loan.product}, "
                      f"{offer['frequency']}, financed {financed} on {today}, payments "
                      f"{[(d.isoformat(), str(a)) for d, a in payments]})")

    def quote_paid(self, loan: SimLoan, quote_id: str, today: date) -> None:
        self._quotes[loan.application_id] = today

    # ------------------------------------------------------------ after every close
    async def after_close(self, closed: date, business_date: date) -> None:
        loans = self.book.at(Stage.ACTIVE)
        ledger = await self._every_loan("ledger")
        servicing = await self._every_loan("servicing")
        for loan in loans:
            self._pair(loan, closed, ledger.get(loan.application_id),
                       servicing.get(loan.application_id))
        await self._trial_balance(closed, ledger)
        await self._cases(closed, loans)
        await self._dead_letters(closed)
        await self._payouts_made(closed)
        for loan in self.book.at(Stage.ACCEPTED):
            self.checked["applications_settled"] += 1
            self.fail("applications_settled", closed, loan.application_id,
                      "the offer was accepted but the loan is not disbursed after the stack "
                      "settled")

    async def _every_loan(self, service: str) -> dict[str, dict[str, Any]]:
        """Each service's operator list of loans, paged through once (``GET /v1/loans``):
        the figures its single-loan view shows, for the whole book in a few requests."""
        found: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"limit": PAGE}
            if cursor:
                params["cursor"] = cursor
            page = (await self.api.get(service, "/v1/loans", self.keys.admin.key, params)
                    ).expect(f"the {service}'s loans")
            found.update((item["loan_id"], item) for item in page["items"])
            cursor = page.get("next_cursor")
            if not cursor:
                return found

    def _pair(self, loan: SimLoan, day: date, lv: dict[str, Any] | None,
              sv: dict[str, Any] | None) -> None:
        self.checked["ledger_servicing_agree"] += 1
        self.checked["bucket_matches_dpd"] += 1
        if lv is None or sv is None:
            self.fail("ledger_servicing_agree", day, loan.application_id,
                      f"ledger {'has' if lv else 'lacks'} it, servicing "
                      f"{'has' if sv else 'lacks'} it")
            return
        self._ledger[loan.application_id], self._servicing[loan.application_id] = lv, sv
        differences = compare(lv, sv)
        if differences:
            self.fail("ledger_servicing_agree", day, loan.application_id,
                      "; ".join(differences))
        if sv["bucket"] != bucket_for(sv["days_past_due"]):
            self.fail("bucket_matches_dpd", day, loan.application_id,
                      f"{sv['days_past_due']} days past due in bucket {sv['bucket']}")
        self._follow(loan, lv, day)

    def _follow(self, loan: SimLoan, ledger: dict[str, Any], day: date) -> None:
        status = ledger["status"]
        if status == "closed":
            loan.stage, loan.closed_on = Stage.CLOSED, day
        elif status == "written_off":
            loan.stage, loan.closed_on = Stage.WRITTEN_OFF, day
        if ledger.get("days_past_due", 0) >= 90 and loan.defaulted_on is None:
            loan.defaulted_on = day
        paid_on = self._quotes.pop(loan.application_id, None)
        if paid_on is not None:
            self.checked["payoff_closes"] += 1
            left = Decimal(ledger["balances"]["total"])
            if status != "closed" or left != 0:
                self.fail("payoff_closes", day, loan.application_id,
                          f"quote paid {paid_on}; the ledger says {status} with {left} "
                          f"outstanding")

    async def _trial_balance(self, day: date, ledger: dict[str, dict[str, Any]]) -> None:
        answer = await self.api.get("ledger", "/v1/trial-balance", self.keys.admin.key)
        self.checked["trial_balance"] += 1
        if not answer.ok or not answer.body["balanced"]:
            self.fail("trial_balance", day, None, f"trial balance: {answer.body}")
        for loan in self.book.loans:
            view = ledger.get(loan.application_id)
            if loan.disbursed_on is None or view is None:
                continue
            self.checked["trial_balance"] += 1
            problem = principal_identity(view["balances"])
            if problem:
                self.fail("trial_balance", day, loan.application_id, problem)

    async def _cases(self, day: date, loans: list[SimLoan]) -> None:
        open_cases: dict[str, dict[str, Any]] = {}
        cursor = None
        while True:
            params: dict[str, Any] = {"status": "open", "limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = (await self.api.get("collections", "/v1/cases", self.keys.collector.key,
                                       params)).expect("the open cases")
            for case in page["items"]:
                open_cases[case["loan_id"]] = case
            cursor = page.get("next_cursor")
            if not cursor:
                break
        for loan in self.book.loans:
            if loan.disbursed_on is None:
                continue
            self.checked["cases_follow_delinquency"] += 1
            case = open_cases.get(loan.application_id)
            view = self._servicing.get(loan.application_id) or {}
            live = loan.stage is Stage.ACTIVE and bool(view)
            dpd = int(view.get("days_past_due", 0)) if live else 0
            if live and dpd > 0:
                if case is None:
                    self.fail("cases_follow_delinquency", day, loan.application_id,
                              f"{dpd} days past due and no open case")
                elif case["days_past_due"] != dpd or case["bucket"] != view["bucket"]:
                    self.fail("cases_follow_delinquency", day, loan.application_id,
                              f"servicing {dpd} days ({view['bucket']}), case "
                              f"{case['days_past_due']} days ({case['bucket']})")
            elif case is not None and (not live or dpd == 0):
                self.fail("cases_follow_delinquency", day, loan.application_id,
                          f"case {case['case_id']} open on a loan {loan.stage} at {dpd} "
                          f"days past due")

    async def _payouts_made(self, day: date) -> None:
        """Every loan disbursed since the last look was paid once, the amount financed."""
        answer = await self.api.get("payout_provider", "/admin/payouts", None,
                                    {"after": self._payouts_seen})
        made = answer.expect("the payout provider's payouts")
        self._payouts_seen += len(made["payouts"])
        for payout in made["payouts"]:
            self._payouts.setdefault(payout["idempotency_key"], []).append(payout)
        for loan_id, expected in list(self._expected_payout.items()):
            self.checked["payouts_match"] += 1
            paid = self._payouts.get(loan_id, [])
            amounts = [Decimal(p["amount"]) for p in paid]
            if amounts != [expected]:
                self.fail("payouts_match", day, loan_id,
                          f"the ledger disbursed {expected}; the provider paid {amounts}")
            del self._expected_payout[loan_id]

    async def _dead_letters(self, day: date) -> None:
        if self.dead_letters is None:
            return
        self.checked["no_dead_letters"] += 1
        now = await self.dead_letters.counts()
        for topic, count in now.items():
            new = count - self._dead_letters_at_start.get(topic, 0)
            if new > 0:
                self.fail("no_dead_letters", day, None, f"{new} new in {topic} "
                          f"(`loanctl dlq list {topic.removesuffix('.dlq')}`)")
                self._dead_letters_at_start[topic] = count

    # ------------------------------------------------------------ at the end
    async def finish(self, day: date, ledger_verify: list[str] | None) -> None:
        for loan in self.book.loans:
            self.checked["applications_settled"] += 1
            if loan.stage is Stage.ACCEPTED:
                self.fail("applications_settled", day, loan.application_id,
                          "accepted and never disbursed")
        if self.dead_letters is not None:
            await self.dead_letters.close()
        if ledger_verify is not None:
            self.checked["ledger_verifies"] += 1
            for line in ledger_verify:
                self.fail("ledger_verifies", day, None, line)


def principal_identity(balances: dict[str, str]) -> str | None:
    """Per loan: principal disbursed + capitalised - waived - repaid - written off is the
    principal outstanding (capitalised arrears and waived principal are the ledger's other
    two movements of principal, by restructure). The difference in words, else None."""
    if "principal_disbursed" not in balances:
        return "the ledger reports no principal movements (a read model from before them)"
    moved = {k: Decimal(balances[f"principal_{k}"]) for k in (
        "disbursed", "capitalized", "waived", "repaid", "written_off")}
    left = (moved["disbursed"] + moved["capitalized"] - moved["waived"] - moved["repaid"]
            - moved["written_off"])
    outstanding = Decimal(balances["principal"])
    if left == outstanding:
        return None
    return (f"principal disbursed {moved['disbursed']} + capitalized {moved['capitalized']} - "
            f"waived {moved['waived']} - repaid {moved['repaid']} - written off "
            f"{moved['written_off']} = {left}, outstanding {outstanding}")


def _next_due(view: dict[str, Any]) -> tuple[str, Decimal] | None:
    found = view.get("next_due")
    return None if found is None else (found["due_date"], Decimal(found["amount_due"]))


def compare(ledger: dict[str, Any], servicing: dict[str, Any]) -> list[str]:
    """What the two views of one loan disagree on, each difference in words. Either the
    single-loan views or the items of the two services' `GET /v1/loans`: the same fields."""
    found = []
    if ledger["status"] != servicing["status"]:
        found.append(f"status: ledger {ledger['status']}, servicing {servicing['status']}")
    for name in COMPONENTS:
        left = Decimal(ledger["balances"][name])
        right = Decimal(servicing["outstanding"][name])
        if left != right:
            found.append(f"{name}: ledger {left}, servicing {right}")
    if ledger["days_past_due"] != servicing["days_past_due"]:
        found.append(f"days past due: ledger {ledger['days_past_due']}, servicing "
                     f"{servicing['days_past_due']}")
    mine, theirs = _next_due(ledger), _next_due(servicing)
    if mine != theirs:
        found.append(f"next due: {_said('ledger', mine)}, {_said('servicing', theirs)}")
    return found


def _said(who: str, due: tuple[str, Decimal] | None) -> str:
    return f"{who} none" if due is None else f"{who} {due[1]} on {due[0]}"
