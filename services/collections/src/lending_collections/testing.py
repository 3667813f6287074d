"""Fakes for tests: an in-memory notifier with the gateway's once-per-id behaviour."""

from __future__ import annotations

from lending_collections.service_layer.ports import (
    Message,
    NotificationRejectedError,
    NotificationUnavailableError,
    Notifier,
)


class InMemoryNotifier(Notifier):
    def __init__(self) -> None:
        self.sent: dict[str, Message] = {}
        self.attempts = 0
        self.fail_next = 0
        self.opted_out: set[str] = set()  # recipient refs the gateway refuses for good

    async def send(self, message: Message) -> str:
        self.attempts += 1
        if self.fail_next:
            self.fail_next -= 1
            raise NotificationUnavailableError("scripted failure")
        if message.recipient_ref in self.opted_out:
            raise NotificationRejectedError(f"{message.recipient_ref} opted out")
        self.sent.setdefault(message.message_id, message)
        return f"fake-{message.message_id}"
