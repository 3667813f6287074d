"""Delivers queued webhooks: signed POSTs, retried with backoff for 24 hours.

Rows are claimed with a short lease (one quick transaction), POSTed outside any transaction,
and the outcome written in another quick one. Never hold a transaction across the HTTP call:
the outbox relay publishes only below the oldest open transaction, so a slow partner would
stall every event intake emits.

Each POST goes only where ``WebhookUrlPolicy`` allows: the host is resolved, every address
checked, and the connection made to the address that was checked (the name still in the
Host header and TLS SNI), so DNS cannot point it elsewhere in between. What a receiver
answers is never stored: a partner reads its deliveries' status codes, not the bodies
(that would turn webhooks into a way to read our internal services).
"""

from __future__ import annotations

import abc
import asyncio
import logging
import socket
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from lending_intake.adapters.orm import partners, webhook_deliveries
from lending_intake.domain.errors import InvalidWebhookUrlError
from lending_intake.domain.webhook_urls import WebhookUrlPolicy
from lending_intake.domain.webhooks import RETRY_WINDOW, SIGNATURE_HEADER, next_wait, signature
from lending_messaging.wakeup import Wakeup
from lending_platform.encryption import KeyRing, Sealed

log = logging.getLogger("lending.intake.webhooks")
LEASE = timedelta(seconds=60)


@dataclass(frozen=True)
class PostResult:
    status_code: int | None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class WebhookSender(abc.ABC):
    """The port to partners' endpoints."""

    @abc.abstractmethod
    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult: ...

    async def close(self) -> None:
        return None


class HttpWebhookSender(WebhookSender):
    def __init__(self, timeout: float, policy: WebhookUrlPolicy | None = None) -> None:
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False)
        self._policy = policy or WebhookUrlPolicy()

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult:
        try:
            target, extensions = await self._pinned(url)
        except InvalidWebhookUrlError as exc:
            log.warning("webhook to %s refused: %s", url, exc)
            return PostResult(None, "refused: the URL does not lead to a public address")
        try:
            response = await self._client.post(target, content=body, extensions=extensions,
                                               headers={**headers, "Host": _netloc(url)})
        except httpx.HTTPError as exc:
            return PostResult(None, type(exc).__name__)
        return PostResult(response.status_code,
                          None if response.is_success else f"HTTP {response.status_code}")

    async def _pinned(self, url: str) -> tuple[str, dict[str, Any]]:
        host = self._policy.check(url)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            infos = await asyncio.get_running_loop().getaddrinfo(host, port,
                                                                 type=socket.SOCK_STREAM)
        except OSError as exc:
            raise InvalidWebhookUrlError(f"{host} does not resolve") from exc
        addresses = [str(info[4][0]) for info in infos]
        self._policy.check_resolved(host, addresses)
        address = addresses[0]
        literal = f"[{address}]" if ":" in address else address
        pinned = parts._replace(netloc=f"{literal}:{port}").geturl()
        return pinned, ({"sni_hostname": host} if parts.scheme == "https" else {})

    async def close(self) -> None:
        await self._client.aclose()


def _netloc(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2]


