"""The consumer's batch handler: the stream's common events (booked, disbursed, due soon,
missed, delinquency, payment) change a batch's rows in memory and are written back
set-based; everything else goes to its handler (``handlers.py``) one by one, in order.

Per loan the effects are exactly the handlers' (the same domain rules, in the same order):
a run of common events is loaded (``loan_batch.load``), applied one after another, and
flushed before any other event of the batch is handled, so a rarer handler reading the
database sees everything before it. Two common events take the slow road too, because
what they do is not worth doing twice: a delinquency that cures a loan with an open case
(closing it withdraws proposals and sums recoveries) and a payment on a loan with a
pending promise to pay.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters import loan_batch
from lending_collections.adapters import repository as repo
from lending_collections.adapters.loan_batch import LoanBatch, LoanRow, OpenCase
from lending_collections.domain.buckets import bucket_of, is_delinquent
from lending_collections.domain.cases import CollectionCase
from lending_collections.domain.early_warning import RiskFacts, assess, worth_raising
from lending_collections.service_layer.context import SOURCE, CollectionsPolicy
from lending_events import (
    IntegrationEvent,
    from_minor_units,
    parse_event,
    to_envelope,
    to_minor_units,
    topic_for,
)
from lending_events.base import LoanEvent
from lending_events.collections_events import CollectionCaseOpened, EarlyWarningRaised
from lending_events.envelope import Envelope
from lending_events.ledger import Disbursed, LoanBooked, PaymentApplied
from lending_events.servicing import DelinquencyChanged, InstallmentDueSoon, PaymentMissed
from lending_messaging.context import context_from_envelope, stamp, use_context
from lending_messaging.outbox import add_many_to_outbox
from lending_messaging.ports import BatchHandler
from lending_platform.dispatch import EventDispatcher

log = logging.getLogger("lending.collections")
COMMON = frozenset({"LoanBooked", "Disbursed", "InstallmentDueSoon", "PaymentMissed",
                    "DelinquencyChanged", "PaymentApplied"})


def build_batch_handler(policy: CollectionsPolicy, dispatcher: EventDispatcher) -> BatchHandler:
    async def handle(session: Any, envelopes: Sequence[Envelope]) -> None:
        i = 0
        while i < len(envelopes):
            run: list[Envelope] = []
            while i + len(run) < len(envelopes) and envelopes[i + len(run)].type in COMMON:
                run.append(envelopes[i + len(run)])
            if run:
                i += await _apply_run(session, policy, run)
            if i < len(envelopes):  # a rare event, or a common one that takes the slow road
                with use_context(context_from_envelope(envelopes[i])):
                    await dispatcher(session, envelopes[i])
                i += 1

    return handle


async def _apply_run(session: AsyncSession, policy: CollectionsPolicy,
                     run: list[Envelope]) -> int:
    """Applies the run's events up to the first that takes the slow road; how many."""
    events = [(e, parse_event(e)) for e in run]
    loans = {event.loan_id for _, event in events if isinstance(event, LoanEvent)}
    applicants = {event.applicant_id for _, event in events
                  if isinstance(event, LoanBooked) and event.applicant_id}
    scored = [event for _, event in events if isinstance(event, LoanEvent) and _scores(event)]
    paid = {e.loan_id for e in scored if isinstance(e, PaymentApplied)}
    rescored = {e.loan_id for e in scored if not isinstance(e, PaymentApplied)}
    batch = await loan_batch.load(session, loans, rescored, applicants,
                                  risk_if_known=paid - rescored)
    out: list[tuple[str, Envelope]] = []
    done = 0
    for envelope, event in events:
        if _slow_road(batch, event):
            break
        with use_context(context_from_envelope(envelope)):
            emitted = _APPLY[envelope.type](batch, policy, event)
            out += [(topic_for(type(e)), stamp(to_envelope(e, source=SOURCE)))
                    for e in emitted]
        done += 1
    await loan_batch.flush(session, batch)
    by_topic: dict[str, list[Envelope]] = {}
    for topic, envelope in out:
        by_topic.setdefault(topic, []).append(envelope)
    for topic, envelopes in by_topic.items():
        await add_many_to_outbox(session, envelopes, topic)
    if batch.business_date is not None:
        await repo.advance_business_date(session, batch.business_date)
    return done


def _scores(event: IntegrationEvent) -> bool:
    """Whether handling the event re-scores its loan (its risk row is then locked)."""
    if isinstance(event, PaymentApplied):
        return bool(event.installments_settled)
    return not isinstance(event, Disbursed)


def _slow_road(batch: LoanBatch, event: IntegrationEvent) -> bool:
    if isinstance(event, DelinquencyChanged):
        loan = batch.loans.get(event.loan_id)
        _, _, bucket = _stated(loan, event)
        return not is_delinquent(bucket) and event.loan_id in batch.cases
    if isinstance(event, PaymentApplied):
        return event.loan_id in batch.promised
    return False


# --- the handlers' effects, on the batch's rows -------------------------------------------

Emitted = list[IntegrationEvent]


