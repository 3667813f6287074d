"""Webhook signatures and the retry schedule.

Header ``Lending-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>``.
Signing the timestamp with the body lets a receiver refuse replays older than its tolerance.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

SIGNATURE_HEADER = "Lending-Signature"
RETRY_WINDOW = timedelta(hours=24)
# Waits after the 1st, 2nd, ... failed attempt; the last one repeats until the window closes.
BACKOFF = (10, 30, 120, 600, 1800, 3600, 7200)


def signature(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes, now: int, tolerance: int = 300) -> bool:
    try:
        parts = dict(p.split("=", 1) for p in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature(secret, timestamp, body).split("v1=", 1)[1]
    return hmac.compare_digest(expected, parts.get("v1", ""))


def next_wait(attempts: int, scale: float = 1.0) -> float:
    """Seconds to wait after ``attempts`` failed attempts (scale shrinks it in tests)."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1] * scale
