"""Deciding an application: gather the inputs, run the pure decision, store it, publish
ScoreComputed and then exactly one of LoanApproved, ApplicationDeclined, ApplicationReferred.

Runs inside the consumer's transaction with the inbox claim; the bureau report is usually
fetched before that transaction opened (``prefetch.py``). A redelivered event is skipped
by the inbox; the same application arriving again under another event id finds its stored
decision (and the primary key would refuse a second one), so one application never gets
two decisions.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from lending_events import IntegrationEvent
from lending_events.intake import ApplicationSubmitted
from lending_events.underwriting import (
    ApplicationDeclined,
    ApplicationReferred,
    LoanApproved,
    ScoreComputed,
)
from lending_messaging.context import MessageContext
from lending_underwriting.domain.decision import (
    APPROVED,
    DECLINED,
    Decision,
    DecisionInputs,
    decide,
)
from lending_underwriting.domain.exposure import OFFERED
from lending_underwriting.domain.model import Application, BureauReport
from lending_underwriting.domain.referral import Referral
from lending_underwriting.service_layer.business_date import business_today
from lending_underwriting.service_layer.context import Underwriting
from lending_underwriting.service_layer.ports import (
    BureauUnavailableError,
    DecisionWrite,
    LoanPosition,
    StoredDecision,
    UnderwritingStore,
)

log = logging.getLogger("lending.underwriting.decisions")


def application_from(event: ApplicationSubmitted) -> Application:
    return Application(
        application_id=event.loan_id, applicant_id=event.applicant_id,
        partner_id=event.partner_id, borrower_token=event.identity_hash,
        applicant_type=event.applicant_type.value, channel=event.channel, country=event.country,
        product_code=event.product_code, currency=event.currency,
        requested_amount=event.requested_amount, term_count=event.requested_term.count,
        term_unit=event.requested_term.unit.value, frequency=event.requested_frequency.value,
        purpose=event.purpose, security=event.security.value,
        submitted_at=event.consent_given_at, collateral_value=event.collateral_value,
        related_party_id=event.related_party_id,
        monthly_income=event.declared_monthly_income,
        monthly_obligations=event.declared_monthly_obligations,
        guarantor_monthly_income=event.guarantor_monthly_income,
        business_monthly_revenue=event.declared_business_monthly_revenue,
        documents_complete=event.documents_complete,
        missing_documents=tuple(event.missing_documents),
    )


def waits_for_documents(uw: Underwriting, app: Application) -> bool:
    """Missing documents are a state, not an error: a decision waits for DocumentsReceived.
    Only documents our policy requires count."""
    return lacks_required_documents(uw, app.product_code, app.missing_documents)


def lacks_required_documents(uw: Underwriting, product_code: str,
                             missing: Iterable[str]) -> bool:
    policy = uw.book.product(product_code)
    required = set(policy.required_documents) if policy else set()
    return bool(required & set(missing))


async def bureau_answer(uw: Underwriting, application_id: str, borrower_token: str,
                        currency: str) -> tuple[BureauReport | None, str | None]:
    try:
        return await uw.bureau.report(borrower_token, currency), None
    except BureauUnavailableError as exc:
        log.warning("bureau unavailable for %s: %s", application_id, exc)
        return None, str(exc) or type(exc).__name__


async def answer_for(uw: Underwriting, app: Application) -> tuple[BureauReport | None,
                                                                  str | None]:
    """The bureau's answer fetched before the transaction (``prefetch.py``), or asked now."""
    return uw.prefetched.take(app.application_id) or await bureau_answer(
        uw, app.application_id, app.borrower_token, app.currency)


@dataclass(frozen=True)
class Pending:
    """An application to decide now. ``as_of``: the business date to price it as of; None:
    the open business date when it is decided (a later date its event names wins).
    ``context``: its event's message context (None: the current one)."""

    app: Application
    as_of: date | None = None
    context: MessageContext | None = None
    stated: date | None = None  # the business date its event's envelope names


async def decide_application(uw: Underwriting, store: UnderwritingStore, app: Application,
                             as_of: date) -> Decision | None:
    decided = await decide_applications(uw, store, [Pending(app, as_of)])
    return decided[0] if decided else None


async def decide_applications(uw: Underwriting, store: UnderwritingStore,
                              pending: Sequence[Pending]) -> list[Decision]:
    """Decides applications of distinct borrowers together: one exposure read and one write
    for all of them. Returns the decisions made now, in order."""
    # No "already decided?" read first: redeliveries stop at the inbox, and the rare
    # re-emitted application is refused by record_decisions below (one round trip saved).
    answers = await asyncio.gather(*(answer_for(uw, p.app) for p in pending))
    # Two applications of one borrower decided at once (consumer lanes, replicas) would
    # each miss the other's offer: stacking. One at a time per borrower, until commit.
    now = uw.clock()
    today = await business_today(uw, store) if any(p.as_of is None for p in pending) else None
    exposures = await store.locked_exposures(
        [(p.app.borrower_token, p.app.currency) for p in pending], now)
    writes, decisions = [], []
    for p, (bureau, error), exposure in zip(pending, answers, exposures, strict=True):
        as_of = p.as_of or max(d for d in (today, p.stated) if d is not None)
        inputs = DecisionInputs(p.app, bureau, exposure, as_of, now, error)
        decision = decide(inputs, uw.book, uw.models.current)
        writes.append(decision_write(uw, p, inputs, decision, now))
        decisions.append(decision)
        uw.prefetched.decided(p.app.application_id)
    made = await store.record_decisions(writes)
    for p in pending:
        if p.app.application_id not in made:
            log.info("application %s already decided; nothing to do", p.app.application_id)
    return [d for p, d in zip(pending, decisions, strict=True) if p.app.application_id in made]


