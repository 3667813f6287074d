"""Payoff quote ids that prove themselves: the quote's figures and an HMAC over them and the
loan id, so answering ``GET /payoff`` writes nothing and a payment's quote id is checked
without a lookup (docs/servicing.md "Payoff quotes"). Pure: standard library only.

The id is ``pq1-`` and 56 lowercase base32 characters (60 in all, within the events'
64-character identifiers): a version byte, the as-of date, the days it stays valid, the
principal and the total in minor units, and the first 12 bytes (96 bits) of
HMAC-SHA256(key, loan id, those fields). A quote id for another loan, or with any figure
changed, does not verify; rotating the key invalidates the quotes issued before.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from dataclasses import dataclass
from datetime import date, timedelta

PREFIX = "pq1-"
_VERSION = 1
_FIELDS = struct.Struct(">BIHQQ")  # version, as_of ordinal, days valid, principal, total
_MAC_BYTES = 12
_LENGTH = len(PREFIX) + 56


class InvalidQuoteIdError(ValueError):
    """Not a quote id this service issued for this loan (or the key has changed)."""


@dataclass(frozen=True, slots=True)
class SignedQuote:
    loan_id: str
    as_of: date
    valid_until: date
    principal: int
    total: int


def _mac(key: bytes, loan_id: str, fields: bytes) -> bytes:
    message = b"payoff-quote\x00" + loan_id.encode() + b"\x00" + fields
    return hmac.new(key, message, hashlib.sha256).digest()[:_MAC_BYTES]


def sign(quote: SignedQuote, key: bytes) -> str:
    fields = _FIELDS.pack(_VERSION, quote.as_of.toordinal(),
                          (quote.valid_until - quote.as_of).days, quote.principal, quote.total)
    raw = fields + _mac(key, quote.loan_id, fields)
    return PREFIX + base64.b32encode(raw).decode().lower()


def verify(quote_id: str, loan_id: str, key: bytes) -> SignedQuote:
    """The quote ``quote_id`` states for ``loan_id``, or InvalidQuoteIdError."""
    if len(quote_id) != _LENGTH or not quote_id.startswith(PREFIX):
        raise InvalidQuoteIdError(quote_id)
    try:
        raw = base64.b32decode(quote_id[len(PREFIX):].upper())
    except ValueError:
        raise InvalidQuoteIdError(quote_id) from None
    fields, mac = raw[:_FIELDS.size], raw[_FIELDS.size:]
    if not hmac.compare_digest(mac, _mac(key, loan_id, fields)):
        raise InvalidQuoteIdError(quote_id)
    version, ordinal, days, principal, total = _FIELDS.unpack(fields)
    if version != _VERSION:
        raise InvalidQuoteIdError(quote_id)
    as_of = date.fromordinal(ordinal)
    return SignedQuote(loan_id, as_of, as_of + timedelta(days=days), principal, total)
