"""Waiting until the whole stack is quiet: every service reports itself settled
(`GET /v1/ops/messaging`: outbox published, consumer group committed past every record,
no work of its own due) twice in a row, so an event one service published while the run
was asking another is not missed."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from loanctl.simulate.api import Api, ApiUnavailableError

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


class NotSettledError(RuntimeError):
    """The stack kept working past the deadline; the message says who and on what."""


@dataclass
class Settler:
    api: Api
    key: str  # an operator's
    deadline: float = 600.0
    interval: float = 0.05
    waited: float = 0.0

    async def quiet(self) -> None:
        started = time.monotonic()
        calm = 0
        last: dict[str, object] = {}
        pause = self.interval
        while calm < 2:
            states = await asyncio.gather(*(self._state(service) for service in SERVICES))
            busy = {s: state for s, state in zip(SERVICES, states, strict=True)
                    if state is not None}
            calm = calm + 1 if not busy else 0
            last = busy
            if time.monotonic() - started > self.deadline:
                raise NotSettledError(f"still busy after {self.deadline:.0f}s: {last}")
            if busy:
                await asyncio.sleep(pause)
                pause = min(pause * 1.5, 1.0)
            else:
                pause = self.interval
        self.waited += time.monotonic() - started

    async def _state(self, service: str) -> object | None:
        """None when settled, else what the service still has to do."""
        try:
            answer = await self.api.get(service, "/v1/ops/messaging", self.key)
        except ApiUnavailableError as exc:
            return str(exc)
        if not answer.ok:
            return answer.problem()
        body = answer.body
        if body.get("settled"):
            return None
        return {k: body.get(k) for k in ("outbox_pending", "consumer_lag", "backlog")}
