"""The composition root: the one place where the ledger service's ports are wired."""

from lending_messaging.ports import EventPublisher
from lending_platform.runtime import Runtime
from lending_platform.settings import ServiceSettings
from lending_platform.wiring import standard_runtime

from lending_ledger.service_layer.handlers import HANDLERS

REACTS_TO = ("intake", "underwriting", "servicing", "collections",)


def bootstrap(settings: ServiceSettings, *, publisher: EventPublisher | None = None) -> Runtime:
    return standard_runtime(
        settings, reacts_to=REACTS_TO, handlers=HANDLERS, publisher=publisher
    )
