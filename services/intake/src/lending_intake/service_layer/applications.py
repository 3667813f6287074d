"""The partner-facing verbs: submit, add documents, accept the offer, withdraw."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from lending_events import to_envelope, topic_for
from lending_events.intake import (
    ApplicationSubmitted,
    ApplicationWithdrawn,
    DisbursementAccount,
    DocumentsReceived,
    OfferAccepted,
)
from lending_events.money import minor_digits
from lending_intake.adapters import repository
from lending_intake.adapters.submissions import NewSubmission
from lending_intake.domain.application import Application
from lending_intake.domain.disclosure import canonical_json
from lending_intake.domain.errors import (
    ApplicationNotFoundError,
    IdempotencyKeyReusedError,
    InvalidApplicationError,
    OfferUnavailableError,
)
from lending_intake.domain.identity import split_identity
from lending_intake.domain.rules import Requested, check_application, missing_documents
from lending_intake.service_layer.context import SOURCE, IntakeContext
from lending_intake.service_layer.expiry import record_expiry
from lending_intake.service_layer.notify import queue_status_webhooks, status_webhook_rows
from lending_messaging.context import stamp
from lending_platform.unit_of_work import UnitOfWork


@dataclass(frozen=True)
class SubmitApplication:
    partner_id: str
    idempotency_key: str
    body: dict[str, Any]  # the validated request, as JSON


@dataclass(frozen=True)
class Submitted:
    status_code: int
    response: dict[str, Any]
    replayed: bool


def _requested(body: dict[str, Any]) -> Requested:
    req, fin, sec = body["requested"], body["finances"], body["security"]
    return Requested(
        product_code=body["product_code"], amount=Decimal(req["amount"]),
        currency=req["currency"], term=req["term"], frequency=req["frequency"],
        purpose=body["purpose"], date_of_birth=date.fromisoformat(
            body["applicant"]["date_of_birth"]),
        security_type=sec["type"], monthly_income=Decimal(fin["monthly_income"]),
        monthly_debt_payments=Decimal(fin["monthly_debt_payments"]),
        business_monthly_revenue=_decimal(fin.get("business_monthly_revenue")),
        guarantor_monthly_income=_decimal(sec.get("monthly_income")),
    )


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


async def submit_application(ctx: IntakeContext, cmd: SubmitApplication) -> Submitted:
    body = cmd.body
    now = ctx.clock()
    requested = _requested(body)
    product, errors = check_application(ctx.catalogue, requested, now.date())
    if errors or product is None:
        raise InvalidApplicationError(errors)
    request_sha256 = hashlib.sha256(canonical_json(body)).hexdigest()
    app_id = f"app-{uuid.uuid4().hex}"
    documents = body["documents"]
    missing = missing_documents(product, {d["type"] for d in documents})
    app = Application.submit(app_id, cmd.partner_id, product.code, missing, now)
    response = {"id": app_id, "status": app.status.value,
                "location": f"/v1/applications/{app_id}"}
    partner = await ctx.partners.lookup(ctx.sessions, cmd.partner_id)
    identity_hash = ctx.identity_hash(body["applicant"]["national_id"])
    rest, identity = split_identity(body)
    sealed = ctx.keyring.seal(canonical_json(identity), app_id)
    event = _submitted_event(app, body, requested, product.applicant_type, product.term_unit,
                             identity_hash, partner.channel if partner else "app", now)
    earlier = await ctx.submissions.write(NewSubmission(
        partner_id=cmd.partner_id, idempotency_key=cmd.idempotency_key,
        request_sha256=request_sha256, response=response,
        application={
            "id": app.id, "partner_id": app.partner_id, "product_code": app.product_code,
            "status": app.status.value, "currency": product.currency,
            "requested_amount": Decimal(body["requested"]["amount"]),
            "identity_hash": identity_hash, "request": rest, "documents": documents,
            "identity_sealed": sealed.blob, "identity_key_id": sealed.key_id,
            "missing_documents": app.missing_documents, "submitted_at": app.submitted_at},
        events=[stamp(to_envelope(event, source=SOURCE))], topic=topic_for(type(event)),
        webhooks=status_webhook_rows(partner, app),
    ))
    if earlier is None:
        return Submitted(202, response, replayed=False)
    if earlier.request_sha256 != request_sha256:
        raise IdempotencyKeyReusedError(cmd.idempotency_key)
    return Submitted(earlier.status_code, earlier.response, replayed=True)


def _submitted_event(app: Application, body: dict[str, Any], requested: Requested,
                     applicant_type: str, term_unit: str, identity_hash: str, channel: str,
                     now: datetime) -> ApplicationSubmitted:
    req, fin, sec = body["requested"], body["finances"], body["security"]
    consent_at = body["consents"].get("given_at")
    return ApplicationSubmitted(
        loan_id=app.id, partner_id=app.partner_id, channel=channel,
        applicant_id=f"cust-{identity_hash[:32]}", applicant_type=applicant_type,
        identity_hash=identity_hash, country=body["applicant"]["address"]["country"],
        product_code=app.product_code, currency=req["currency"],
        requested_amount=req["amount"], requested_term={"count": req["term"], "unit": term_unit},
        requested_frequency=req["frequency"], purpose=body["purpose"],
        security=sec["type"],
        collateral_value=_money(sec.get("estimated_value") or sec.get("invoice_amount"),
                                req["currency"]),
        related_party_id=sec.get("buyer_id"),
        declared_monthly_income=_money(fin["monthly_income"], req["currency"]),
        declared_monthly_obligations=_money(fin["monthly_debt_payments"], req["currency"]),
        declared_business_monthly_revenue=_money(requested.business_monthly_revenue,
                                                 req["currency"]),
        guarantor_monthly_income=_money(requested.guarantor_monthly_income, req["currency"]),
        documents_complete=not app.missing_documents,
        missing_documents=app.missing_documents,
        consent_given_at=datetime.fromisoformat(consent_at) if consent_at else now,
    )


def _money(value: Any, currency: str) -> Decimal | None:
    """A declared figure quantised to the currency's minor digits for the event."""
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal(1).scaleb(-minor_digits(currency)))


