"""Envelope encryption at rest (AES-256-GCM), for the few columns that hold secrets or
personal data (intake: webhook secrets, applicants' identities).

Each value gets its own random data key; the data key is wrapped by a key-encryption key
from settings, and the wrapping key's id is stored beside the value. Rotation adds a new
key to the ring, makes it active, then re-wraps the stored data keys (``rewrap``: 60 bytes
a row, the data itself untouched) and finally drops the old key. ``context`` binds a value
to its row (the application id, the partner id), so a ciphertext copied to another row does
not open. Keys are written ``<id>:<base64url of 32 bytes>``, comma separated.
"""

from __future__ import annotations

import base64
import os
import re
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = 1
_NONCE = 12
_WRAPPED = 32 + 16  # a 256-bit data key and its GCM tag
_KEY_ID = re.compile(r"[A-Za-z0-9._-]{1,32}")


class UndecryptableError(ValueError):
    """Unknown key id, a value from another row, or a damaged value."""


@dataclass(frozen=True)
class Sealed:
    key_id: str
    blob: bytes


def new_key_text(key_id: str) -> str:
    return f"{key_id}:{base64.urlsafe_b64encode(os.urandom(32)).decode().rstrip('=')}"


def parse_keys(text: str) -> dict[str, bytes]:
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key_id, sep, encoded = part.partition(":")
        if not sep or not _KEY_ID.fullmatch(key_id):
            raise ValueError("keys are written <id>:<base64url of 32 bytes>, comma separated")
        raw = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        if len(raw) != 32:
            raise ValueError(f"key {key_id!r} must have 32 bytes")
        keys[key_id] = raw
    return keys


class KeyRing:
    def __init__(self, keys: str, active: str) -> None:
        self._keys = parse_keys(keys)
        if active not in self._keys:
            raise ValueError(f"the active key {active!r} is not in the key ring")
        self.active_id = active

    def seal(self, plaintext: bytes, context: str) -> Sealed:
        data_key = AESGCM.generate_key(bit_length=256)
        data_nonce = os.urandom(_NONCE)
        ciphertext = AESGCM(data_key).encrypt(data_nonce, plaintext, context.encode())
        return Sealed(self.active_id, bytes([VERSION]) + self._wrap(data_key, self.active_id,
                                                                    context)
                      + data_nonce + ciphertext)

    def open(self, sealed: Sealed, context: str) -> bytes:
        data_key, rest = self._unwrap(sealed, context)
        try:
            return AESGCM(data_key).decrypt(rest[:_NONCE], rest[_NONCE:], context.encode())
        except InvalidTag as exc:
            raise UndecryptableError("the value does not open under its key") from exc

    def rewrap(self, sealed: Sealed, context: str) -> Sealed:
        """The same value with its data key wrapped by the active key."""
        data_key, rest = self._unwrap(sealed, context)
        return Sealed(self.active_id,
                      bytes([VERSION]) + self._wrap(data_key, self.active_id, context) + rest)

    def _wrap(self, data_key: bytes, key_id: str, context: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + AESGCM(self._keys[key_id]).encrypt(nonce, data_key,
                                                          f"{key_id}|{context}".encode())

    def _unwrap(self, sealed: Sealed, context: str) -> tuple[bytes, bytes]:
        key = self._keys.get(sealed.key_id)
        if key is None:
            raise UndecryptableError(f"no key {sealed.key_id!r} in the key ring")
        blob = sealed.blob
        if not blob or blob[0] != VERSION or len(blob) < 1 + _NONCE + _WRAPPED + _NONCE + 16:
            raise UndecryptableError("not a sealed value")
        nonce, wrapped = blob[1:1 + _NONCE], blob[1 + _NONCE:1 + _NONCE + _WRAPPED]
        try:
            data_key = AESGCM(key).decrypt(nonce, wrapped, f"{sealed.key_id}|{context}".encode())
        except InvalidTag as exc:
            raise UndecryptableError("the data key does not unwrap (wrong row or key)") from exc
        return data_key, blob[1 + _NONCE + _WRAPPED:]
