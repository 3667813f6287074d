"""Recovery plans: a restructure or settlement proposed on a case, or a write-off recommended
by the day close, and the approval that must come before collections asks the ledger for it.

Approval rules are data (recovery.toml): by kind and amount forgiven (waived, or the interest
a rate cut forgoes: domain/rate_change.py), which roles may approve. Maker-checker: whoever
proposed never approves. Nothing is published until approval.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from lending_collections.domain.cases import Recorded
from lending_collections.domain.errors import (
    ApprovalRefusedError,
    ProposalDecidedError,
    ProposalInvalidError,
    StrategyFileError,
)

# What a collector may propose -> the RestructureRequested kind the ledger understands.
PLAN_KINDS = {
    "reschedule": "reschedule",  # new count and/or first due date, arrears capitalized
    "term_extension": "reschedule",  # more installments
    "payment_holiday": "reschedule",  # the first due date moves out
    "rate_change": "restructure",  # a lower rate, never a higher one
    "settlement": "settlement",  # a discounted amount closes the loan
}
WRITE_OFF = "write_off"
KINDS = (*PLAN_KINDS, WRITE_OFF)
PROPOSED, APPROVED, REJECTED, WITHDRAWN = "proposed", "approved", "rejected", "withdrawn"


@dataclass(frozen=True)
class PlanTerms:
    """The parameters of RestructureRequested; unset ones keep the current terms."""

    effective_date: date
    new_annual_rate: Decimal | None = None
    new_installment_count: int | None = None
    new_frequency: str | None = None
    first_due_date: date | None = None
    capitalize_arrears: bool = False
    waive_minor: int = 0
    settlement_minor: int | None = None

    def as_json(self) -> dict[str, Any]:
        return {"effective_date": self.effective_date.isoformat(),
                "new_annual_rate": None if self.new_annual_rate is None
                else str(self.new_annual_rate),
                "new_installment_count": self.new_installment_count,
                "new_frequency": self.new_frequency,
                "first_due_date": None if self.first_due_date is None
                else self.first_due_date.isoformat(),
                "capitalize_arrears": self.capitalize_arrears,
                "waive_minor": self.waive_minor, "settlement_minor": self.settlement_minor}

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> PlanTerms:
        def day(key: str) -> date | None:
            return None if raw.get(key) is None else date.fromisoformat(raw[key])

        rate = raw.get("new_annual_rate")
        effective = day("effective_date")
        assert effective is not None
        return cls(effective, None if rate is None else Decimal(rate),
                   raw.get("new_installment_count"), raw.get("new_frequency"),
                   day("first_due_date"), bool(raw.get("capitalize_arrears")),
                   int(raw.get("waive_minor") or 0), raw.get("settlement_minor"))


def check_terms(kind: str, terms: PlanTerms, today: date, outstanding_minor: int) -> None:
    """Raises ProposalInvalidError naming the field when the plan cannot be asked for."""
    if kind not in PLAN_KINDS:
        raise ProposalInvalidError("kind", f"{kind!r} is not one of {', '.join(PLAN_KINDS)}")
    if terms.effective_date < today:
        raise ProposalInvalidError(
            "effective_date", f"{terms.effective_date} is before the business date {today}")
    if terms.waive_minor < 0:
        raise ProposalInvalidError("waive_amount", "cannot be negative")
    if terms.waive_minor > outstanding_minor:
        raise ProposalInvalidError("waive_amount", "is more than the outstanding principal")
    needed = {"term_extension": "new_installment_count", "payment_holiday": "first_due_date",
              "rate_change": "new_annual_rate", "settlement": "settlement_amount"}.get(kind)
    given = {"new_installment_count": terms.new_installment_count,
             "first_due_date": terms.first_due_date, "new_annual_rate": terms.new_annual_rate,
             "settlement_amount": terms.settlement_minor}
    if needed and given[needed] is None:
        raise ProposalInvalidError(needed, f"a {kind} needs {needed}")
    if kind == "reschedule" and terms.new_installment_count is None \
            and terms.first_due_date is None:
        raise ProposalInvalidError("new_installment_count",
                                   "a reschedule needs new_installment_count or first_due_date")
    if PLAN_KINDS[kind] == "reschedule" and terms.new_annual_rate is not None:
        raise ProposalInvalidError("new_annual_rate", f"a {kind} keeps the rate "
                                   "(propose a rate_change)")
    if terms.first_due_date is not None and terms.first_due_date <= terms.effective_date:
        raise ProposalInvalidError("first_due_date", "must be after effective_date")
    if terms.settlement_minor is not None:
        if kind != "settlement":
            raise ProposalInvalidError("settlement_amount", "only for a settlement")
        if not 0 < terms.settlement_minor <= outstanding_minor:
            raise ProposalInvalidError(
                "settlement_amount", "must be positive and at most the outstanding principal")


@dataclass(frozen=True)
class ApprovalRule:
    kinds: frozenset[str]  # empty: every kind
    max_waive: Decimal | None  # inclusive, in the loan's currency; None: any amount
    roles: frozenset[str]

    def covers(self, kind: str, waive: Decimal) -> bool:
        return ((not self.kinds or kind in self.kinds)
                and (self.max_waive is None or waive <= self.max_waive))


@dataclass(frozen=True)
class RecoveryPolicy:
    version: str
    write_off_at_dpd: int  # the day close recommends a write-off from here
    rules: tuple[ApprovalRule, ...]  # first match wins
    legal_apr_cap: Decimal  # no plan sets a rate above it (domain/rate_change.py)

    def approver_roles(self, kind: str, waive: Decimal) -> frozenset[str]:
        for rule in self.rules:
            if rule.covers(kind, waive):
                return rule.roles
        raise ProposalInvalidError("waive_amount",
                                   f"no approval rule covers a {kind} waiving {waive}")


@dataclass
class Proposal:
    proposal_id: str
    case_id: str
    loan_id: str
    kind: str
    currency: str
    terms: PlanTerms | None  # None for a write-off
    approver_roles: frozenset[str]
    proposed_by: str
    proposed_on: date
    reason: str
    status: str = PROPOSED
    decided_by: str | None = None
    decided_on: date | None = None
    decision_reason: str | None = None
    request_id: str | None = None
    pending: list[Recorded] = field(default_factory=list)

    def proposed(self) -> Proposal:
        self.pending.append(Recorded(
            f"{self.kind}_proposed" if self.kind == WRITE_OFF else "restructure_proposed",
            self.proposed_by, self.proposed_on, self.reason,
            {"proposal_id": self.proposal_id, "kind": self.kind,
             "approver_roles": sorted(self.approver_roles)}))
        return self

    def _check_decider(self, by: str, role: str) -> None:
        if by == self.proposed_by:
            raise ApprovalRefusedError(f"{by} proposed {self.proposal_id} and may not decide it "
                                       "(maker-checker)")
        if role not in self.approver_roles:
            raise ApprovalRefusedError(
                f"a {self.kind} like {self.proposal_id} needs an approver with role "
                f"{' or '.join(sorted(self.approver_roles))}, not {role!r}")

    def approve(self, by: str, role: str, on: date, why: str, request_id: str) -> bool:
        """True when this approves it; False when ``by`` already approved it (a retried
        request); raises when it cannot be approved."""
        if self.status == APPROVED and self.decided_by == by:
            return False
        if self.status != PROPOSED:
            raise ProposalDecidedError(f"{self.proposal_id} is already {self.status}")
        self._check_decider(by, role)
        self.status, self.decided_by, self.decided_on = APPROVED, by, on
        self.decision_reason, self.request_id = why, request_id
        self.pending.append(Recorded(f"{self._noun}_approved", by, on, why,
                                     {"proposal_id": self.proposal_id,
                                      "request_id": request_id, "role": role}))
        return True

    def reject(self, by: str, role: str, on: date, why: str) -> bool:
        if self.status == REJECTED and self.decided_by == by:
            return False
        if self.status != PROPOSED:
            raise ProposalDecidedError(f"{self.proposal_id} is already {self.status}")
        self._check_decider(by, role)
        self.status, self.decided_by, self.decided_on, self.decision_reason = (
            REJECTED, by, on, why)
        self.pending.append(Recorded(f"{self._noun}_rejected", by, on, why,
                                     {"proposal_id": self.proposal_id, "role": role}))
        return True

    @property
    def _noun(self) -> str:
        return WRITE_OFF if self.kind == WRITE_OFF else "restructure"


def policy_from_dict(raw: Mapping[str, Any]) -> RecoveryPolicy:
    """Parses recovery.toml (see docs/collections.md)."""
    try:
        rules = tuple(
            ApprovalRule(frozenset(str(k) for k in r.get("kinds", ())),
                         None if r.get("max_waive") is None else Decimal(str(r["max_waive"])),
                         frozenset(str(x) for x in r["roles"]))
            for r in raw["approval"])
        policy = RecoveryPolicy(str(raw["version"]), int(raw["write_off_at_dpd"]), rules,
                                Decimal(str(raw["legal_apr_cap"])))
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise StrategyFileError(f"recovery: missing or malformed {exc}") from exc
    for rule in rules:
        unknown = rule.kinds - set(KINDS)
        if unknown or not rule.roles:
            raise StrategyFileError(f"recovery: unknown kinds {sorted(unknown)} or no roles")
    return policy
