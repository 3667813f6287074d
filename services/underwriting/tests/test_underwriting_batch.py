"""The consumer's batch handler: a batch's applications are decided together (one exposure
read and one write), one borrower's applications never in the same group, and nothing later
in the batch is handled before an application that came earlier."""

from __future__ import annotations

from typing import Any

from lending_events import to_envelope
from lending_underwriting.testing import event_of, submitted

DECISIONS = ("LoanApproved", "ApplicationDeclined", "ApplicationReferred")


def count_calls(wired: Any) -> dict[str, list[int]]:
    """How many applications each exposure read and each decision write held."""
    calls: dict[str, list[int]] = {"read": [], "write": []}
    store = wired.store
    read, write = store.locked_exposures, store.record_decisions

    async def locked_exposures(wanted: Any, now: Any) -> Any:
        calls["read"].append(len(wanted))
        return await read(wanted, now)

    async def record_decisions(writes: Any) -> Any:
        calls["write"].append(len(writes))
        return await write(writes)

    store.locked_exposures, store.record_decisions = locked_exposures, record_decisions
    return calls


async def test_a_batch_of_applications_is_decided_in_one_read_and_one_write(wired):
    calls = count_calls(wired)
    await wired.deliver(*(submitted(f"app-{n}", identity_hash=f"borrower-token-{n:04d}")
                          for n in range(5)))
    assert len(wired.published(*DECISIONS)) == 5
    assert calls == {"read": [5], "write": [5]}


async def test_a_borrowers_second_application_waits_for_the_first_ones_write(wired):
    calls = count_calls(wired)
    await wired.deliver(submitted("app-a", identity_hash="borrower-token-1111"),
                        submitted("app-b", identity_hash="borrower-token-2222"),
                        submitted("app-c", identity_hash="borrower-token-1111"))
    # which of them is fetched first is the partitions' business; never all three at once
    assert sorted(calls["read"]) == sorted(calls["write"]) == [1, 2]


async def test_an_event_after_an_application_in_the_batch_is_handled_after_its_decision(
        wired):
    await wired.deliver(submitted("app-w"), event_of("ApplicationWithdrawn", "app-w"))
    position = wired.store.state.positions["app-w"]
    assert position.status == "withdrawn"  # decided (offered), then withdrawn


async def test_an_application_that_waits_for_documents_is_parked_beside_a_decided_one(wired):
    calls = count_calls(wired)
    await wired.deliver(submitted("app-d", identity_hash="borrower-token-dddd",
                                  documents_complete=False, missing_documents=["income_proof"]),
                        submitted("app-e", identity_hash="borrower-token-eeee"))
    assert "app-d" in wired.store.state.parked
    assert [e.loan_id for e in wired.published(*DECISIONS)] == ["app-e"]
    assert calls["write"] == [1]


async def test_a_redelivered_batch_decides_nothing_again(wired):
    envelopes = [to_envelope(submitted(f"app-{n}", identity_hash=f"borrower-token-{n:04d}"),
                             source="test") for n in range(3)]
    await wired.publish(*envelopes)
    await wired.publish(*envelopes)
    assert len(wired.published(*DECISIONS)) == 3
