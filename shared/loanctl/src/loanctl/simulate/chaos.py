"""`--chaos`: kill -9 at seeded random moments, several times per run: each of the five
service processes, the Kafka broker and PostgreSQL. The stack must run under `make run`,
which restarts what dies (lending_devstack.supervise); the run's requests wait out the
restarts (api.py), and every invariant must still hold at the end.

A service is killed with its whole process group (its worker processes too), as a container
is; PostgreSQL by its postmaster alone, as the kernel's OOM killer would, leaving the server
to crash recovery on restart.
"""

from __future__ import annotations

import asyncio
import os
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lending_events import TOPIC_BY_SERVICE

if TYPE_CHECKING:
    from lending_devstack.settings import DevstackSettings

KINDS = (*TOPIC_BY_SERVICE, "kafka", "postgres")


def _local_settings() -> Any:
    from loanctl.commands._local import devstack

    return devstack().DevstackSettings()


@dataclass(frozen=True)
class Kill:
    day: int  # the run's day on which it happens
    after: float  # seconds into that day
    kind: str


@dataclass
class Killed:
    kind: str
    pid: int
    at: float
    day: int


def plan_kills(seed: int, days: int, rounds: int | None = None) -> list[Kill]:
    """Every kind ``rounds`` times (default: once a month of run, at least once, at most
    twice: a broker's or a database's restart costs the run minutes), spread over the run's
    days after the first, at random moments of the day."""
    rounds = rounds or max(1, min(2, days // 30))
    rng = random.Random(f"chaos:{seed}")
    kinds = [kind for _ in range(rounds) for kind in KINDS]
    rng.shuffle(kinds)
    usable = max(1, days - 2)
    return sorted((Kill(1 + (n * usable) // len(kinds), round(rng.uniform(0.0, 2.0), 2), kind)
                   for n, kind in enumerate(kinds)), key=lambda k: (k.day, k.after))


def target_pid(kind: str, settings: DevstackSettings) -> int | None:
    if kind == "postgres":
        path = settings.pg_dir / "data" / "postmaster.pid"
    elif kind == "kafka":
        path = settings.kafka_dir / "kafka.pid"
    else:
        path = settings.run_dir / f"{kind}.pid"
    try:
        return int(Path(path).read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None


def kill(kind: str, pid: int) -> None:
    try:
        if kind == "postgres":
            os.kill(pid, signal.SIGKILL)
        else:
            os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass
class Chaos:
    seed: int
    days: int
    settings: DevstackSettings = field(default_factory=_local_settings)
    say: Callable[[str], None] = lambda line: None
    killed: list[Killed] = field(default_factory=list)
    _plan: list[Kill] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._plan = plan_kills(self.seed, self.days)

    def day_started(self, day: int) -> None:
        """Called by the run as each day begins: that day's kills go off in the background."""
        for planned in [k for k in self._plan if k.day == day]:
            self._tasks.append(asyncio.create_task(self._kill_later(planned, day)))

    async def _kill_later(self, planned: Kill, day: int) -> None:
        await asyncio.sleep(planned.after)
        pid = target_pid(planned.kind, self.settings)
        if pid is None:
            self.say(f"chaos: no {planned.kind} process to kill")
            return
        kill(planned.kind, pid)
        self.killed.append(Killed(planned.kind, pid, time.time(), day))
        self.say(f"chaos: killed {planned.kind} (pid {pid}) on day {day}")

    async def close(self) -> None:
        for task in self._tasks:
            await task
