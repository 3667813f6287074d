"""One contract suite per port. A backend subclasses a contract and supplies only the
``harness`` fixture; every test then runs against that backend unchanged."""

from __future__ import annotations

import pytest

from lending_events import Envelope
from lending_messaging import dead_letters as h
from lending_messaging.ports import OutgoingMessage
from lending_messaging.processing import ProcessingStats
from lending_messaging.testing.harnesses import (
    ConsumerHarness,
    InboxHarness,
    PublisherHarness,
    StopWhen,
)


def loan_event(loan: str, event_type: str = "LoanBooked", **data: object) -> Envelope:
    return Envelope(source="test", type=event_type, subject=loan, data=dict(data))


class PublisherContract:
    @pytest.fixture
    def harness(self) -> PublisherHarness:
        raise NotImplementedError("a backend supplies the harness")

    async def test_a_published_batch_reads_back_with_key_value_and_headers(
        self, harness: PublisherHarness
    ) -> None:
        topic = harness.new_topic()
        batch = [
            OutgoingMessage(topic, f"loan-{i}".encode(), f"v{i}".encode(), (("h", b"x"),))
            for i in range(10)
        ]
        await harness.publisher.publish(batch)
        got = await harness.read(topic, 10)
        assert sorted((r.key, r.value, r.headers) for r in got) == sorted(
            (m.key, m.value, m.headers) for m in batch
        )

    async def test_one_loans_messages_stay_on_one_partition_in_order(
        self, harness: PublisherHarness
    ) -> None:
        topic = harness.new_topic()
        loans = [f"loan-{i}".encode() for i in range(8)]
        batch = [OutgoingMessage(topic, loan, str(n).encode()) for n in range(20) for loan in loans]
        await harness.publisher.publish(batch)
        got = await harness.read(topic, len(batch))
        for loan in loans:
            mine = sorted((r for r in got if r.key == loan), key=lambda r: r.offset)
            assert len({r.partition for r in mine}) == 1
            assert [int(r.value) for r in mine] == list(range(20))

    async def test_an_empty_batch_publishes_nothing(self, harness: PublisherHarness) -> None:
        topic = harness.new_topic()
        await harness.publisher.publish([])
        await harness.publisher.publish([OutgoingMessage(topic, b"k", b"only")])
        assert [r.value for r in await harness.read(topic, 1)] == [b"only"]


class InboxContract:
    @pytest.fixture
    def harness(self) -> InboxHarness:
        raise NotImplementedError("a backend supplies the harness")

    async def test_an_event_id_is_claimed_only_the_first_time(self, harness: InboxHarness) -> None:
        inbox = harness.inbox("ledger")
        async with inbox.transaction() as tx:
            assert await tx.claim(["e1", "e2"]) == {"e1", "e2"}
        async with inbox.transaction() as tx:
            assert await tx.claim(["e2", "e3"]) == {"e3"}

    async def test_a_rolled_back_claim_is_forgotten(self, harness: InboxHarness) -> None:
        inbox = harness.inbox("ledger")
        with pytest.raises(RuntimeError):
            async with inbox.transaction() as tx:
                assert await tx.claim(["e1"]) == {"e1"}
                raise RuntimeError("the effect failed")
        async with inbox.transaction() as tx:
            assert await tx.claim(["e1"]) == {"e1"}

    async def test_each_consumer_group_has_its_own_inbox(self, harness: InboxHarness) -> None:
        async with harness.inbox("ledger").transaction() as tx:
            await tx.claim(["e1"])
        async with harness.inbox("servicing").transaction() as tx:
            assert await tx.claim(["e1"]) == {"e1"}

    async def test_an_id_repeated_in_one_claim_is_claimed_once(
        self, harness: InboxHarness
    ) -> None:
        async with harness.inbox("ledger").transaction() as tx:
            assert await tx.claim(["e1", "e1", "e2"]) == {"e1", "e2"}


def _done(expected_effects: int, expected_dead: int, harness: ConsumerHarness) -> StopWhen:
    async def check(stats: ProcessingStats) -> bool:
        return (
            len(await harness.effects()) >= expected_effects
            and stats.dead_lettered >= expected_dead
        )

    return check


class ConsumerContract:
    @pytest.fixture
    def harness(self) -> ConsumerHarness:
        raise NotImplementedError("a backend supplies the harness")

    async def test_an_event_delivered_twice_changes_state_once(
        self, harness: ConsumerHarness
    ) -> None:
        first, second = loan_event("loan-1"), loan_event("loan-1", "PaymentApplied")
        await harness.publish([(b"loan-1", e.to_bytes()) for e in (first, first, second)])
        stats = await harness.consume(harness.record_effect, _done(2, 0, harness))
        assert sorted(await harness.effects()) == sorted([first.id, second.id])
        assert stats.duplicates == 1

    async def test_a_poison_message_is_dead_lettered_and_later_ones_are_handled(
        self, harness: ConsumerHarness
    ) -> None:
        ok1, poison, ok2 = (
            loan_event("loan-7"), loan_event("loan-7", "Poison"), loan_event("loan-7"),
        )

        async def handler(session: object, envelope: Envelope) -> None:
            if envelope.type == "Poison":
                raise ValueError("cannot book a loan without terms")
            await harness.record_effect(session, envelope)

        await harness.publish([(b"loan-7", e.to_bytes()) for e in (ok1, poison, ok2)])
        stats = await harness.consume(handler, _done(2, 1, harness))
        assert sorted(await harness.effects()) == sorted([ok1.id, ok2.id])
        [dead] = await harness.dead_letters(1)
        headers = {k: v.decode() for k, v in dead.headers}
        assert dead.value == poison.to_bytes() and dead.key == b"loan-7"
        assert headers[h.ERROR_TYPE] == "ValueError"
        assert headers[h.ERROR_MESSAGE] == "cannot book a loan without terms"
        assert headers[h.ORIGINAL_TOPIC] == harness.topic
        assert int(headers[h.ORIGINAL_OFFSET]) >= 0 and int(headers[h.ORIGINAL_PARTITION]) >= 0
        assert headers[h.ATTEMPTS] == "3" and headers[h.FAILED_AT]
        assert stats.dead_lettered == 1

    async def test_malformed_bytes_go_straight_to_the_dead_letter_topic(
        self, harness: ConsumerHarness
    ) -> None:
        good = loan_event("loan-3")
        await harness.publish([(b"loan-3", b"{not an envelope"), (b"loan-3", good.to_bytes())])
        await harness.consume(harness.record_effect, _done(1, 1, harness))
        [dead] = await harness.dead_letters(1)
        headers = {k: v.decode() for k, v in dead.headers}
        assert dead.value == b"{not an envelope"
        assert headers[h.ERROR_TYPE] == "MalformedEnvelopeError" and headers[h.ATTEMPTS] == "1"
        assert await harness.effects() == [good.id]

    async def test_a_handler_failing_once_succeeds_on_retry_without_a_dead_letter(
        self, harness: ConsumerHarness
    ) -> None:
        event, failures = loan_event("loan-4"), [1]

        async def flaky(session: object, envelope: Envelope) -> None:
            await harness.record_effect(session, envelope)
            if failures:
                failures.pop()
                raise LookupError("scorecard not loaded yet")

        await harness.publish([(b"loan-4", event.to_bytes())])
        stats = await harness.consume(flaky, _done(1, 0, harness))
        assert await harness.effects() == [event.id]  # the failed attempt rolled back
        assert stats.dead_lettered == 0 and stats.fallbacks == 1
