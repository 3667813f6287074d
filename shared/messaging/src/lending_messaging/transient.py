"""Deadlock and serialization victims: retried, never surfaced.

PostgreSQL breaks a deadlock by failing one of its transactions (SQLSTATE 40P01) and,
under REPEATABLE READ or SERIALIZABLE, fails a transaction that lost a race (40001). The
failed transaction was rolled back whole, so running it again from the start is always
safe, and it is nobody's fault: not the message's (never a dead letter), not the
caller's (never a 500 or a traceback). ``retry_transient`` is the one place that does
it, for the consumer's batches, the day close, HTTP commands and workers alike.

Locks are still taken in one global order everywhere; this is the safety net for what
that order cannot cover (a lock PostgreSQL takes on its own, an index page split), not
a licence to take them in any order.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    wait_random_exponential,
)

log = logging.getLogger("lending_messaging.transient")
T = TypeVar("T")

DEADLOCK = "40P01"
SERIALIZATION_FAILURE = "40001"
TRANSIENT_SQLSTATES = frozenset({DEADLOCK, SERIALIZATION_FAILURE})


@dataclass(frozen=True)
class TransientRetry:
    """Random exponential backoff (jitter: two victims of one deadlock do not meet again
    in lockstep), capped; enough attempts that giving up means something is wrong."""

    attempts: int = 10
    initial_wait: float = 0.02
    max_wait: float = 1.0


DEFAULT = TransientRetry()


def exception_chain(exc: BaseException | None) -> Iterator[BaseException]:
    """``exc`` and what it wraps: SQLAlchemy's ``DBAPIError.orig``, else the cause or the
    context, each once."""
    seen: set[int] = set()
    current = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        orig = getattr(current, "orig", None)
        current = orig if isinstance(orig, BaseException) else (
            current.__cause__ or current.__context__)


def sqlstate_of(exc: BaseException) -> str | None:
    """The SQLSTATE anywhere in the chain: SQLAlchemy's ``DBAPIError.orig``, the driver's
    own exception (asyncpg's carry ``sqlstate``), their causes."""
    for current in exception_chain(exc):
        code = getattr(current, "sqlstate", None) or getattr(current, "pgcode", None)
        if isinstance(code, str):
            return code
    return None


class TransientFailureError(RuntimeError):
    """Still a deadlock/serialization victim after every attempt (the last error chained)."""


def is_transient(exc: BaseException) -> bool:
    """A deadlock or serialization victim: its transaction rolled back; run it again.
    (Not once ``retry_transient`` gave up: an outer retry must not multiply the attempts.)"""
    return not isinstance(exc, TransientFailureError) and sqlstate_of(exc) in TRANSIENT_SQLSTATES


def _log_retry(what: str) -> Callable[[RetryCallState], None]:
    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.info("%s: %s (attempt %d); retrying", what,
                 "deadlock" if exc and sqlstate_of(exc) == DEADLOCK
                 else "serialization failure", state.attempt_number)
    return before_sleep


async def retry_transient(operation: Callable[[], Awaitable[T]], *, what: str = "transaction",
                          policy: TransientRetry = DEFAULT) -> T:
    """Runs ``operation`` (one whole transaction: it must open and close its own) again
    while it fails as a deadlock or serialization victim. Any other error passes through
    at once; a victim on every attempt raises ``TransientFailureError``."""
    try:
        async for attempt in AsyncRetrying(
            retry=retry_if_exception(is_transient),
            stop=stop_after_attempt(policy.attempts),
            wait=wait_random_exponential(multiplier=policy.initial_wait, max=policy.max_wait),
            before_sleep=_log_retry(what),
            reraise=True,
        ):
            with attempt:
                return await operation()
    except Exception as exc:
        if is_transient(exc):
            raise TransientFailureError(
                f"{what}: still a deadlock/serialization victim after {policy.attempts} "
                "attempts") from exc
        raise
    raise AssertionError("unreachable: tenacity either returns or raises")
