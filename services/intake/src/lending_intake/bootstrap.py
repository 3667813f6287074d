"""The composition root: the one place where the intake service's ports are wired."""

from __future__ import annotations

import os

from lending_intake.adapters.backlogs import BACKLOGS
from lending_intake.adapters.catalogue import load_catalogue
from lending_intake.adapters.rate_limit import SharedRateLimiter
from lending_intake.adapters.submissions import SubmissionWriter
from lending_intake.adapters.webhook_delivery import (
    HttpWebhookSender,
    WebhookSender,
    WebhookWorker,
)
from lending_intake.config import Settings
from lending_intake.service_layer.context import IntakeContext, PartnerDirectory, utc_now
from lending_intake.service_layer.expiry import OfferExpiryWorker
from lending_intake.service_layer.handlers import build_handlers
from lending_messaging.ports import EventPublisher
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.wiring import standard_runtime

REACTS_TO = ("underwriting", "ledger")
# Set by ``python -m lending_intake`` for its worker processes: their shared bucket file.
SHARED_RATE_LIMITS_ENV = "INTAKE_SHARED_RATE_LIMIT_FILE"


def bootstrap(
    settings: ServiceSettings, *, publisher: EventPublisher | None = None,
    webhook_sender: WebhookSender | None = None,
) -> Runtime:
    assert isinstance(settings, Settings)
    catalogue = load_catalogue(settings.product_catalogue)  # a bad catalogue stops the start
    partners = PartnerDirectory()
    runtime = standard_runtime(
        settings, reacts_to=REACTS_TO, handlers=build_handlers(partners, utc_now),
        publisher=publisher, issues_credentials=True,
    )
    if shared := os.environ.get(SHARED_RATE_LIMITS_ENV):
        runtime.ports["rate_limiter"] = SharedRateLimiter(shared)
    ctx = IntakeContext(runtime.sessions, catalogue, settings.identity_hash_key,
                        SubmissionWriter(settings.database_url), partners, utc_now)
    runtime.ports["intake"] = ctx
    runtime.backlogs.update(BACKLOGS)
    runtime.workers["webhooks"] = WebhookWorker(
        runtime.sessions, webhook_sender or HttpWebhookSender(settings.webhook_timeout_seconds),
        poll_seconds=settings.webhook_poll_seconds, batch_size=settings.webhook_batch_size,
        backoff_scale=settings.webhook_backoff_scale,
    )
    runtime.workers["offer_expiry"] = OfferExpiryWorker(
        ctx, poll_seconds=settings.offer_expiry_poll_seconds,
        batch_size=settings.offer_expiry_batch_size)
    return runtime
