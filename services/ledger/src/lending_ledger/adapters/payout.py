"""The payout provider port: pay a borrower once per loan, whatever the retries.

The idempotency key is the loan id: a retried or repeated request for the same loan returns
the payout already made instead of paying twice. ``HttpPayoutProvider`` retries what may
succeed later (timeouts, connection errors, 5xx, 429) with tenacity and bounded exponential
backoff; a 4xx refusal (account invalid or closed) is final. ``InMemoryPayoutProvider`` is
the fake for unit tests; one contract suite runs against both.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import httpx
from tenacity import (
    AsyncRetrying,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential,
)


@dataclass(frozen=True, slots=True)
class PayoutRequest:
    idempotency_key: str
    amount: str  # decimal string with the currency's minor digits
    currency: str
    method: str
    account_ref: str
    reference: str


@dataclass(frozen=True, slots=True)
class PayoutConfirmation:
    provider_reference: str
    attempts: int


class PayoutFailedError(Exception):
    def __init__(self, code: str, message: str, attempts: int, retryable: bool) -> None:
        super().__init__(f"{code}: {message} (after {attempts} attempt(s))")
        self.code, self.message, self.attempts, self.retryable = code, message, attempts, retryable


class _Transient(Exception):
    """A failure worth another attempt."""


class PayoutProvider(ABC):
    @abstractmethod
    async def pay(self, request: PayoutRequest) -> PayoutConfirmation:
        """Pays once per idempotency key; raises PayoutFailedError when it cannot."""

    async def close(self) -> None:
        return None


class HttpPayoutProvider(PayoutProvider):
    def __init__(
        self, base_url: str, *, timeout: float = 5.0, attempts: int = 4,
        backoff: float = 0.2, client: httpx.AsyncClient | None = None,
    ) -> None:
        self._client = client or httpx.AsyncClient(base_url=base_url, timeout=timeout)
        self._attempts, self._backoff = attempts, backoff

    async def pay(self, request: PayoutRequest) -> PayoutConfirmation:
        attempts = 0
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=self._backoff, max=self._backoff * 20),
            retry=retry_if_exception_type(_Transient),
        )
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    reference = await self._once(request, attempts)
        except RetryError as exc:
            last = exc.last_attempt.exception()
            raise PayoutFailedError("provider_unavailable", str(last), attempts, True) from exc
        return PayoutConfirmation(reference, attempts)

    async def _once(self, request: PayoutRequest, attempt: int) -> str:
        body = {"amount": request.amount, "currency": request.currency,
                "method": request.method, "account_ref": request.account_ref,
                "reference": request.reference}
        try:
            response = await self._client.post(
                "/v1/payouts", json=body, headers={"Idempotency-Key": request.idempotency_key})
        except httpx.TransportError as exc:  # timeouts, refused connections, resets
            raise _Transient(f"{type(exc).__name__}: {exc}") from exc
        if response.status_code >= 500 or response.status_code == 429:
            raise _Transient(f"HTTP {response.status_code}")
        if response.status_code >= 400:
            problem = response.json() if response.content else {}
            raise PayoutFailedError(problem.get("code", "provider_rejected"),
                                    problem.get("detail", response.text), attempt, False)
        return str(response.json()["payout_id"])

    async def close(self) -> None:
        await self._client.aclose()


@dataclass
class InMemoryPayoutProvider(PayoutProvider):
    """Pays into a dict. ``fail_next`` transient failures are retried up to ``attempts``;
    accounts whose reference starts with ``closed`` are refused for good."""

    attempts: int = 4
    fail_next: int = 0
    payouts: dict[str, PayoutRequest] = field(default_factory=dict)
    requests: int = 0

    async def pay(self, request: PayoutRequest) -> PayoutConfirmation:
        for attempt in range(1, self.attempts + 1):
            self.requests += 1
            if self.fail_next > 0:
                self.fail_next -= 1
                continue
            if request.account_ref.startswith("closed"):
                raise PayoutFailedError("account_closed", "the account is closed", attempt,
                                        False)
            self.payouts.setdefault(request.idempotency_key, request)
            return PayoutConfirmation(f"po-{request.idempotency_key}", attempt)
        raise PayoutFailedError("provider_unavailable", "HTTP 503", self.attempts, True)
