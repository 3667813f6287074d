"""One contract for the notification port, run against the in-memory fake and against the
HTTP adapter talking to the SMS gateway simulator (in-process, over ASGI)."""

from __future__ import annotations

import httpx
import pytest

from lending_collections.adapters.sms_gateway import HttpSmsGateway
from lending_collections.service_layer.ports import (
    Message,
    NotificationRejectedError,
    NotificationUnavailableError,
    Notifier,
)
from lending_collections.testing import InMemoryNotifier
from lending_simulators.sms_gateway import create_app

REMINDER = Message("act-1", "sms", "app-1", "Your loan app-1 is 3 days overdue.")


class NotifierContract:
    def notifier(self) -> Notifier:
        raise NotImplementedError

    async def sent_count(self, notifier: Notifier) -> int:
        raise NotImplementedError

    async def test_the_same_message_id_is_delivered_once(self):
        notifier = self.notifier()
        first = await notifier.send(REMINDER)
        again = await notifier.send(REMINDER)
        assert first == again
        assert await self.sent_count(notifier) == 1
        await notifier.close()

    async def test_different_messages_are_all_delivered(self):
        notifier = self.notifier()
        for n in range(3):
            await notifier.send(Message(f"act-{n}", "sms", "app-1", "hello"))
        assert await self.sent_count(notifier) == 3
        await notifier.close()


class TestInMemoryNotifier(NotifierContract):
    def notifier(self) -> Notifier:
        return InMemoryNotifier()

    async def sent_count(self, notifier: Notifier) -> int:
        assert isinstance(notifier, InMemoryNotifier)
        return len(notifier.sent)


class TestHttpSmsGateway(NotifierContract):
    def notifier(self) -> Notifier:
        self.sim = create_app()
        return HttpSmsGateway("http://sms", transport=httpx.ASGITransport(app=self.sim))

    async def sent_count(self, notifier: Notifier) -> int:
        return len(self.sim.state.sim.messages)

    async def test_a_gateway_outage_is_transient_and_an_opt_out_is_final(self):
        notifier = self.notifier()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=self.sim),
                                     base_url="http://sms") as admin:
            await admin.post("/admin/fail-next", json={"count": 1})
        with pytest.raises(NotificationUnavailableError):
            await notifier.send(REMINDER)
        assert await notifier.send(REMINDER)
        with pytest.raises(NotificationRejectedError):
            await notifier.send(Message("act-9", "sms", "optout-app-2", "hello"))
        await notifier.close()

    async def test_an_unreachable_gateway_is_transient(self):
        gateway = HttpSmsGateway("http://127.0.0.1:9", timeout_s=0.5)
        with pytest.raises(NotificationUnavailableError):
            await gateway.send(REMINDER)
        await gateway.close()
