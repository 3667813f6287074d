"""The public REST APIs the simulation acts through, one client for all of them.

Requests that a restart can interrupt are retried until ``patience`` runs out: reads always,
writes when they are idempotent (they carry an Idempotency-Key, or the server refuses a
repeat) — so a service killed by ``--chaos`` in the middle of a request costs a retry,
never a lost or doubled effect. Every other answer is returned as it came: a 4xx is the
simulation's business (an expected refusal, or a finding).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import httpx

RETRYABLE_STATUS = frozenset({502, 503, 504})


class UnexpectedAnswerError(RuntimeError):
    """A read the run depends on was refused: the stack or the run is broken."""


class ApiUnavailableError(RuntimeError):
    """A service did not answer within the patience the run allows."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def expect(self, what: str) -> Any:
        """The body of a 2xx answer; anything else stops the run, naming ``what``."""
        if not self.ok:
            raise UnexpectedAnswerError(f"{what}: {self.status} {self.problem()}")
        return self.body

    def problem(self) -> str:
        if isinstance(self.body, dict):
            return str(self.body.get("detail") or self.body.get("title") or self.body)
        return str(self.body)


@dataclass
class ServiceUrls:
    intake: str
    underwriting: str
    ledger: str
    servicing: str
    collections: str
    payout_provider: str
    sms_gateway: str

    def of(self, service: str) -> str:
        return str(getattr(self, service))


@dataclass
class Api:
    urls: ServiceUrls
    patience: float = 180.0  # seconds a service may be away (restarts under --chaos)
    concurrency: int = 16
    calls: dict[str, int] = field(default_factory=dict)
    retries: int = 0

    def __post_init__(self) -> None:
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(30.0, connect=5.0),
            limits=httpx.Limits(max_connections=self.concurrency * 2,
                                max_keepalive_connections=self.concurrency * 2))
        self._gate = asyncio.Semaphore(self.concurrency)

    async def close(self) -> None:
        await self._client.aclose()

    async def get(self, service: str, path: str, key: str | None,
                  params: dict[str, Any] | None = None) -> Answer:
        return await self._send("GET", service, path, key, params=params, retry=True)

    async def post(self, service: str, path: str, key: str, body: Any = None, *,
                   idempotency_key: str | None = None, retry: bool | None = None) -> Answer:
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else {}
        return await self._send("POST", service, path, key, json=body, headers=headers,
                                retry=idempotency_key is not None if retry is None else retry)

    async def _send(self, method: str, service: str, path: str, key: str | None, *,
                    retry: bool, **kwargs: Any) -> Answer:
        url = self.urls.of(service) + path
        headers = dict(kwargs.pop("headers", None) or {})
        if key:
            headers["Authorization"] = f"Bearer {key}"
        deadline = time.monotonic() + self.patience
        pause = 0.2
        self.calls[service] = self.calls.get(service, 0) + 1
        while True:
            try:
                async with self._gate:
                    response = await self._client.request(method, url, headers=headers,
                                                          **kwargs)
            except httpx.TransportError as exc:
                if not retry or time.monotonic() > deadline:
                    raise ApiUnavailableError(f"{method} {url}: {exc!r}") from exc
            else:
                if not (retry and response.status_code in RETRYABLE_STATUS
                        and time.monotonic() <= deadline):
                    return Answer(response.status_code, _body(response))
            self.retries += 1
            await asyncio.sleep(pause)
            pause = min(pause * 2, 5.0)


def _body(response: httpx.Response) -> Any:
    if not response.content:
        return None
    try:
        return response.json()
    except ValueError:
        return response.text
