"""`make run` keeps what it started running, as an orchestrator would: a service, simulator
or server (PostgreSQL, Kafka) that dies is restarted with a growing pause, and the restart
is logged, instead of the whole stack stopping. Ctrl-C and `make stop` still stop everything.

A crash loop is visible, not hidden: every restart prints a line with the exit status and
the pause before the next attempt (1 s doubling to 30 s; back to 1 s once a process has
stayed up a minute)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

from lending_devstack.errors import DevstackError
from lending_devstack.services import ServiceProcess
from lending_devstack.stack import Infra

FIRST_PAUSE, LONGEST_PAUSE, STABLE_AFTER = 1.0, 30.0, 60.0


@dataclass
class Restarts:
    """One supervised thing: how to tell it runs and how to start it again."""

    name: str
    alive: Callable[[], bool]
    start: Callable[[], None]
    pause: float = FIRST_PAUSE
    next_try: float = 0.0
    up_since: float = field(default_factory=time.monotonic)
    count: int = 0


class Supervisor:
    def __init__(self, watched: list[Restarts], say: Callable[[str], None] = print,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.watched, self.say, self.clock = watched, say, clock

    @classmethod
    def for_stack(cls, infra: Infra, procs: list[ServiceProcess], env: dict[str, str], *,
                  postgres: bool, kafka: bool, say: Callable[[str], None] = print
                  ) -> Supervisor:
        """``postgres``/``kafka``: this `make run` started that server (one it found running
        is someone else's to look after)."""
        watched = []
        if postgres:
            watched.append(Restarts("postgres", infra.postgres.alive, infra.postgres.start))
        if kafka:
            watched.append(Restarts("kafka", infra.kafka.running, infra.kafka.start))
        for proc in procs:
            watched.append(Restarts(proc.name, partial(_has_pid, proc),
                                    partial(proc.start, env)))
        return cls(watched, say)

    def tick(self) -> None:
        """Restarts whatever stopped and is due another try; call it about twice a second."""
        now = self.clock()
        for w in self.watched:
            if w.alive():
                if now - w.up_since > STABLE_AFTER:
                    w.pause = FIRST_PAUSE
                continue
            if now < w.next_try:
                continue
            w.count += 1
            try:
                w.start()
            except (DevstackError, OSError) as exc:
                self.say(f"restart of {w.name} failed ({exc}); next try in {w.pause:.0f}s")
            else:
                self.say(f"{w.name} had stopped; restarted it (restart {w.count})")
                w.up_since = now
            w.next_try = now + w.pause
            w.pause = min(w.pause * 2, LONGEST_PAUSE)


def _has_pid(proc: ServiceProcess) -> bool:
    return proc.pid() is not None