def decision_write(uw: Underwriting, p: Pending, inputs: DecisionInputs, decision: Decision,
                   now: datetime) -> DecisionWrite:
    app = p.app
    stored = StoredDecision(
        application_id=app.application_id, decision_id=decision.ids["decision_id"],
        borrower_token=app.borrower_token, product_code=app.product_code,
        outcome=decision.outcome, final_outcome=decision.outcome,
        model_version=decision.score.model_version, policy_version=decision.policy_version,
        inputs=inputs.to_dict(), policy=uw.book.snapshot(app.product_code),
        result=decision.to_dict(), decided_at=now)
    events, position, referral = outcome(uw, app, decision)
    return DecisionWrite(stored, events, position, referral, p.context)


def outcome(uw: Underwriting, app: Application, decision: Decision
            ) -> tuple[list[IntegrationEvent], LoanPosition | None, Referral | None]:
    """ScoreComputed, then the decision event (in this order), and the offer's place in the
    exposure view or the referral, as one write stores them with the decision."""
    ids, score = decision.ids, decision.score
    common: dict[str, Any] = {"loan_id": app.application_id, "applicant_id": app.applicant_id,
                              "partner_id": app.partner_id, "score_id": ids["score_id"]}
    scored = ScoreComputed(
        loan_id=app.application_id, score_id=ids["score_id"], model_version=score.model_version,
        score=score.score, probability_of_default=score.probability_of_default,
        risk_grade=decision.grade, reason_codes=list(score.reason_codes),
        bureau_report_ref=decision_bureau_ref(decision))
    if decision.outcome == APPROVED and decision.offer is not None:
        approved, position = approval(
            app, decision.offer.terms, decision.expires_at or uw.clock(),
            {**common, "decision_id": ids["decision_id"], "risk_grade": decision.grade,
             "decision_mode": "automatic", "reason_codes": list(decision.reason_codes)})
        return [scored, approved], position, None
    if decision.outcome == DECLINED:
        return [scored, ApplicationDeclined(
            **common, decision_id=ids["decision_id"], decision_mode="automatic",
            reason_codes=list(decision.reason_codes), reapply_after=decision.reapply_after),
        ], None, None
    decide_by = decision.expires_at or uw.clock()
    referral = Referral(
        referral_id=ids["referral_id"], application_id=app.application_id,
        queue=uw.book.referral_queue, reason_codes=decision.reason_codes,
        created_at=decision.decided_at, decide_by=decide_by,
        summary=referral_summary(app, decision))
    return [scored, ApplicationReferred(
        **common, referral_id=ids["referral_id"], queue=uw.book.referral_queue,
        reason_codes=list(decision.reason_codes), decide_by=decide_by)], None, referral


async def approve(store: UnderwritingStore, app: Application, terms_json: dict[str, Any],
                  expires_at: datetime, fields: dict[str, Any]) -> None:
    """LoanApproved and the offer's place in the exposure view (an underwriter's approval)."""
    approved, position = approval(app, terms_json, expires_at, fields)
    await store.emit(approved)
    await store.save_position(position)


def approval(app: Application, terms_json: dict[str, Any], expires_at: datetime,
             fields: dict[str, Any]) -> tuple[LoanApproved, LoanPosition]:
    # One validation pass (the contract checks the schedule adds up and every amount has the
    # currency's digits): validating the terms first and then the event would walk it twice.
    approved = LoanApproved.model_validate(
        {**fields, "terms": terms_json, "offer_expires_at": expires_at})
    principal = approved.terms.principal
    return approved, LoanPosition(
        loan_id=app.application_id, borrower_token=app.borrower_token, currency=app.currency,
        status=OFFERED, principal=principal, outstanding_principal=principal,
        offer_expires_at=expires_at)


def decision_bureau_ref(decision: Decision) -> str | None:
    for r in decision.rule_results:
        if r.rule == "bureau_available" and r.outcome.value == "pass":
            return r.detail or None
    return None


def referral_summary(app: Application, decision: Decision) -> dict[str, Any]:
    offer = decision.offer
    return {
        "product_code": app.product_code, "currency": app.currency,
        "requested_amount": str(app.requested_amount),
        "requested_term": {"count": app.term_count, "unit": app.term_unit},
        "risk_grade": decision.grade, "score": decision.score.score,
        "probability_of_default": str(decision.score.probability_of_default),
        "reasons": decision.reasons,
        "proposed_offer": None if offer is None else {
            "amount": str(offer.amount), "term_count": offer.term_count,
            "annual_rate": str(offer.annual_rate), "apr": str(offer.apr),
            "monthly_installment": str(offer.monthly_installment)},
    }
