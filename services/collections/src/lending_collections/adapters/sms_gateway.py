"""The notification port over HTTP (the SMS gateway; locally `lending_simulators.sms_gateway`).

The message id travels as the ``Idempotency-Key``, so a message re-sent after a crash between
the gateway's answer and our commit is not delivered twice. Timeouts, connection errors, 429
and 5xx are transient: the message stays pending and the delivery worker tries again later
(its poll is the backoff); other 4xx answers are final.
"""

from __future__ import annotations

import httpx

from lending_collections.service_layer.ports import (
    Message,
    NotificationRejectedError,
    NotificationUnavailableError,
    Notifier,
)


class HttpSmsGateway(Notifier):
    def __init__(self, base_url: str, timeout_s: float = 5.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout_s,
                                         transport=transport)

    async def send(self, message: Message) -> str:
        try:
            response = await self._client.post(
                "/v1/messages", headers={"Idempotency-Key": message.message_id},
                json={"channel": message.channel, "to": message.recipient_ref,
                      "body": message.body})
        except httpx.HTTPError as exc:
            raise NotificationUnavailableError(f"SMS gateway unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise NotificationUnavailableError(f"SMS gateway answered {response.status_code}")
        if response.status_code >= 400:
            raise NotificationRejectedError(
                f"SMS gateway refused the message: {response.status_code} {response.text}")
        return str(response.json()["message_id"])

    async def close(self) -> None:
        await self._client.aclose()
