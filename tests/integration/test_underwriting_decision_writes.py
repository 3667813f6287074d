"""A group of decisions is one write on the real PostgreSQL: each new decision's offer
position or referral and its two events go with it, in order, stamped from the event that
caused it; an application decided before gets nothing written, and the others still do."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from lending_messaging.context import MessageContext, new_traceparent
from lending_underwriting.adapters.orm import borrower_loans, decisions, referrals
from lending_underwriting.service_layer.decisions import (
    Pending,
    application_from,
    decide_applications,
)
from lending_underwriting.testing import bureau_report, submitted

from .underwriting_support import (
    TopicReader,
    bureau_simulator,
    running_underwriting,
    underwriting_app,
)

pytestmark = pytest.mark.integration


def _pending(answer: Any, uw: Any, **changes: Any) -> Pending:
    loan_id = f"app-{uuid.uuid4().hex[:16]}"
    app = application_from(submitted(loan_id, identity_hash=f"tok-{uuid.uuid4().hex}",
                                     **changes))
    uw.prefetched.put(loan_id, answer)
    cause = f"cause-{loan_id}"
    return Pending(app, date.today(), MessageContext(f"corr-{loan_id}", cause,
                                                     new_traceparent()))


async def test_a_group_of_decisions_is_written_at_once_and_only_the_new_ones(
        service_app, kafka_bootstrap):
    with bureau_simulator() as (url, _):
        app = underwriting_app(service_app, url)
        reader = await TopicReader(kafka_bootstrap).start()
        try:
            async with running_underwriting(app):
                runtime = app.state.runtime
                uw = runtime.ports["underwriting"]
                earlier = _pending((bureau_report(), None), uw)
                async with runtime.sessions() as session, session.begin():
                    await decide_applications(uw, uw.store_for(session), [earlier])
                defaulted = bureau_report(defaults=1, months_since_default=3)
                group = [_pending((bureau_report(), None), uw),  # approved
                         _pending((None, "bureau down"), uw),  # referred
                         _pending((defaulted, None), uw),  # declined
                         earlier]
                async with runtime.sessions() as session, session.begin():
                    made = await decide_applications(uw, uw.store_for(session), group)
                ids = [p.app.application_id for p in group]
                for loan_id in ids:
                    await reader.wait_for(loan_id, 2)
                await reader.settle()
                async with runtime.engine.connect() as conn:
                    offered = set(await conn.scalars(select(borrower_loans.c.loan_id).where(
                        borrower_loans.c.loan_id.in_(ids))))
                    referred = set(await conn.scalars(select(referrals.c.application_id)
                                                      .where(referrals.c.application_id.in_(ids))))
                    stored = set(await conn.scalars(select(decisions.c.application_id).where(
                        decisions.c.application_id.in_(ids))))
        finally:
            await reader.stop()
    assert [d.outcome for d in made] == ["approved", "referred", "declined"]
    assert stored == set(ids)
    assert offered == {ids[0], ids[3]} and referred == {ids[1]}
    for p, kind in zip(group, ("LoanApproved", "ApplicationReferred", "ApplicationDeclined",
                               "LoanApproved"), strict=True):
        mine = [e for e in reader.seen if e.subject == p.app.application_id]
        assert [e.type for e in mine] == ["ScoreComputed", kind]  # once each, in order
        assert p.context is not None
        assert {e.correlationid for e in mine} == {p.context.correlation_id}
        assert {e.causationid for e in mine} == {p.context.causation_id}
