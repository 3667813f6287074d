"""The per-partner token bucket, shared by every worker process of one intake instance.

lending_platform's RateLimiter keeps its buckets in process memory, so N worker processes
would allow a partner N times its limit. This one keeps them in a small file that the parent
process creates and every worker maps: same algorithm (burst = one second's allowance), one
bucket per partner per host. An exclusive ``flock`` around each take keeps the read-modify-
write whole across processes; ``time.monotonic`` is the system-wide monotonic clock, the
same in every process. Replicas on other hosts still each allow the limit (docs/intake.md).
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import struct
import tempfile
import time
from collections.abc import Callable

from lending_platform.credentials import Principal

SLOTS = 16_384  # partners with a limit per host; past that, buckets share slots (stricter)
_SLOT = struct.Struct("16sdd")  # principal digest, tokens, last refill (monotonic seconds)
_EMPTY = bytes(16)


def create_bucket_file() -> str:
    """The file a parent process hands to its workers (it deletes it when they are done)."""
    fd, path = tempfile.mkstemp(prefix="intake-rate-limits-")
    try:
        os.ftruncate(fd, SLOTS * _SLOT.size)
    finally:
        os.close(fd)
    return path


class SharedRateLimiter:
    def __init__(self, path: str, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._fd = os.open(path, os.O_RDWR)
        self._map = mmap.mmap(self._fd, SLOTS * _SLOT.size)

    def close(self) -> None:
        self._map.close()
        os.close(self._fd)

    def retry_after(self, principal: Principal) -> float | None:
        """Takes one token; returns None when allowed, else the seconds until a token."""
        rate = principal.rate_limit_per_second
        if rate is None:
            return None
        digest = hashlib.blake2b(principal.id.encode(), digest_size=16).digest()
        fcntl.flock(self._fd, fcntl.LOCK_EX)
        try:
            now = self._clock()
            offset = self._slot(digest)
            stored, tokens, last = _SLOT.unpack_from(self._map, offset)
            if stored != digest:
                tokens, last = float(rate), now
            tokens = min(float(rate), tokens + (now - last) * rate)
            allowed = tokens >= 1.0
            _SLOT.pack_into(self._map, offset, digest, tokens - 1.0 if allowed else tokens, now)
        finally:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
        return None if allowed else (1.0 - tokens) / rate

    def _slot(self, digest: bytes) -> int:
        """Linear probing from the digest's home slot to its own or the first free one."""
        home = int.from_bytes(digest[:8], "big") % SLOTS
        for i in range(SLOTS):
            offset = ((home + i) % SLOTS) * _SLOT.size
            stored = self._map[offset:offset + 16]
            if stored in (digest, _EMPTY):
                return offset
        return home * _SLOT.size  # every slot taken: share the home slot
