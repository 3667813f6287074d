"""The CloudEvents 1.0 compatible envelope every integration event travels in.

Extension attribute names follow the CloudEvents rule (lower-case letters and digits only):
correlationid, causationid, traceparent, businessdate, schemaversion, signature,
signaturekeyid.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

SPEC_VERSION = "1.0"


def new_event_id() -> str:
    return str(uuid.uuid4())


def utc_now() -> datetime:
    return datetime.now(UTC)


class Envelope(BaseModel):
    """One integration event on the wire. ``subject`` is the loan id (= application id),
    which is also the Kafka message key, so one loan's events stay in order (BusinessDayClosed,
    which is about no loan, uses the closed business date). ``data`` is the event, validated
    by ``lending_events.parse_event``."""

    model_config = ConfigDict(extra="allow", frozen=True)

    specversion: str = SPEC_VERSION
    id: str = Field(default_factory=new_event_id)
    source: str
    type: str
    subject: str
    time: datetime = Field(default_factory=utc_now)
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    correlationid: str | None = None
    causationid: str | None = None
    traceparent: str | None = None
    businessdate: date | None = None
    schemaversion: int = 1
    # Ed25519 signature of the producer over id, source, type, subject and data (base64url),
    # and the id of the key that made it; set on credential events, which intake signs
    # (lending_platform.signing).
    signature: str | None = None
    signaturekeyid: str | None = None
    data: dict[str, Any] = Field(default_factory=dict)

    def to_bytes(self) -> bytes:
        return self.model_dump_json(exclude_none=True).encode()

    @classmethod
    def from_bytes(cls, raw: bytes) -> Envelope:
        return cls.model_validate_json(raw)
