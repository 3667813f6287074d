"""The rate limit holds across worker processes: N workers allow a partner its limit once."""

import multiprocessing
import os

from lending_intake.adapters.rate_limit import SharedRateLimiter, create_bucket_file
from lending_platform.credentials import PARTNER, Principal


def _partner(pid: str = "ptn-1", rate: int | None = 5) -> Principal:
    return Principal(pid, PARTNER, pid, "partner", "k1", rate)


def _frozen() -> float:
    return 1000.0


def _takes(path: str, n: int, allowed: "multiprocessing.Queue[int]") -> None:
    limiter = SharedRateLimiter(path, clock=_frozen)
    allowed.put(sum(limiter.retry_after(_partner()) is None for _ in range(n)))


def test_two_workers_share_one_bucket_per_partner_and_refill_it_together() -> None:
    path = create_bucket_file()
    try:
        now = [0.0]
        one, two = (SharedRateLimiter(path, clock=lambda: now[0]) for _ in range(2))
        taken = [w.retry_after(_partner()) is None for w in (one, two) * 4]
        assert taken == [True] * 5 + [False] * 3  # a burst of 5 in all, not 5 each
        wait = two.retry_after(_partner())
        assert wait is not None and 0 < wait <= 0.2
        now[0] += 0.4  # two tokens back, whoever asks
        assert [one.retry_after(_partner()) is None, two.retry_after(_partner()) is None,
                one.retry_after(_partner()) is None] == [True, True, False]
        assert two.retry_after(_partner("ptn-2")) is None  # another partner, another bucket
        assert one.retry_after(_partner("ptn-3", rate=None)) is None  # no limit set
    finally:
        os.unlink(path)


def test_worker_processes_taking_at_once_allow_the_limit_once() -> None:
    path = create_bucket_file()
    try:
        allowed: multiprocessing.Queue[int] = multiprocessing.Queue()
        procs = [multiprocessing.Process(target=_takes, args=(path, 200, allowed))
                 for _ in range(3)]
        for p in procs:
            p.start()
        for p in procs:
            p.join(30)
        assert sum(allowed.get(timeout=5) for _ in procs) == 5
    finally:
        os.unlink(path)
