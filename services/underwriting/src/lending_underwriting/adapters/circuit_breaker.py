"""A small circuit breaker: after ``failure_threshold`` consecutive failures the circuit
opens and calls fail at once (no waiting on a dead dependency); after ``reset_after``
seconds one trial call is let through (half-open): success closes the circuit, failure
opens it again for another ``reset_after``.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
CLOSED, OPEN, HALF_OPEN = "closed", "open", "half_open"


class CircuitOpenError(Exception):
    """The circuit is open: the call was not attempted."""


class CircuitBreaker:
    def __init__(self, failure_threshold: int = 5, reset_after: float = 30.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if failure_threshold < 1 or reset_after <= 0:
            raise ValueError("failure_threshold >= 1 and reset_after > 0")
        self.failure_threshold = failure_threshold
        self.reset_after = reset_after
        self._clock = clock
        self._failures = 0
        self._opened_at: float | None = None
        self._trial_running = False

    @property
    def state(self) -> str:
        if self._opened_at is None:
            return CLOSED
        if self._clock() - self._opened_at >= self.reset_after:
            return HALF_OPEN
        return OPEN

    def allow(self) -> bool:
        """Whether a call may go ahead now; in half-open state, only one at a time."""
        state = self.state
        if state == CLOSED:
            return True
        if state == HALF_OPEN and not self._trial_running:
            self._trial_running = True
            return True
        return False

    def record_success(self) -> None:
        self._failures = 0
        self._opened_at = None
        self._trial_running = False

    def record_failure(self) -> None:
        self._trial_running = False
        if self._opened_at is not None:  # a failed trial: open for another period
            self._opened_at = self._clock()
            return
        self._failures += 1
        if self._failures >= self.failure_threshold:
            self._opened_at = self._clock()

    async def call(self, fn: Callable[[], Awaitable[T]],
                   is_failure: Callable[[BaseException], bool] = lambda e: True) -> T:
        if not self.allow():
            raise CircuitOpenError(f"circuit open; retrying after {self.reset_after:g}s")
        try:
            result = await fn()
        except BaseException as exc:
            if is_failure(exc):
                self.record_failure()
            else:
                self._trial_running = False
            raise
        self.record_success()
        return result