def _booked(batch: LoanBatch, policy: CollectionsPolicy, event: Any) -> Emitted:
    assert isinstance(event, LoanBooked)
    principal = to_minor_units(event.terms.principal, event.currency)
    terms = event.terms.model_dump(mode="json")
    loan = batch.loans.get(event.loan_id)
    if loan is None:  # a stub left by an earlier delinquency keeps its balance and DPD
        batch.loans[event.loan_id] = LoanRow(
            event.loan_id, event.partner_id, event.terms.product_code, event.currency,
            principal, principal, status="booked",
            classification_version=policy.rules.version, applicant_id=event.applicant_id,
            terms=terms)
    else:
        loan.partner_id, loan.product_code = event.partner_id, event.terms.product_code
        loan.principal, loan.terms = principal, terms
    batch.dirty.add(event.loan_id)
    before = batch.exposure_of(event.applicant_id, event.currency, but=event.loan_id)
    return _update_risk(batch, policy, event.loan_id, event.booked_on, lambda f: replace(
        f, exposure_before=before, exposure_after=before + principal))


def _disbursed(batch: LoanBatch, policy: CollectionsPolicy, event: Any) -> Emitted:
    assert isinstance(event, Disbursed)
    loan = batch.loans.get(event.loan_id)
    if loan is not None and loan.status == "booked":
        loan.status = "active"
        batch.dirty.add(loan.loan_id)
    return []


def _loan_or_stub(batch: LoanBatch, loan_id: str, currency: str, outstanding: int) -> LoanRow:
    loan = batch.loans.get(loan_id)
    if loan is None:
        loan = batch.loans[loan_id] = LoanRow(loan_id, "unknown", "unknown", currency,
                                              outstanding, outstanding)
        batch.dirty.add(loan_id)
    return loan


def _reclassify(batch: LoanBatch, policy: CollectionsPolicy, loan: LoanRow, *,
                days_past_due: int, **changes: Any) -> str:
    found = policy.rules.classify(days_past_due, loan.restructured)
    loan.days_past_due, loan.asset_class = days_past_due, found.asset_class
    loan.ifrs9_stage, loan.classification_version = found.ifrs9_stage, policy.rules.version
    for name, value in changes.items():
        setattr(loan, name, value)
    batch.dirty.add(loan.loan_id)
    return found.asset_class


def _missed(batch: LoanBatch, policy: CollectionsPolicy, event: Any) -> Emitted:
    assert isinstance(event, PaymentMissed)
    cur = event.currency
    loan = _loan_or_stub(batch, event.loan_id, cur, 0)
    dpd = max(event.days_past_due, _aged_dpd(loan, event.as_of))
    _reclassify(batch, policy, loan, days_past_due=dpd, dpd_as_of=event.as_of,
                overdue=max(loan.overdue, to_minor_units(event.amount_overdue, cur)))
    paid = to_minor_units(event.amount_paid, cur) > 0
    return _update_risk(batch, policy, loan.loan_id, event.as_of, lambda f: f.missed_payment(
        event.installment_number, event.due_date, paid, dpd), always_raise=True)


def _stated(loan: LoanRow | None, event: DelinquencyChanged) -> tuple[date, int, str]:
    """As of when, how many days and which bucket the delinquency stands at for us."""
    since, as_of = event.since(), event.as_of
    dpd, bucket = event.days_past_due, event.bucket.value
    if since is not None and loan is not None and loan.dpd_as_of is not None \
            and loan.dpd_as_of > as_of:
        # the close of a later day aged the loan already (its BusinessDayClosed came
        # first): the start servicing moved, as of that later day
        as_of = loan.dpd_as_of
        dpd = (as_of - since).days
        bucket = bucket_of(dpd)
    return as_of, dpd, bucket


def _delinquency(batch: LoanBatch, policy: CollectionsPolicy, event: Any) -> Emitted:
    assert isinstance(event, DelinquencyChanged)
    cur = event.currency
    outstanding = to_minor_units(event.outstanding_principal, cur)
    overdue = to_minor_units(event.overdue_amount, cur)
    loan = _loan_or_stub(batch, event.loan_id, cur, outstanding)
    as_of, dpd, bucket = _stated(loan, event)
    asset_class = _reclassify(batch, policy, loan, days_past_due=dpd, dpd_as_of=as_of,
                              bucket=bucket, overdue=overdue, outstanding_principal=outstanding,
                              delinquent_since=event.since())
    if batch.business_date is None or batch.business_date < event.as_of:
        batch.business_date = event.as_of
    emitted = _update_risk(batch, policy, loan.loan_id, as_of, lambda f: f.dpd(dpd))
    open_case = batch.cases.get(loan.loan_id)
    if not is_delinquent(bucket):
        assert open_case is None  # a cure of an open case takes the slow road
    elif open_case is None:
        emitted += _open_case(batch, policy, loan, on=as_of, days_past_due=dpd, bucket=bucket,
                              overdue_minor=overdue, outstanding_minor=outstanding,
                              asset_class=asset_class)
    else:
        open_case.case.move(dpd, bucket)
        open_case.moved = True
    return emitted


