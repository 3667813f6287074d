"""The typed settings every service shares; each service subclasses with its own env prefix.

``KAFKA_BOOTSTRAP_SERVERS`` (no prefix) points every service at one cluster; the prefixed
``<SERVICE>_KAFKA_BOOTSTRAP_SERVERS`` overrides it for one service. The other un-prefixed
shared defaults work the same way (``LENDING_ENVIRONMENT``, ``KAFKA_SECURITY_PROTOCOL``, ...).

Environments: ``<SERVICE>_ENVIRONMENT`` or ``LENDING_ENVIRONMENT``, matched case-insensitively;
**unset means production**. Every key a service ships a default for (``development_secret``)
works only in ``development``: anywhere else the service refuses to start until that key is
set. The development stack (`make run`), the test session and docker-compose say
``development`` explicitly.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEVELOPMENT = "development"
PRODUCTION = "production"
_DEV_SECRET = "development_secret"


def _default_kafka() -> str:
    port = os.environ.get("LENDING_KAFKA_PORT", "29092")
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{port}"


def shared_default(variable: str, default: str) -> Callable[[], str]:
    """A field default read from an un-prefixed variable every service shares."""
    return lambda: os.environ.get(variable) or default


def development_secret(default: str, description: str) -> Any:
    """A key with a default that only ``development`` may use (refused elsewhere)."""
    return Field(default=SecretStr(default), description=description,
                 json_schema_extra={_DEV_SECRET: True})


def default_database_url(database: str) -> str:
    """The local devstack server, or the server named by LENDING_PG_ADMIN_URL."""
    admin = os.environ.get("LENDING_PG_ADMIN_URL")
    if admin:
        base = admin.split("://", 1)[1].rsplit("/", 1)[0] if admin.count("/") > 2 else (
            admin.split("://", 1)[1]
        )
    else:
        base = f"postgres@127.0.0.1:{os.environ.get('LENDING_PG_PORT', '54329')}"
    return f"postgresql+asyncpg://{base}/{database}"


# The development credential verification key: the public half of intake's development
# signing key (lending_intake.config). Published here, so refused outside development.
DEV_CREDENTIAL_VERIFY_KEY = "ed25519:maROx8Ou4qbV0zDElCN7gFDxVBB_8VULUpRV6-W5wG4"


class DevelopmentSecretError(ValueError):
    """A development default key is in use outside development."""


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: str
    host: str = "127.0.0.1"
    port: int
    environment: str = Field(default_factory=shared_default("LENDING_ENVIRONMENT", PRODUCTION))
    database_url: str = ""
    db_pool_size: int = Field(default=10, ge=1)
    kafka_bootstrap_servers: str = Field(default_factory=_default_kafka)
    # Kafka client authentication (docs/security.md): PLAINTEXT locally; in Kubernetes
    # SASL_SSL with SCRAM-SHA-512 as the service's own KafkaUser, whose ACLs let it write
    # only its own topic and read only what it consumes.
    kafka_security_protocol: str = Field(
        default_factory=shared_default("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"))
    kafka_sasl_mechanism: str = Field(
        default_factory=shared_default("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"))
    kafka_sasl_username: str = ""
    kafka_sasl_password: SecretStr = SecretStr("")
    kafka_ssl_cafile: str = Field(default_factory=shared_default("KAFKA_SSL_CAFILE", ""))
    consumer_group: str = ""
    consumer_batch_size: int = Field(default=500, ge=1)
    # Transactions the consumer runs at once (one key's records never run side by side);
    # keep it below db_pool_size.
    consumer_concurrency: int = Field(default=8, ge=1)
    # Where a consumer group without committed offsets starts. "earliest" (production) never
    # skips an event; tests on shared topics use "latest" after waiting for the assignment.
    consumer_offset_reset: Literal["earliest", "latest"] = "earliest"
    relay_batch_size: int = Field(default=500, ge=1)
    run_migrations_on_start: bool = True
    run_background_workers: bool = True
    log_level: str = "INFO"
    log_json: bool = True
    # Largest request body the service reads (bytes); larger ones get a 413 problem document
    # (body_limit.py), whatever the ingress in front allows.
    max_request_body_bytes: int = Field(default=1_048_576, ge=1024)
    # Intake's public keys that sign credential events ("ed25519:<base64url>", comma
    # separated: during a rotation both the old and the new one).
    credential_verify_keys: SecretStr = development_secret(
        DEV_CREDENTIAL_VERIFY_KEY, "Public keys that sign CredentialIssued/Revoked")
    # API keys are refused while this service's credential projection is older than this:
    # a revocation is honoured everywhere within it plus the 5 s key cache. 0 = never refuse.
    credential_max_staleness_seconds: float = Field(default=30.0, ge=0)
    # A partner key issued without a rate limit gets this one (requests per second).
    default_partner_rate_limit_per_second: int = Field(default=100, ge=1)
    # Failed authentications (unknown, revoked, malformed keys) allowed per client address
    # and minute before that address gets 429s: a guessing flood costs bounded queries.
    auth_failures_per_minute: int = Field(default=60, ge=1)
    # Proxies (comma-separated addresses, or "*") whose X-Forwarded-For names the client:
    # the ingress controller's, so the failure limit counts partners, not the ingress.
    forwarded_allow_ips: str = "127.0.0.1"

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return upper

    @field_validator("kafka_security_protocol")
    @classmethod
    def _known_protocol(cls, value: str) -> str:
        upper = value.strip().upper()
        if upper not in {"PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"}:
            raise ValueError("must be one of PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL")
        return upper

    @field_validator("environment")
    @classmethod
    def _one_word(cls, value: str) -> str:
        normal = value.strip().lower()
        if not normal or not normal.replace("-", "").replace("_", "").isalnum():
            raise ValueError("must be a name such as development, staging or production")
        return normal

    @property
    def is_development(self) -> bool:
        return self.environment == DEVELOPMENT

    def env_name(self, field: str) -> str:
        """The environment variable that sets ``field`` for this service."""
        return (str(self.model_config.get("env_prefix", "")) + field).upper()

    def model_post_init(self, _context: object) -> None:
        if not self.database_url:
            self.database_url = default_database_url(self.service_name)
        if not self.consumer_group:
            self.consumer_group = f"lending-{self.service_name}"
        refuse_development_secrets(self)

    def kafka_client_options(self) -> dict[str, Any]:
        """The aiokafka options every client of this service passes (producer, consumer,
        admin, probes): none for PLAINTEXT."""
        return kafka_client_options(
            self.kafka_security_protocol, self.kafka_sasl_mechanism, self.kafka_sasl_username,
            self.kafka_sasl_password.get_secret_value(), self.kafka_ssl_cafile)


def kafka_client_options(protocol: str, mechanism: str, username: str, password: str,
                         cafile: str) -> dict[str, Any]:
    if protocol == "PLAINTEXT":
        return {}
    options: dict[str, Any] = {"security_protocol": protocol}
    if protocol in ("SSL", "SASL_SSL"):
        from aiokafka.helpers import create_ssl_context

        options["ssl_context"] = create_ssl_context(cafile=cafile or None)
    if protocol.startswith("SASL"):
        options.update(sasl_mechanism=mechanism, sasl_plain_username=username,
                       sasl_plain_password=password)
    return options


def _secret_value(value: object) -> object:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def refuse_development_secrets(settings: ServiceSettings) -> None:
    """Outside development, every ``development_secret`` must have been set to another value."""
    if settings.is_development:
        return
    left = [
        settings.env_name(name) for name, info in type(settings).model_fields.items()
        if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get(_DEV_SECRET)
        and _secret_value(getattr(settings, name)) == _secret_value(info.default)
    ]
    if left:
        raise DevelopmentSecretError(
            f"{', '.join(left)} must be set in environment {settings.environment!r}: the "
            "defaults are development keys published with the code (set "
            f"{settings.env_name('environment')} or LENDING_ENVIRONMENT=development for a "
            "local stack)")
