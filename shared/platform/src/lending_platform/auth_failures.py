"""Failed authentications counted per client address: a guessing flood gets 429s.

A token bucket per address (``per_minute`` failures, refilled continuously), in a bounded
LRU: a flood from many addresses evicts the coldest buckets, never grows memory. Only
failures take tokens, so a partner sending valid keys is never slowed by this. In this
process only, like the partner rate limit (docs/security.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from lending_platform.lru import LruCache

FOREVER = float("inf")


class FailureLimiter:
    def __init__(self, per_minute: int, max_addresses: int = 100_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._rate = per_minute / 60.0
        self._buckets: LruCache[tuple[float, float]] = LruCache(max_addresses)
        self._clock = clock

    def _tokens(self, address: str, now: float) -> float:
        tokens, last = self._buckets.get(address, now) or (self._capacity, now)
        return min(self._capacity, tokens + (now - last) * self._rate)

    def retry_after(self, address: str) -> float | None:
        """None while ``address`` may still fail; else the seconds until it may again."""
        tokens = self._tokens(address, self._clock())
        return None if tokens >= 1.0 else (1.0 - tokens) / self._rate

    def failed(self, address: str) -> None:
        now = self._clock()
        self._buckets.put(address, (max(0.0, self._tokens(address, now) - 1.0), now), FOREVER)