def _open_case(batch: LoanBatch, policy: CollectionsPolicy, loan: LoanRow, *, on: date,
               days_past_due: int, bucket: str, overdue_minor: int, outstanding_minor: int,
               asset_class: str) -> Emitted:
    outstanding = from_minor_units(outstanding_minor, loan.currency)
    strategy = policy.book.strategy_for(loan.product_code, bucket, outstanding)
    stage = strategy.actions[0].stage if strategy.actions else "reminder"
    case = CollectionCase.open(repo.new_id("case"), loan.loan_id, on, days_past_due, bucket)
    batch.cases[loan.loan_id] = OpenCase(case, new=True, stage=stage,
                                         strategy_id=strategy.strategy_id)
    batch.record(case.case_id, case.pending)
    return [CollectionCaseOpened(
        loan_id=loan.loan_id, case_id=case.case_id, opened_on=on, days_past_due=days_past_due,
        currency=loan.currency, overdue_amount=from_minor_units(overdue_minor, loan.currency),
        outstanding_principal=outstanding, strategy=strategy.strategy_id, stage=stage,
        classification=asset_class)]


def _payment(batch: LoanBatch, policy: CollectionsPolicy, event: Any) -> Emitted:
    assert isinstance(event, PaymentApplied)
    cur = event.currency
    loan = batch.loans.get(event.loan_id)
    if loan is None:
        log.warning("PaymentApplied for unknown loan %s skipped", event.loan_id)
        return []
    amount = to_minor_units(event.amount, cur)
    loan.total_paid += amount
    loan.outstanding_principal = to_minor_units(event.outstanding.principal, cur)
    batch.dirty.add(loan.loan_id)
    open_case = batch.cases.get(loan.loan_id)
    if open_case is not None:
        open_case.paid += amount
    if event.installments_settled:
        return _update_risk(batch, policy, loan.loan_id, event.value_date,
                            lambda f: f.settled(event.installments_settled, event.value_date))
    return []


def _due_soon(batch: LoanBatch, policy: CollectionsPolicy, event: Any) -> Emitted:
    assert isinstance(event, InstallmentDueSoon)
    today = event.due_date - timedelta(days=event.days_until_due)
    emitted = _update_risk(batch, policy, event.loan_id, today,
                           lambda f: f.due(event.installment_number, event.due_date))
    rules = policy.warnings
    level = batch.risks[event.loan_id].level
    if rules.at_least(level, rules.outreach_from):
        amount = f"{event.amount_due} {event.currency}"
        batch.outreach.append({
            "outreach_id": repo.new_id("pre"), "loan_id": event.loan_id,
            "installment_number": event.installment_number, "due_date": event.due_date,
            "business_date": today, "risk_level": level,
            "body": rules.outreach_template.format(loan_id=event.loan_id,
                                                   due_date=event.due_date, amount=amount),
            "delivery_status": "pending",
            "send_after": policy.book.limits.next_allowed(policy.clock()),
            "dedupe_key": f"{event.loan_id}:{event.installment_number}:"
                          f"{event.due_date.isoformat()}"})
    return emitted


def _update_risk(batch: LoanBatch, policy: CollectionsPolicy, loan_id: str, as_of: date,
                 change: Any, *, always_raise: bool = False) -> Emitted:
    """``risk.update_risk`` on the batch's row: the loan's risk row is locked since load."""
    rules, risk = policy.warnings, batch.risks[loan_id]
    facts: RiskFacts = change(risk.facts)
    now = assess(rules, facts)
    emitted: Emitted = []
    if (always_raise or worth_raising(rules, facts, now)) \
            and (loan_id, as_of) not in batch.warned:
        warning_id = repo.new_id("ew")
        signals = list(now.signals) or ["payment_missed"]
        batch.warned.add((loan_id, as_of))
        batch.warnings.append({"warning_id": warning_id, "loan_id": loan_id, "as_of": as_of,
                               "severity": now.severity, "signals": json.dumps(signals)})
        emitted.append(EarlyWarningRaised(
            loan_id=loan_id, warning_id=warning_id, as_of=as_of, severity=now.severity,
            signals=signals, days_past_due=facts.current_dpd))
        facts = replace(facts, raised_level=now.level, raised_signals=list(now.signals))
    risk.facts, risk.score, risk.level = facts, now.score, now.level
    risk.signals, risk.as_of, risk.changed = list(now.signals), as_of, True
    return emitted


def _aged_dpd(loan: LoanRow, as_of: date) -> int:
    if loan.delinquent_since is not None:
        return int((as_of - loan.delinquent_since).days)
    if not loan.days_past_due or loan.dpd_as_of is None:
        return 0
    return int(loan.days_past_due + max(0, (as_of - loan.dpd_as_of).days))


_APPLY = {"LoanBooked": _booked, "Disbursed": _disbursed, "InstallmentDueSoon": _due_soon,
          "PaymentMissed": _missed, "DelinquencyChanged": _delinquency,
          "PaymentApplied": _payment}
