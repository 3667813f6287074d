"""The notification port: SMS (and e-mail) to a borrower, once per message id.

Collections holds no phone numbers (borrower PII never travels on the events): a message is
addressed to the loan, and the gateway resolves the borrower's contact details.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Message:
    message_id: str  # the case action id: the gateway's idempotency key
    channel: str  # sms | email
    recipient_ref: str  # the loan id
    body: str


class NotificationUnavailableError(Exception):
    """The gateway could not take the message now; it stays pending and is retried."""


class NotificationRejectedError(Exception):
    """The gateway refused the message for good (no contact on file, opted out)."""


class Notifier(ABC):
    @abstractmethod
    async def send(self, message: Message) -> str:
        """Sends once per ``message_id`` (a repeat returns the first receipt); returns the
        gateway's message reference."""

    async def close(self) -> None:
        return None
