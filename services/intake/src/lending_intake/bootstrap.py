"""The composition root: the one place where the intake service's ports are wired."""

from __future__ import annotations

import os
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

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
from lending_intake.domain.webhook_urls import WebhookUrlPolicy
from lending_intake.service_layer.at_rest import AtRest, AtRestWorker
from lending_intake.service_layer.context import IntakeContext, PartnerDirectory, utc_now
from lending_intake.service_layer.credentials import Issuer
from lending_intake.service_layer.expiry import OfferExpiryWorker
from lending_intake.service_layer.handlers import build_handlers
from lending_messaging.ports import EventPublisher
from lending_messaging.wakeup import Wakeup
from lending_platform.encryption import KeyRing
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.signing import CredentialSigner
from lending_platform.wiring import standard_runtime

REACTS_TO = ("underwriting", "ledger")
# Set by ``python -m lending_intake`` for its worker processes: their shared bucket file.
SHARED_RATE_LIMITS_ENV = "INTAKE_SHARED_RATE_LIMIT_FILE"


def keyring(settings: Settings) -> KeyRing:
    return KeyRing(settings.encryption_keys.get_secret_value(), settings.encryption_key_id)


def build_issuer(settings: Settings, sessions: async_sessionmaker[AsyncSession]) -> Issuer:
    """What issuing keys needs; `loanctl partners|operators` builds it the same way."""
    return Issuer(
        sessions=sessions,
        signer=CredentialSigner(settings.credential_signing_key.get_secret_value()),
        keyring=keyring(settings), webhook_urls=WebhookUrlPolicy(settings.webhook_allowed_hosts),
        default_rate_limit=settings.default_partner_rate_limit_per_second,
        operator_key_ttl=timedelta(days=settings.operator_key_ttl_days))


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
    issuer = build_issuer(settings, runtime.sessions)
    runtime.ports["issuer"] = issuer
    ctx = IntakeContext(runtime.sessions, catalogue,
                        settings.identity_hash_key.get_secret_value(),
                        SubmissionWriter(settings.database_url), issuer.keyring, partners,
                        utc_now)
    runtime.ports["intake"] = ctx
    at_rest = AtRest(runtime.sessions, issuer.keyring)
    runtime.ports["at_rest"] = at_rest
    runtime.backlogs.update(BACKLOGS)
    runtime.workers["webhooks"] = WebhookWorker(
        runtime.sessions, webhook_sender or HttpWebhookSender(
            settings.webhook_timeout_seconds, issuer.webhook_urls),
        keyring=issuer.keyring, poll_seconds=settings.webhook_poll_seconds,
        batch_size=settings.webhook_batch_size, backoff_scale=settings.webhook_backoff_scale,
        per_partner=settings.webhook_per_partner,
        wakeup=Wakeup(runtime.engine, "webhook_deliveries"),
    )
    runtime.workers["offer_expiry"] = OfferExpiryWorker(
        ctx, poll_seconds=settings.offer_expiry_poll_seconds,
        batch_size=settings.offer_expiry_batch_size)
    runtime.workers["at_rest"] = AtRestWorker(at_rest, poll_seconds=settings.at_rest_poll_seconds)
    return runtime
