"""The underwriting service's tables, on its own MetaData beside the outbox and inbox."""

from lending_platform.database import service_metadata

metadata = service_metadata()