class WebhookWorker:
    """Deliveries run side by side, up to ``batch_size`` in flight and ``per_partner`` of
    any one partner, so a partner whose endpoint hangs holds a few slots, never the rest.
    A partner whose endpoint failed rests (its next deliveries are not claimed) for the
    backoff of its consecutive failures, then one delivery at a time probes it: an endpoint
    that is away costs one attempt per rest, not one timeout per queued delivery, and a
    success ends the rest. Rests are per
    process, like the caches. A status change committed in this process wakes the worker
    (``Wakeup``), so a webhook leaves within milliseconds; the poll finds other replicas'."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], sender: WebhookSender, *,
                 keyring: KeyRing, poll_seconds: float, batch_size: int,
                 backoff_scale: float, per_partner: int = 8,
                 wakeup: Wakeup | None = None) -> None:
        self._sessions = sessions
        self._sender = sender
        self._keyring = keyring
        self._poll = poll_seconds
        self._batch = batch_size
        self._per_partner = min(per_partner, batch_size)
        self._scale = backoff_scale
        self._wakeup = wakeup or Wakeup()
        self._stopping = asyncio.Event()
        self._in_flight: dict[str, int] = {}  # partner id -> deliveries under way
        self._tasks: set[asyncio.Task[None]] = set()
        self._failures: dict[str, int] = {}  # partner id -> consecutive failed attempts
        self._resting: dict[str, float] = {}  # partner id -> monotonic end of its rest

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        self._stopping.clear()
        self._wakeup.start()
        try:
            while not self._stopping.is_set():
                self._wakeup.clear()
                if await self.start_due() == 0:
                    await self._wakeup.wait(self._poll, self._stopping)
        finally:
            self._wakeup.stop()
            if self._tasks:  # in flight: let them record their outcome (else re-sent later)
                await asyncio.wait(list(self._tasks), timeout=10)
            await self._sender.close()

    async def start_due(self) -> int:
        """Claims what is due and may start now, and starts it; returns how many."""
        room = self._batch - len(self._tasks)
        if room <= 0:
            return 0
        now = time.monotonic()
        for partner_id in [p for p, until in self._resting.items() if until <= now]:
            del self._resting[partner_id]
        busy = {p for p, n in self._in_flight.items() if n >= self._allowance(p)}
        due = await self._claim(room, excluded=busy | set(self._resting))
        for item in due:
            partner_id = item[0].partner_id
            self._in_flight[partner_id] = self._in_flight.get(partner_id, 0) + 1
            task = asyncio.create_task(self._deliver(item))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return len(due)

    def _allowance(self, partner_id: str) -> int:
        # After a failure only one delivery probes the endpoint until one succeeds.
        return 1 if partner_id in self._failures else self._per_partner

    async def deliver_due(self) -> int:
        """Starts what is due and waits for those deliveries to finish (tests, tools)."""
        started = await self.start_due()
        while self._tasks:
            await asyncio.wait(list(self._tasks))
        return started

    async def _claim(self, limit: int, *, excluded: set[str]) -> list[Any]:
        d = webhook_deliveries.c
        async with self._sessions() as session, session.begin():
            now = (await session.execute(text("SELECT now()"))).scalar_one()
            candidates = (await session.execute(
                select(d.seq, d.partner_id).where(d.state == "pending", d.next_attempt_at <= now,
                                                  d.partner_id.not_in(excluded))
                .order_by(d.next_attempt_at).limit(limit)
                .with_for_update(skip_locked=True))).all()
            # Within each partner's allowance; the rest stay due, unleased, for a later round.
            taken: dict[str, int] = {}
            picked = []
            for seq, partner_id in candidates:
                count = self._in_flight.get(partner_id, 0) + taken.get(partner_id, 0)
                if count < self._allowance(partner_id):
                    taken[partner_id] = taken.get(partner_id, 0) + 1
                    picked.append(seq)
            if not picked:
                return []
            rows = (await session.execute(
                update(webhook_deliveries).where(d.seq.in_(picked))
                .values(next_attempt_at=now + LEASE)
                .returning(d.seq, d.id, d.partner_id, d.url, d.body, d.attempts, d.created_at,
                           d.event_type)
            )).all()
            p = partners.c
            found = (await session.execute(
                select(p.id, p.webhook_secret, p.webhook_secret_sealed, p.webhook_secret_key_id)
                .where(p.id.in_({r.partner_id for r in rows}))
            )).all() if rows else []
        secrets = {partner_id: clear if sealed is None else self._keyring.open(
                       Sealed(key_id, sealed), partner_id).decode()
                   for partner_id, clear, sealed, key_id in found}
        return [(row, secrets.get(row.partner_id)) for row in rows]

    async def _deliver(self, item: tuple[Any, str | None]) -> None:
        row = item[0]
        try:
            await self._attempt(item)
        except Exception as exc:  # a database outage: its lease runs out and it goes again
            log.warning("webhook %s to partner %s not recorded (%r); retried after its lease",
                        row.id, row.partner_id, exc)
        finally:
            left = self._in_flight.get(row.partner_id, 1) - 1
            if left > 0:
                self._in_flight[row.partner_id] = left
            else:
                self._in_flight.pop(row.partner_id, None)

    async def _attempt(self, item: tuple[Any, str | None]) -> None:
        row, secret = item
        body = row.body.encode()
        if secret is None:
            result = PostResult(None, "partner no longer exists")
        else:
            headers = {
                "Content-Type": "application/json",
                "User-Agent": "lending-intake-webhooks/1",
                SIGNATURE_HEADER: signature(secret, int(time.time()), body),
                "Lending-Delivery-Id": row.id,
                "Lending-Event-Type": row.event_type,
            }
            result = await self._sender.post(row.url, body, headers)
        self._note(row.partner_id, result)
        await self._record(row, result)

    def _note(self, partner_id: str, result: PostResult) -> None:
        if result.ok:
            self._failures.pop(partner_id, None)
            self._resting.pop(partner_id, None)
            return
        failures = self._failures.get(partner_id, 0) + 1
        self._failures[partner_id] = failures
        self._resting[partner_id] = time.monotonic() + next_wait(failures, self._scale)

    async def _record(self, row: Any, result: PostResult) -> None:
        d = webhook_deliveries.c
        attempts = row.attempts + 1
        async with self._sessions() as session, session.begin():
            now: datetime = (await session.execute(text("SELECT now()"))).scalar_one()
            values: dict[str, Any] = {"attempts": attempts,
                                      "last_status_code": result.status_code,
                                      "last_error": result.error}
            if result.ok:
                values.update(state="delivered", delivered_at=now)
            else:
                retry_at = now + timedelta(seconds=next_wait(attempts, self._scale))
                if retry_at - row.created_at > RETRY_WINDOW * self._scale:
                    values.update(state="failed")
                    log.warning("webhook %s to partner %s given up after %d attempts",
                                row.id, row.partner_id, attempts)
                else:
                    values.update(next_attempt_at=retry_at)
            await session.execute(
                update(webhook_deliveries).where(d.seq == row.seq).values(values))
