"""The intake service's tables, on its own MetaData beside the outbox, inbox and credentials.

Intake alone stores identity data, and only sealed (lending_platform.encryption): the
applicant, a guarantor's identity and the account holder's name are in
``applications.identity_sealed``; ``applications.request`` keeps the rest of the request as
sent. Every event and log line carries only ``identity_hash``, a keyed hash of the national
id. Webhook secrets are sealed too (``partners.webhook_secret_sealed``); ``webhook_secret``
holds a clear one only until the at-rest worker seals it (rows from before encryption).
"""

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Identity,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    Table,
    Text,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB

from lending_platform.database import service_metadata

metadata = service_metadata()

partners = Table(
    "partners", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("channel", Text, nullable=False),
    Column("webhook_url", Text),
    Column("webhook_secret", Text),
    Column("webhook_secret_sealed", LargeBinary),
    Column("webhook_secret_key_id", Text),
    Column("rate_limit_per_second", Integer),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

operators = Table(
    "operators", metadata,
    Column("id", Text, primary_key=True),
    Column("name", Text, nullable=False, unique=True),
    Column("role", Text, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

applications = Table(
    "applications", metadata,
    Column("id", Text, primary_key=True),
    Column("partner_id", Text, nullable=False),
    Column("product_code", Text, nullable=False),
    Column("status", Text, nullable=False),
    Column("currency", Text, nullable=False),
    Column("requested_amount", Numeric, nullable=False),
    Column("identity_hash", Text, nullable=False),
    Column("request", JSONB, nullable=False),
    Column("documents", JSONB, nullable=False),
    Column("missing_documents", JSONB, nullable=False),
    Column("decision", JSONB),
    Column("offer", JSONB),
    Column("accepted", JSONB),
    Column("submitted_at", DateTime(timezone=True), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    # The current offer's expiry, beside the JSON, so the sweep finds due offers by index.
    Column("offer_expires_at", DateTime(timezone=True)),
    Column("identity_sealed", LargeBinary),
    Column("identity_key_id", Text),
    # Set when the identity was erased after the retention period (never a loan).
    Column("erased_at", DateTime(timezone=True)),
    Index("applications_by_partner", "partner_id", "submitted_at", "id"),
    Index("applications_by_identity", "identity_hash"),
    Index("applications_offers_due", "offer_expires_at",
          postgresql_where=text("status = 'approved'")),
    Index("applications_by_identity_key", "identity_key_id"),
    Index("applications_identity_in_clear", "submitted_at",
          postgresql_where=text("request ? 'applicant'")),
    Index("applications_erasable", "updated_at",
          postgresql_where=text("erased_at IS NULL AND status IN ('declined', 'withdrawn', "
                                "'expired')")),
)

idempotency_keys = Table(
    "idempotency_keys", metadata,
    Column("partner_id", Text, primary_key=True),
    Column("key", Text, primary_key=True),
    Column("request_sha256", Text, nullable=False),
    Column("application_id", Text, nullable=False),
    Column("status_code", Integer, nullable=False),
    Column("response", JSONB, nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False, server_default=text("now()")),
)

webhook_deliveries = Table(
    "webhook_deliveries", metadata,
    Column("seq", BigInteger, Identity(always=False), primary_key=True),
    Column("id", Text, nullable=False, unique=True),
    Column("partner_id", Text, nullable=False),
    Column("application_id", Text, nullable=False),
    Column("event_type", Text, nullable=False),
    Column("url", Text, nullable=False),
    Column("body", Text, nullable=False),
    Column("state", Text, nullable=False),  # pending, delivered, failed
    Column("attempts", Integer, nullable=False, server_default=text("0")),
    Column("next_attempt_at", DateTime(timezone=True), nullable=False),
    Column("last_status_code", Integer),
    Column("last_error", Text),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("delivered_at", DateTime(timezone=True)),
    Index("webhook_deliveries_due", "next_attempt_at", postgresql_where=text("state = 'pending'")),
    Index("webhook_deliveries_by_partner", "partner_id", "seq"),
)
