"""What collections does when servicing closes a business day, all in the consumer's one
transaction: age the delinquent loans, break the promises whose date passed, run the
strategy pass over every open case, recommend the write-offs the policy's DPD calls for, and
snapshot the book for the portfolio report.

Every step is safe to repeat for the same day (a redelivered or re-published close):
ageing only touches loans not yet aged to that date, only pending promises can break, and
each strategy action has a (case, action code, business date) key that the insert skips when
it exists. The pass reads open cases in keyset pages and plans them in Python; reads and
writes are one statement per page, not per case.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from datetime import date, timedelta
from typing import Any

from sqlalchemy import bindparam, case, exists, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from lending_collections.adapters import repository as repo
from lending_collections.adapters.orm import cases, loans, promises
from lending_collections.domain.buckets import bucket_of
from lending_collections.domain.cases import OPEN, SYSTEM, Recorded
from lending_collections.domain.promises import PENDING
from lending_collections.domain.strategy import (
    MESSAGE_KINDS,
    STAGES,
    WINDOW_DAYS,
    CaseView,
    PastAction,
    PlannedAction,
    plan,
)
from lending_collections.service_layer import recovery, report
from lending_collections.service_layer.context import SOURCE, CollectionsPolicy
from lending_events import Envelope, from_minor_units, to_envelope, topic_for
from lending_events.collections_events import CollectionActionTaken, PromiseToPayBroken
from lending_events.envelope import new_event_id
from lending_messaging.context import current_context, stamp
from lending_messaging.outbox import add_many_to_outbox
from lending_platform.unit_of_work import emit_in

log = logging.getLogger("lending.collections.day_close")
_ACTION_COLUMNS = ("action_id", "case_id", "kind", "code", "stage", "business_date",
                   "performed_by", "is_contact", "reason", "strategy_id", "strategy_version",
                   "details", "dedupe_key", "delivery_status", "send_after")
_ARRAY_TYPES = ("text", "text", "text", "text", "text", "date", "text", "boolean", "text",
                "text", "text", "jsonb", "text", "text", "timestamptz")
# One statement with one array parameter per column for a whole page of actions: a multi-row
# VALUES list costs more to compile than to run. The key makes a repeated day a no-op.
_INSERT_ACTIONS = text(
    f"INSERT INTO case_actions ({', '.join(_ACTION_COLUMNS)}) SELECT * FROM unnest("
    + ", ".join(f"CAST(:{c} AS {t}[])" for c, t in zip(_ACTION_COLUMNS, _ARRAY_TYPES,
                                                        strict=True))
    + ") ON CONFLICT (dedupe_key) DO NOTHING RETURNING action_id, dedupe_key")


async def close_business_day(session: AsyncSession, policy: CollectionsPolicy,
                             business_date: date, next_business_date: date) -> None:
    await age_delinquent_loans(session, policy, business_date)
    await break_due_promises(session, business_date)
    await run_strategies(session, policy, business_date)
    await recovery.recommend_write_offs(session, policy, business_date)
    await report.snapshot_day(session, business_date)
    await repo.advance_business_date(session, next_business_date)


async def age_delinquent_loans(session: AsyncSession, policy: CollectionsPolicy,
                               business_date: date) -> int:
    """A loan in arrears is one day older each day until servicing says otherwise (servicing
    publishes delinquency when its bucket or its start changes): the day minus the start
    servicing published, or, for a loan known only from events without it, one day more
    per day."""
    aged = (await session.execute(
        update(loans)
        .where(loans.c.days_past_due > 0, loans.c.dpd_as_of < business_date,
               loans.c.status.in_(("booked", "active")))
        .values(days_past_due=case(
                    (loans.c.delinquent_since.is_not(None),
                     business_date - loans.c.delinquent_since),
                    else_=loans.c.days_past_due + (business_date - loans.c.dpd_as_of)),
                dpd_as_of=business_date)
        .returning(loans.c.loan_id, loans.c.days_past_due, loans.c.restructured))).all()
    if not aged:
        return 0
    rows = []
    for loan_id, dpd, restructured in aged:
        found = policy.rules.classify(dpd, restructured)
        rows.append({"id": loan_id, "b": bucket_of(dpd), "c": found.asset_class,
                     "s": found.ifrs9_stage})
    await session.execute(
        update(loans).where(loans.c.loan_id == bindparam("id")).values(
            bucket=bindparam("b"), asset_class=bindparam("c"), ifrs9_stage=bindparam("s"),
            classification_version=policy.rules.version),
        rows, execution_options={"synchronize_session": False})
    await session.execute(text(
        "UPDATE cases c SET days_past_due = l.days_past_due, bucket = l.bucket"
        " FROM loans l WHERE c.loan_id = l.loan_id AND c.status = 'open'"
        " AND (c.days_past_due <> l.days_past_due OR c.bucket <> l.bucket)"))
    return len(rows)


async def break_due_promises(session: AsyncSession, business_date: date) -> int:
    broken = 0
    for promise in await repo.promises_due(session, business_date):
        if not promise.close_day(business_date):
            continue
        broken += 1
        await repo.save_promise(session, promise)
        cur = promise.currency
        await repo.record(session, promise.case_id, [Recorded(
            "promise_broken", SYSTEM, business_date,
            f"promised date {promise.promised_date} passed with "
            f"{from_minor_units(promise.paid_minor, cur)} of "
            f"{from_minor_units(promise.amount_minor, cur)} paid",
            {"promise_id": promise.promise_id})])
        await emit_in(session, PromiseToPayBroken(
            loan_id=promise.loan_id, case_id=promise.case_id, promise_id=promise.promise_id,
            currency=cur, promised_amount=from_minor_units(promise.amount_minor, cur),
            amount_paid=from_minor_units(promise.paid_minor, cur),
            promised_date=promise.promised_date, broken_on=business_date), SOURCE)
    return broken


async def run_strategies(session: AsyncSession, policy: CollectionsPolicy,
                         today: date) -> int:
    now = policy.clock()
    after, taken = "", 0
    promise_pending = exists().where(promises.c.case_id == cases.c.case_id,
                                     promises.c.status == PENDING,
                                     promises.c.promised_date >= today)
    while True:
        page = (await session.execute(
            select(cases.c.case_id, cases.c.loan_id, cases.c.bucket, cases.c.days_past_due,
                   cases.c.stage, loans.c.product_code, loans.c.currency,
                   loans.c.outstanding_principal, promise_pending.label("promise_pending"))
            .join(loans, loans.c.loan_id == cases.c.loan_id)
            .where(cases.c.status == OPEN, cases.c.case_id > after)
            .order_by(cases.c.case_id).limit(policy.batch_size))).all()
        if not page:
            return taken
        history = await _history(session, [r.case_id for r in page], today)
        planned: list[PlannedAction] = []
        progress: list[dict[str, Any]] = []
        for row in page:
            view = CaseView(row.case_id, row.loan_id, row.product_code, row.bucket,
                            row.days_past_due,
                            from_minor_units(row.outstanding_principal, row.currency),
                            row.promise_pending)
            result = plan(policy.book, view, history.get(row.case_id, []), today, now)
            planned.extend(result.actions)
            stages = [row.stage, *(a.rule.stage for a in result.actions)]
            progress.append({"id": row.case_id, "next": result.next_action_on,
                             "stage": max(stages, key=_stage_rank)})
        taken += await _take(session, planned, {a.dedupe_key: a for a in planned})
        await session.execute(
            update(cases).where(cases.c.case_id == bindparam("id"))
            .values(next_action_on=bindparam("next"), stage=bindparam("stage")),
            progress, execution_options={"synchronize_session": False})
        after = page[-1].case_id


def _stage_rank(stage: str) -> int:
    return STAGES.index(stage) if stage in STAGES else -1


async def _history(session: AsyncSession, case_ids: list[str], today: date
                   ) -> dict[str, list[PastAction]]:
    """Per case: the last date of each strategy action, and every contact in the window."""
    found: dict[str, list[PastAction]] = defaultdict(list)
    rows = await session.execute(text(
        "SELECT case_id, code, max(business_date) AS last_on FROM case_actions"
        " WHERE case_id = ANY(:ids) AND code IS NOT NULL GROUP BY case_id, code"),
        {"ids": case_ids})
    for case_id, code, last_on in rows:
        found[case_id].append(PastAction(code, last_on, False))
    contacts = await session.execute(text(
        "SELECT case_id, business_date, count(*) FROM case_actions"
        " WHERE case_id = ANY(:ids) AND is_contact AND business_date > :since"
        " GROUP BY case_id, business_date"),
        {"ids": case_ids, "since": today - timedelta(days=WINDOW_DAYS)})
    for case_id, on, count in contacts:
        found[case_id].extend(PastAction("", on, True) for _ in range(count))
    return found


async def _take(session: AsyncSession, planned: list[PlannedAction],
                by_key: dict[str, PlannedAction]) -> int:
    rows = [_row(a) for a in planned]
    result = await session.execute(_INSERT_ACTIONS, {
        column: [r[column] for r in rows] for column in _ACTION_COLUMNS})
    inserted = [(r.action_id, r.dedupe_key) for r in result]
    announced = []
    # Validating and wrapping a few hundred thousand events costs more than the rest of the
    # pass: one event per (stage, outcome, date) is validated and wrapped in its envelope
    # (stamped from the consumer's context, the same for the whole pass), the others are
    # copies of that envelope that differ only in their event id and in ids this service
    # stored or generated.
    in_context = current_context() is not None
    templates: dict[tuple[str, str, date], Envelope] = {}
    for action_id, key in inserted:
        action = by_key[key]
        if action.rule.kind in MESSAGE_KINDS:
            continue  # announced by the delivery worker once the gateway has it
        outcome = ("task_created" if action.rule.kind.endswith(("_task", "_referral"))
                   else "issued")
        shape = (action.rule.stage, outcome, action.business_date)
        ids = {"loan_id": action.loan_id, "case_id": action.case_id, "action_id": action_id}
        template = templates.get(shape)
        if template is None:
            envelope = to_envelope(CollectionActionTaken(
                **ids, stage=action.rule.stage, performed_on=action.business_date,
                performed_by=SYSTEM, outcome=outcome), source=SOURCE)
            # outside a message context each copy gets its own chain when it is written
            templates[shape] = envelope = stamp(envelope) if in_context else envelope
        else:
            envelope = template.model_copy(update={
                "id": new_event_id(), "subject": action.loan_id,
                "data": {**template.data, **ids}})
        announced.append(envelope)
    # one outbox statement per page, not one per action
    await add_many_to_outbox(session, announced, topic_for(CollectionActionTaken))
    return len(inserted)


def _row(action: PlannedAction) -> dict[str, Any]:
    rule = action.rule
    message = rule.kind in MESSAGE_KINDS
    details: dict[str, Any] = {"kind": rule.kind}
    if message:
        details["body"] = rule.template.format(loan_id=action.loan_id,
                                               dpd=action.days_past_due)
    return {
        "action_id": repo.new_id("act"), "case_id": action.case_id, "kind": rule.kind,
        "code": rule.code, "stage": rule.stage, "business_date": action.business_date,
        "performed_by": SYSTEM, "is_contact": rule.is_contact,
        "reason": (f"strategy {action.strategy_id} v{action.version}: {rule.code} is due "
                   f"from {rule.from_dpd} DPD"),
        "strategy_id": action.strategy_id, "strategy_version": action.version,
        "details": json.dumps(details), "dedupe_key": action.dedupe_key,
        "delivery_status": "pending" if message else None,
        "send_after": action.send_after,
    }
