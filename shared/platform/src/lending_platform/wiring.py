"""The standard wiring every service's bootstrap.py starts from: engine, publisher, relay
and consumer. A service adds its own ports to ``Runtime.ports``."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from lending_events import TOPIC_BY_SERVICE
from lending_messaging.kafka_publisher import KafkaEventPublisher
from lending_messaging.lag import ConsumerLagProbe
from lending_messaging.ports import BatchHandler, EventPublisher, LockOrder
from lending_messaging.relay import OutboxRelay
from lending_messaging.runner import ConsumerRunner
from lending_platform.auth_failures import FailureLimiter
from lending_platform.credentials import CREDENTIAL_HANDLERS, CredentialStore, RateLimiter
from lending_platform.database import create_engine, session_factory
from lending_platform.dispatch import EventAdmission, EventDispatcher, EventHandler
from lending_platform.freshness import FreshnessSampler, ProjectionFreshness
from lending_platform.health import KafkaProbe
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.signing import CredentialVerifier
from lending_platform.tracing import instrument_engine, tracing_on

CREDENTIALS_FROM = "intake"


def standard_runtime(
    settings: ServiceSettings,
    *,
    reacts_to: Sequence[str],
    handlers: Mapping[str, EventHandler],
    publisher: EventPublisher | None = None,
    issues_credentials: bool = False,
    batched: Callable[[EventDispatcher], BatchHandler] | None = None,
    lock_order: LockOrder | None = None,
) -> Runtime:
    """``reacts_to`` names producing services (their topics are subscribed). ``batched``:
    the consumer hands each batch to the batch handler it makes from the dispatcher of
    ``handlers`` (one handler call per event otherwise). ``lock_order``: where an event's
    locks come in the service's one global lock order, by its key (``ports.LockOrder``);
    a service whose handlers lock per loan while something else locks several loans at once
    gives it, and each batch is handled in that order.

    Every service verifies API keys locally: unless it is the issuer (intake, which writes its
    projection in the issuing transaction), it subscribes to intake's topic for the credential
    events, keeps them in its own ``credentials`` table once their signature verifies, and
    refuses keys while that projection is older than ``credential_max_staleness_seconds``.
    Every consumed event of a type the service handles passes ``EventAdmission`` (its
    owner's topic and source) first; others are skipped from their type header.
    """
    kafka = settings.kafka_client_options()
    engine = create_engine(settings.database_url, settings.db_pool_size)
    if tracing_on():
        instrument_engine(engine)
    sessions = session_factory(engine)
    publisher = publisher or KafkaEventPublisher(settings.kafka_bootstrap_servers, **kafka)
    runtime = Runtime(
        settings=settings, engine=engine, sessions=sessions, publisher=publisher,
        kafka_probe=KafkaProbe(settings.kafka_bootstrap_servers, **kafka),
    )
    freshness = None
    if not issues_credentials and settings.credential_max_staleness_seconds > 0:
        freshness = ProjectionFreshness(settings.credential_max_staleness_seconds)
        runtime.monitors["credential_freshness"] = FreshnessSampler(ConsumerLagProbe(
            settings.kafka_bootstrap_servers, settings.consumer_group,
            [TOPIC_BY_SERVICE[CREDENTIALS_FROM]], **kafka), freshness)
    runtime.ports["credentials"] = CredentialStore(
        sessions, default_partner_rate=settings.default_partner_rate_limit_per_second,
        freshness=freshness)
    runtime.ports["rate_limiter"] = RateLimiter()
    runtime.ports["auth_failures"] = FailureLimiter(settings.auth_failures_per_minute)
    runtime.workers["relay"] = OutboxRelay(engine, publisher, batch_size=settings.relay_batch_size)
    if not issues_credentials:
        reacts_to = tuple(dict.fromkeys([*reacts_to, CREDENTIALS_FROM]))
        handlers = {**CREDENTIAL_HANDLERS, **handlers}
    topics = [TOPIC_BY_SERVICE[name] for name in reacts_to]
    if topics:
        dispatcher = EventDispatcher(handlers)
        admission = EventAdmission(
            CredentialVerifier(settings.credential_verify_keys.get_secret_value()))
        runtime.workers["consumer"] = ConsumerRunner(
            settings.kafka_bootstrap_servers, settings.consumer_group, topics, sessions,
            None if batched else dispatcher,
            batch_handler=batched(dispatcher) if batched else None, dead_letters=publisher,
            max_records=settings.consumer_batch_size,
            concurrency=settings.consumer_concurrency,
            auto_offset_reset=settings.consumer_offset_reset, lock_order=lock_order,
            admission=admission.refusal, handles=dispatcher.handled_types, **kafka,
        )
        runtime.lag_probe = ConsumerLagProbe(settings.kafka_bootstrap_servers,
                                             settings.consumer_group, topics, **kafka)
    return runtime
