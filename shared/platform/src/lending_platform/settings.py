"""The typed settings every service shares; each service subclasses with its own env prefix.

``KAFKA_BOOTSTRAP_SERVERS`` (no prefix) points every service at one cluster; the prefixed
``<SERVICE>_KAFKA_BOOTSTRAP_SERVERS`` overrides it for one service.
"""

from __future__ import annotations

import os
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_kafka() -> str:
    port = os.environ.get("LENDING_KAFKA_PORT", "29092")
    return os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or f"127.0.0.1:{port}"


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


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(extra="ignore")

    service_name: str
    host: str = "127.0.0.1"
    port: int
    database_url: str = ""
    db_pool_size: int = Field(default=10, ge=1)
    kafka_bootstrap_servers: str = Field(default_factory=_default_kafka)
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

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        upper = value.upper()
        if upper not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise ValueError("must be one of DEBUG, INFO, WARNING, ERROR")
        return upper

    def model_post_init(self, _context: object) -> None:
        if not self.database_url:
            self.database_url = default_database_url(self.service_name)
        if not self.consumer_group:
            self.consumer_group = f"lending-{self.service_name}"
