"""Signed credential events: only intake holds the signing key; every other service verifies
each ``CredentialIssued``/``CredentialRevoked`` with intake's public key before projecting it.

Kafka ACLs keep other producers off intake's topic in a deployment; the signature holds even
where they do not (a shared development cluster, a mis-set ACL, a stolen client password):
whoever can write a topic still cannot mint an API key. Ed25519 keys are written
``ed25519:<base64url of the 32 raw bytes>`` (the private one is its seed).
"""

from __future__ import annotations

import base64
import hashlib
import json

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from lending_events.envelope import Envelope

SIGNED_TYPES = frozenset({"CredentialIssued", "CredentialRevoked"})
PREFIX = "ed25519:"


class ForgedEventError(ValueError):
    """A signed event type arrived unsigned, signed by an unknown key, or altered."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def parse_key(text: str) -> bytes:
    """The 32 raw bytes of an ``ed25519:...`` key; ValueError for anything else."""
    text = text.strip()
    if not text.startswith(PREFIX):
        raise ValueError(f"an Ed25519 key is written {PREFIX}<base64url>")
    raw = _unb64(text[len(PREFIX):])
    if len(raw) != 32:
        raise ValueError("an Ed25519 key has 32 bytes")
    return raw


def key_id(public_raw: bytes) -> str:
    return hashlib.sha256(public_raw).hexdigest()[:16]


def signed_bytes(envelope: Envelope) -> bytes:
    """What the signature covers: the fields a consumer acts on, in one canonical JSON form
    (the tracing and correlation extensions are stamped later and are not covered)."""
    return json.dumps(
        {"id": envelope.id, "source": envelope.source, "type": envelope.type,
         "subject": envelope.subject, "data": envelope.data},
        sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def new_signing_key() -> tuple[str, str]:
    """(private, public) key texts for ``loanctl keys`` and the docs."""
    private = Ed25519PrivateKey.generate()
    seed = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                 serialization.NoEncryption())
    public = private.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)
    return PREFIX + _b64(seed), PREFIX + _b64(public)


class CredentialSigner:
    def __init__(self, private_key: str) -> None:
        self._key = Ed25519PrivateKey.from_private_bytes(parse_key(private_key))
        public = self._key.public_key().public_bytes(serialization.Encoding.Raw,
                                                     serialization.PublicFormat.Raw)
        self.public_key = PREFIX + _b64(public)
        self.key_id = key_id(public)

    def sign(self, envelope: Envelope) -> Envelope:
        signature = self._key.sign(signed_bytes(envelope))
        return envelope.model_copy(update={"signature": _b64(signature),
                                           "signaturekeyid": self.key_id})


class CredentialVerifier:
    """Verifies against any of the configured public keys (two during a rotation)."""

    def __init__(self, public_keys: str) -> None:
        self._keys: dict[str, Ed25519PublicKey] = {}
        for text in filter(None, (part.strip() for part in public_keys.split(","))):
            raw = parse_key(text)
            self._keys[key_id(raw)] = Ed25519PublicKey.from_public_bytes(raw)
        if not self._keys:
            raise ValueError("at least one credential verification key is needed")

    def verify(self, envelope: Envelope) -> None:
        if not envelope.signature or not envelope.signaturekeyid:
            raise ForgedEventError(f"{envelope.type} {envelope.id} is not signed")
        key = self._keys.get(envelope.signaturekeyid)
        if key is None:
            raise ForgedEventError(
                f"{envelope.type} {envelope.id} is signed by unknown key "
                f"{envelope.signaturekeyid!r}")
        try:
            key.verify(_unb64(envelope.signature), signed_bytes(envelope))
        except (InvalidSignature, ValueError) as exc:
            raise ForgedEventError(
                f"{envelope.type} {envelope.id} does not match its signature") from exc
