"""Database rows and catalogue entries as the public response models."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from lending_intake.adapters.repository import application_from_row
from lending_intake.domain.products import Catalogue, Product
from lending_intake.entrypoints.schemas import (
    ApplicationPublic,
    DecisionPublic,
    OfferPublic,
    ProductList,
    ProductPublic,
    WebhookDeliveryPublic,
)


def application_public(row: Any, now: datetime) -> ApplicationPublic:
    app = application_from_row(row)
    request = row.request
    offer = None
    if app.offer is not None and app.status.value in ("approved", "offer_accepted",
                                                       "disbursed", "disbursement_failed",
                                                       "expired"):
        d = app.offer.disclosure
        offer = OfferPublic(
            offer_id=app.offer.offer_id, expires_at=app.offer.expires_at,
            currency=d["currency"], amount=d["amount"], annual_rate=d["annual_rate"],
            apr=d["apr"], apr_method=d["apr_method"], total_interest=d["total_interest"],
            total_fees=d["total_fees"], total_cost=d["total_cost"],
            total_repayable=d["total_repayable"], term=d["term"], frequency=d["frequency"],
            fees=d["fees"], schedule=d["schedule"],
            disclosure_sha256=app.offer.disclosure_sha256)
    return ApplicationPublic(
        id=app.id, status=app.current_status(now).value, product_code=app.product_code,
        requested=request["requested"], purpose=request["purpose"],
        missing_documents=app.missing_documents,
        documents=[{"type": d["type"], "sha256": d["sha256"]} for d in row.documents],
        decision=DecisionPublic.model_validate(app.decision) if app.decision else None,
        offer=offer, submitted_at=app.submitted_at, updated_at=app.updated_at,
    )


def product_public(p: Product) -> ProductPublic:
    return ProductPublic(
        code=p.code, name=p.name, family=p.family, description=p.description,
        applicant_type=p.applicant_type, currency=p.currency,
        amount={"min": str(p.amount_min), "max": str(p.amount_max)},
        term={"unit": p.term_unit, "min": p.term_min, "max": p.term_max},
        frequencies=list(p.frequencies), amortization=list(p.amortization),
        interest_method=p.interest_method,
        annual_rate={"min": str(p.annual_rate_min), "max": str(p.annual_rate_max)},
        security=list(p.security), required_documents=list(p.required_documents),
        fees=[{k: (str(v) if v is not None and not isinstance(v, bool | str) else v)
               for k, v in vars(f).items() if v is not None} for f in p.fees],
    )


def catalogue_public(catalogue: Catalogue) -> ProductList:
    return ProductList(items=[product_public(p) for p in catalogue.products.values()],
                       age_of_majority=catalogue.age_of_majority,
                       prohibited_purposes=sorted(catalogue.prohibited_purposes))


def delivery_public(row: Any) -> WebhookDeliveryPublic:
    return WebhookDeliveryPublic(
        id=row.id, application_id=row.application_id, event_type=row.event_type, url=row.url,
        state=row.state, attempts=row.attempts,
        next_attempt_at=row.next_attempt_at if row.state == "pending" else None,
        last_status_code=row.last_status_code, last_error=row.last_error,
        created_at=row.created_at, delivered_at=row.delivered_at,
        payload=json.loads(row.body))