async def _load(uow: UnitOfWork, partner_id: str, app_id: str) -> tuple[Application, Any]:
    found = await repository.get_application(uow.session, app_id, partner_id=partner_id,
                                             for_update=True)
    if found is None:
        raise ApplicationNotFoundError(app_id)
    return found


async def add_documents(ctx: IntakeContext, partner_id: str, app_id: str,
                        documents: list[dict[str, Any]]) -> None:
    now = ctx.clock()
    async with UnitOfWork(ctx.sessions, SOURCE) as uow:
        app, row = await _load(uow, partner_id, app_id)
        product = ctx.catalogue.get(app.product_code)
        assert product is not None, "a product was removed while applications still use it"
        by_type = {d["type"]: d for d in row.documents}
        by_type.update({d["type"]: d for d in documents})
        all_documents = list(by_type.values())
        app.receive_documents(missing_documents(product, set(by_type)), now)
        await repository.save_application(uow.session, app, documents=all_documents)
        await uow.emit(DocumentsReceived(
            loan_id=app.id, document_types=sorted({d["type"] for d in documents}),
            documents_complete=not app.missing_documents,
            missing_documents=app.missing_documents, received_at=now))
        await queue_status_webhooks(ctx.partners, uow.session, app)
        await uow.commit()


async def accept_offer(ctx: IntakeContext, partner_id: str, app_id: str,
                       evidence: dict[str, Any]) -> Application:
    now = ctx.clock()
    async with UnitOfWork(ctx.sessions, SOURCE) as uow:
        app, row = await _load(uow, partner_id, app_id)
        try:
            offer = app.accept_offer(evidence["offer_id"], evidence["disclosure_sha256"],
                                     evidence, now)
        except OfferUnavailableError as exc:
            if exc.reason == "expired":  # record the expiry we just noticed, then refuse
                await record_expiry(ctx, uow, app, now)
                await uow.commit()
            raise
        account = row.request["disbursement_account"]
        await repository.save_application(uow.session, app)
        await uow.emit(OfferAccepted(
            loan_id=app.id, offer_id=offer.offer_id, decision_id=offer.decision_id,
            accepted_at=datetime.fromisoformat(evidence["accepted_at"]),
            disbursement_account=DisbursementAccount(method=account["method"],
                                                     account_ref=account["account_ref"]),
            signature_ref=f"esig:{offer.offer_id}:{evidence['disclosure_sha256'][:16]}",
        ))
        await queue_status_webhooks(ctx.partners, uow.session, app)
        await uow.commit()
    return app


async def withdraw(ctx: IntakeContext, partner_id: str, app_id: str, reason: str) -> Application:
    now = ctx.clock()
    async with UnitOfWork(ctx.sessions, SOURCE) as uow:
        app, _ = await _load(uow, partner_id, app_id)
        app.withdraw(now)
        await repository.save_application(uow.session, app)
        await uow.emit(ApplicationWithdrawn(
            loan_id=app.id, reason=reason,
            withdrawn_by="applicant" if reason == "borrower_request" else "partner",
            withdrawn_at=now))
        await queue_status_webhooks(ctx.partners, uow.session, app)
        await uow.commit()
    return app
