"""One contract for the payout provider port, run against the in-memory fake and against the
HTTP adapter talking to the payout simulator (in process, through httpx's ASGI transport)."""

from __future__ import annotations

from abc import ABC, abstractmethod

import httpx
import pytest

from lending_ledger.adapters.payout import (
    HttpPayoutProvider,
    InMemoryPayoutProvider,
    PayoutFailedError,
    PayoutProvider,
    PayoutRequest,
)
from lending_simulators.payout_provider import create_app


def request(key: str = "loan-1", account: str = "tok_acct_42") -> PayoutRequest:
    return PayoutRequest(idempotency_key=key, amount="980.00", currency="EUR",
                         method="bank_transfer", account_ref=account, reference=key)


class PayoutProviderContract(ABC):
    @abstractmethod
    def provider(self) -> PayoutProvider: ...

    @abstractmethod
    async def fail_next(self, count: int) -> None: ...

    @abstractmethod
    async def payouts_for(self, key: str) -> int: ...

    async def test_the_same_idempotency_key_pays_once(self):
        provider = self.provider()
        first = await provider.pay(request())
        second = await provider.pay(request())
        assert first.provider_reference == second.provider_reference
        assert await self.payouts_for("loan-1") == 1

    async def test_transient_failures_are_retried_until_the_payout_succeeds(self):
        provider = self.provider()
        await self.fail_next(2)
        confirmation = await provider.pay(request("loan-2"))
        assert confirmation.attempts == 3
        assert await self.payouts_for("loan-2") == 1

    async def test_a_closed_account_is_refused_for_good_without_retries(self):
        with pytest.raises(PayoutFailedError) as refused:
            await self.provider().pay(request("loan-3", account="closed-77"))
        assert refused.value.code == "account_closed"
        assert refused.value.retryable is False and refused.value.attempts == 1
        assert await self.payouts_for("loan-3") == 0

    async def test_failures_beyond_the_retry_policy_are_reported_as_retryable(self):
        provider = self.provider()
        await self.fail_next(10)
        with pytest.raises(PayoutFailedError) as failed:
            await provider.pay(request("loan-4"))
        assert failed.value.retryable is True and failed.value.attempts == 4
        assert await self.payouts_for("loan-4") == 0


class TestInMemoryPayoutProvider(PayoutProviderContract):
    @pytest.fixture(autouse=True)
    def _fake(self):
        self.fake = InMemoryPayoutProvider(attempts=4)

    def provider(self) -> PayoutProvider:
        return self.fake

    async def fail_next(self, count: int) -> None:
        self.fake.fail_next = count

    async def payouts_for(self, key: str) -> int:
        return 1 if key in self.fake.payouts else 0


class TestHttpPayoutProviderAgainstTheSimulator(PayoutProviderContract):
    @pytest.fixture(autouse=True)
    def _simulator(self):
        self.app = create_app()
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=self.app),
                                        base_url="http://payout-sim")

    def provider(self) -> PayoutProvider:
        return HttpPayoutProvider("http://payout-sim", attempts=4, backoff=0.001,
                                  client=self.client)

    async def fail_next(self, count: int) -> None:
        response = await self.client.post("/admin/fail-next", json={"count": count})
        assert response.status_code == 200

    async def payouts_for(self, key: str) -> int:
        payouts = (await self.client.get("/admin/payouts")).json()["payouts"]
        return sum(1 for p in payouts if p["idempotency_key"] == key)
