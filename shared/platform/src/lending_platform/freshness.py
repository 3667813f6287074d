"""How recent a service's credential projection is, and the refusal of keys when it is not.

A service learns of a revocation only by consuming intake's topic, so it may honour a key
only while it can prove it is not far behind: ``as_of`` is the latest moment before which
*every* record on intake's topic had been handled and committed by this service's consumer
group. The sampler proves it every ``interval`` seconds from the broker: it asks the topic's
end offsets (at time t), then the group's committed offsets; once the committed offsets reach
the ends seen at t, the projection holds everything published before t. Committed offsets
are group-wide, so every replica agrees whichever of them owns which partition, and they are
committed only after the database transaction (lending_messaging.runner).

So: a revocation published at R is honoured everywhere by R + ``max_staleness`` + the key
cache's 5 s. When the broker is unreachable, the consumer is stuck or the group has lost
its partitions, ``as_of`` stops moving and, past the bound, every key is refused (503) and
/readyz says so: fail closed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable

from aiokafka import TopicPartition

from lending_messaging.lag import ConsumerLagProbe

log = logging.getLogger("lending.credentials")


class ProjectionFreshness:
    def __init__(self, max_staleness: float, clock: Callable[[], float] = time.time) -> None:
        self.max_staleness = max_staleness
        self.as_of: float | None = None  # wall-clock seconds
        self._clock = clock

    def age(self) -> float:
        return float("inf") if self.as_of is None else max(0.0, self._clock() - self.as_of)

    def check(self) -> None:
        from lending_platform.credentials import StaleCredentialsError

        age = self.age()
        if age > self.max_staleness:
            raise StaleCredentialsError(age, self.max_staleness)

    def advance(self, as_of: float) -> None:
        if self.as_of is None or as_of > self.as_of:
            self.as_of = as_of


class FreshnessSampler:
    """A runtime worker: samples the intake topic's ends and the group's commits."""

    def __init__(self, probe: ConsumerLagProbe, freshness: ProjectionFreshness,
                 interval: float = 1.0, clock: Callable[[], float] = time.time) -> None:
        self._probe = probe
        self._freshness = freshness
        self._interval = interval
        self._clock = clock
        self._samples: deque[tuple[float, dict[TopicPartition, int]]] = deque(maxlen=600)
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self._stopping.clear()
        try:
            while not self._stopping.is_set():
                try:
                    await self.sample()
                except Exception as exc:  # the broker away: as_of simply stops moving
                    log.warning("credential freshness sample failed (%r)", exc)
                try:
                    await asyncio.wait_for(self._stopping.wait(), self._interval)
                except TimeoutError:
                    pass
        finally:
            await self._probe.close()

    async def sample(self) -> None:
        at = self._clock()
        done, ends = await self._probe.offsets()
        self._samples.append((at, ends))
        proven = None
        while self._samples and all(done.get(tp, 0) >= end
                                    for tp, end in self._samples[0][1].items()):
            proven = self._samples.popleft()[0]
        if proven is not None:
            self._freshness.advance(proven)
