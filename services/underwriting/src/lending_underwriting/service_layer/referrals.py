"""Commands from the referral queue: an underwriter approves or declines, with a note."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from lending_events.underwriting import ApplicationDeclined
from lending_underwriting.domain.decision import DecisionInputs, decision_ids
from lending_underwriting.domain.errors import NoOfferToApproveError, ReferralNotFoundError
from lending_underwriting.domain.model import Application
from lending_underwriting.domain.pricing import price
from lending_underwriting.domain.referral import Referral
from lending_underwriting.service_layer.business_date import business_today
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.decisions import approve


@dataclass(frozen=True)
class DecideReferral:
    referral_id: str
    approve: bool
    reviewer_id: str
    note: str
    reason_codes: tuple[str, ...] = ()


async def decide_referral(uw: Underwriting, cmd: DecideReferral) -> Referral:
    now = uw.clock()
    async with uw.transactions() as tx:
        store = tx.store
        referral = await store.referral(cmd.referral_id, for_update=True)
        if referral is None:
            raise ReferralNotFoundError(cmd.referral_id)
        decided = referral.decide(cmd.approve, cmd.reviewer_id, cmd.note, now)
        stored = await store.decision(referral.application_id)
        if stored is None:
            raise ReferralNotFoundError(cmd.referral_id)
        inputs = DecisionInputs.from_dict(stored.inputs)
        app = inputs.application
        ids = decision_ids(app.application_id)
        common: dict[str, Any] = {
            "loan_id": app.application_id, "applicant_id": app.applicant_id,
            "partner_id": app.partner_id, "score_id": ids["score_id"],
            "decision_id": ids["decision_id"], "decision_mode": "manual",
            "reviewer_id": cmd.reviewer_id}
        if cmd.approve:
            terms = _reprice(uw, app, stored.result, await business_today(uw, store))
            if terms is None:
                raise NoOfferToApproveError(cmd.referral_id)
            await approve(store, app, terms, now + timedelta(days=uw.book.offer_valid_days),
                          {**common, "risk_grade": stored.result["risk_grade"],
                           "reason_codes": list(referral.reason_codes)})
        else:
            codes = list(cmd.reason_codes) or ["underwriter_declined"]
            await store.emit(ApplicationDeclined(
                **common, reason_codes=codes,
                reapply_after=now + timedelta(days=uw.book.reapply_after_days)))
        await store.save_referral(decided)
        await store.record_review(app.application_id, decided.status, {
            "referral_id": decided.referral_id, "outcome": decided.status,
            "reviewer_id": cmd.reviewer_id, "note": decided.note,
            "reason_codes": list(cmd.reason_codes), "decided_at": now.isoformat()})
        await tx.commit()
    return decided


def _reprice(uw: Underwriting, app: Application, result: dict[str, Any],
             as_of: date) -> dict[str, Any] | None:
    """The proposed offer re-priced as of the approval's business date (the start date
    moves on; the grade, amount and term are those the automatic decision proposed)."""
    offer = result.get("offer")
    policy = uw.book.product(app.product_code)
    if offer is None or policy is None:
        return None
    priced = price(uw.book, policy, offer["grade"], Decimal(offer["amount"]),
                   offer["term_count"], offer["frequency"], as_of)
    return None if priced is None else priced.terms

