"""Credential events, published by intake (topic lending.intake.v1).

Intake owns partners, operators and their API keys; every service keeps its own projection of
these events so it can verify ``Authorization: Bearer`` locally, without a shared database or a
synchronous call. The key itself never travels: only its SHA-256 (keys are 256-bit random
secrets, so a plain hash is as strong as a slow one). These events are about a principal, not a
loan: their subject and Kafka key is the partner or operator id, so one principal's issues and
revocations stay ordered. Intake signs both events (the envelope's ``signature``); the other
services project only events that verify against intake's public key.
"""

from __future__ import annotations

from typing import ClassVar

from pydantic import AwareDatetime, Field

from lending_events.base import IntegrationEvent
from lending_events.vocabulary import Identifier, ReasonCode

PRINCIPAL_KEY = "Partner or operator id: the envelope subject and the Kafka key"


class CredentialEvent(IntegrationEvent):
    producer = "intake"
    kafka_key: ClassVar[str] = PRINCIPAL_KEY

    principal_id: Identifier = Field(description="Partner or operator id; the Kafka key")

    @property
    def subject(self) -> str:
        return self.principal_id


class CredentialIssued(CredentialEvent):
    """An API key was issued (created or rotated) for a partner or an operator."""

    principal_kind: ReasonCode = Field(description="partner or operator")
    principal_name: str = Field(min_length=1, max_length=200)
    role: ReasonCode = Field(
        description="partner for partners; underwriter, servicer, collector or admin"
    )
    key_id: Identifier = Field(description="Public part of the key, shown in logs and listings")
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$", description="SHA-256 of the whole key")
    rate_limit_per_second: int | None = Field(
        default=None, ge=1, description="Requests per second allowed; none means unlimited"
    )
    issued_at: AwareDatetime
    expires_at: AwareDatetime | None = Field(
        default=None, description="When the key stops working unless renewed (operator keys); "
        "none means it works until revoked")


class CredentialRevoked(CredentialEvent):
    """An API key was revoked (explicitly or by a rotation); it stops working everywhere."""

    key_id: Identifier
    revoked_at: AwareDatetime
    reason: ReasonCode = Field(description="revoked or rotated")


EVENTS = (CredentialIssued, CredentialRevoked)
