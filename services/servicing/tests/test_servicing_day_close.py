"""The day close against a real PostgreSQL: missed payments with grace and tolerance,
delinquency buckets, reminders, maturity, holidays and idempotency."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from sqlalchemy import text

from lending_events import Envelope, parse_event
from lending_messaging.outbox import wire_headers
from lending_servicing.testing import (
    contract_terms,
    disbursed,
    loan_booked,
    payment_applied,
    payment_reversed,
)

from .servicing_support import Servicing

pytestmark = pytest.mark.integration
START = date(2025, 1, 15)


@pytest.fixture
async def servicing(database_url: str):
    app = await Servicing.start(database_url, initial_business_date=START)
    yield app
    await app.stop()


async def book(servicing: Servicing, loan_id: str, **terms_args):
    terms = contract_terms(start=START, **terms_args)
    await servicing.ledger(loan_booked(loan_id, terms), disbursed(loan_id, terms))
    return terms


async def test_an_unpaid_installment_is_missed_the_day_after_it_falls_due(servicing):
    terms = await book(servicing, "loan-1")  # 3 x 310.00 monthly, first due 2025-02-15
    await servicing.close(date(2025, 2, 15))
    assert await servicing.data("PaymentMissed") == []
    await servicing.close(date(2025, 2, 16))
    [missed] = await servicing.data("PaymentMissed")
    assert missed == {
        "loan_id": "loan-1", "installment_number": 1, "due_date": "2025-02-15",
        "as_of": "2025-02-16", "currency": "EUR", "amount_due": "310.00",
        "amount_paid": "0.00", "amount_overdue": "310.00", "days_past_due": 1}
    [changed] = await servicing.data("DelinquencyChanged")
    assert changed["previous_bucket"] == "current" and changed["bucket"] == "dpd_1_30"
    assert changed["days_past_due"] == 1 and changed["overdue_amount"] == "310.00"
    assert changed["outstanding_principal"] == "900.00"
    assert terms.schedule[0].due_date == date(2025, 2, 15)


async def test_closing_again_emits_nothing_new(servicing):
    await book(servicing, "loan-1")
    first = await servicing.close(date(2025, 2, 20))
    before = await servicing.outbox()
    again = await servicing.close(date(2025, 2, 20))
    assert again.closed == [] and again.business_date == date(2025, 2, 21)
    assert [e.id for e in await servicing.outbox()] == [e.id for e in before]
    assert [d.business_date for d in first.closed] == [date(2025, 2, 20)]


async def test_each_missing_day_is_closed_in_order_with_its_own_business_day_closed(servicing):
    await servicing.close(date(2025, 1, 15))
    result = await servicing.close(date(2025, 1, 18))
    assert [d.business_date for d in result.closed] == [
        date(2025, 1, 16), date(2025, 1, 17), date(2025, 1, 18)]
    closes = await servicing.data("BusinessDayClosed")
    assert [c["business_date"] for c in closes] == [
        "2025-01-15", "2025-01-16", "2025-01-17", "2025-01-18"]
    assert closes[-1]["next_business_date"] == "2025-01-19"


async def test_grace_days_delay_the_miss_but_not_the_count(servicing):
    await book(servicing, "loan-g", grace_days=3)
    await servicing.close(date(2025, 2, 18))
    assert await servicing.data("PaymentMissed") == []
    await servicing.close(date(2025, 2, 19))
    [missed] = await servicing.data("PaymentMissed")
    assert missed["days_past_due"] == 4 and missed["as_of"] == "2025-02-19"


async def test_a_shortfall_within_the_tolerance_amount_is_not_missed(servicing):
    await book(servicing, "loan-t", tolerance_amount="5.00")
    await servicing.close(date(2025, 2, 10))
    await servicing.ledger(payment_applied("loan-t", "p1", "EUR", 30_500, date(2025, 2, 10),
                                           90_000 - 30_500))  # 305.00 of 310.00
    await servicing.close(date(2025, 2, 20))
    assert await servicing.data("PaymentMissed") == []
    loan = (await servicing.sql("SELECT bucket, delinquent_since FROM loans"))[0]
    assert loan.bucket == "current" and loan.delinquent_since is None


async def test_a_shortfall_beyond_the_tolerance_is_missed_for_the_unpaid_part(servicing):
    await book(servicing, "loan-t", tolerance_amount="5.00")
    await servicing.close(date(2025, 2, 10))
    await servicing.ledger(payment_applied("loan-t", "p1", "EUR", 30_400, date(2025, 2, 10),
                                           90_000 - 30_400))  # 304.00: 6.00 short
    await servicing.close(date(2025, 2, 16))
    [missed] = await servicing.data("PaymentMissed")
    assert (missed["amount_paid"], missed["amount_overdue"]) == ("304.00", "6.00")


async def test_a_percentage_tolerance_is_taken_of_the_installment(servicing):
    await book(servicing, "loan-a", tolerance_rate="0.02")  # 2% of 310.00 = 6.20
    await book(servicing, "loan-b", tolerance_rate="0.02")
    await servicing.close(date(2025, 2, 10))
    await servicing.ledger(
        payment_applied("loan-a", "pa", "EUR", 31_000 - 620, date(2025, 2, 10), 0),
        payment_applied("loan-b", "pb", "EUR", 31_000 - 621, date(2025, 2, 10), 0))
    await servicing.close(date(2025, 2, 16))
    assert [m["loan_id"] for m in await servicing.data("PaymentMissed")] == ["loan-b"]


async def test_a_payment_cures_the_loan_at_the_next_close(servicing):
    await book(servicing, "loan-1")
    await servicing.close(date(2025, 2, 20))
    await servicing.ledger(payment_applied("loan-1", "p1", "EUR", 31_000, date(2025, 2, 21),
                                           60_000))
    await servicing.close(date(2025, 2, 21))
    changes = await servicing.data("DelinquencyChanged")
    assert [(c["previous_bucket"], c["bucket"]) for c in changes] == [
        ("current", "dpd_1_30"), ("dpd_1_30", "current")]
    assert changes[-1]["days_past_due"] == 0 and changes[-1]["overdue_amount"] == "0.00"


async def test_buckets_move_at_their_boundaries(servicing):
    await book(servicing, "loan-1", count=12)
    await servicing.close(date(2025, 2, 15))
    for day in (date(2025, 3, 17), date(2025, 3, 18)):  # 30 and 31 days past due
        await servicing.close(day)
    changes = await servicing.data("DelinquencyChanged")
    assert [(c["as_of"], c["bucket"], c["days_past_due"]) for c in changes] == [
        ("2025-02-16", "dpd_1_30", 1), ("2025-03-18", "dpd_31_60", 31)]
    # the installment due 2025-03-15 was missed too, once
    assert [m["installment_number"] for m in await servicing.data("PaymentMissed")] == [1, 2]


async def test_a_payment_of_the_oldest_missed_installment_moves_the_bucket_down(servicing):
    await book(servicing, "loan-1", count=12)  # 85.00 monthly from 2025-02-15
    await servicing.close(date(2025, 3, 20))  # both installments missed, 33 days past due
    assert (await servicing.data("DelinquencyChanged"))[-1]["bucket"] == "dpd_31_60"
    await servicing.ledger(payment_applied("loan-1", "p1", "EUR", 8_500, date(2025, 3, 21),
                                           82_500))
    # published with the payment, as of the last closed day: now counted from the second
    last = (await servicing.data("DelinquencyChanged"))[-1]
    assert (last["as_of"], last["previous_bucket"], last["bucket"], last["days_past_due"],
            last["delinquent_since"]) == ("2025-03-20", "dpd_31_60", "dpd_1_30", 5,
                                          "2025-03-15")
    await servicing.close(date(2025, 3, 21))  # which has nothing new to say
    assert (await servicing.data("DelinquencyChanged"))[-1] == last
    assert [m["installment_number"] for m in await servicing.data("PaymentMissed")] == [1, 2]


async def test_an_installment_cured_then_unpaid_again_by_a_reversal_is_missed_again(servicing):
    await book(servicing, "loan-1")
    await servicing.close(date(2025, 2, 20))
    await servicing.ledger(payment_applied("loan-1", "p1", "EUR", 31_000, date(2025, 2, 21),
                                           60_000))
    await servicing.close(date(2025, 2, 21))
    await servicing.ledger(payment_reversed("loan-1", "p1", "EUR", 31_000, date(2025, 2, 22),
                                            90_000))
    await servicing.close(date(2025, 2, 22))
    missed = await servicing.data("PaymentMissed")
    assert [(m["installment_number"], m["as_of"]) for m in missed] == [
        (1, "2025-02-20"), (1, "2025-02-22")]
    changes = await servicing.data("DelinquencyChanged")
    # the cure and the relapse go out with the payment and the reversal, as of the last
    # closed day; the close of the 22nd reports the installment missed again, once
    assert [(c["as_of"], c["bucket"], c["days_past_due"]) for c in changes] == [
        ("2025-02-20", "dpd_1_30", 5), ("2025-02-20", "current", 0),
        ("2025-02-21", "dpd_1_30", 6)]
    await servicing.close(date(2025, 2, 25))  # reported once, not again
    assert len(await servicing.data("PaymentMissed")) == 2


async def test_the_oldest_missed_installment_paid_then_reversed_is_missed_again(servicing):
    await book(servicing, "loan-1", count=12)  # 85.00 monthly from 2025-02-15
    await servicing.close(date(2025, 3, 20))  # installments 1 and 2 missed
    await servicing.ledger(payment_applied("loan-1", "p1", "EUR", 8_500, date(2025, 3, 21),
                                           82_500))
    await servicing.ledger(payment_reversed("loan-1", "p1", "EUR", 8_500, date(2025, 3, 21),
                                            90_000))
    await servicing.close(date(2025, 3, 21))
    missed = await servicing.data("PaymentMissed")
    assert [(m["installment_number"], m["as_of"]) for m in missed] == [
        (1, "2025-03-20"), (2, "2025-03-20"), (1, "2025-03-21")]
    changes = await servicing.data("DelinquencyChanged")
    assert [(c["bucket"], c["days_past_due"], c["delinquent_since"]) for c in changes] == [
        ("dpd_31_60", 33, "2025-02-15"), ("dpd_1_30", 5, "2025-03-15"),
        ("dpd_31_60", 33, "2025-02-15")]  # the payment moved the start; its reversal back


async def test_a_loan_disbursed_after_its_first_due_date_is_missed_at_the_next_close(
        servicing):
    terms = contract_terms(start=START)
    await servicing.ledger(loan_booked("loan-late", terms))
    await servicing.close(date(2025, 2, 20))  # booked, not active: nothing is due yet
    assert await servicing.data("PaymentMissed") == []
    await servicing.ledger(disbursed("loan-late", terms))
    await servicing.close(date(2025, 2, 21))
    [missed] = await servicing.data("PaymentMissed")
    assert (missed["installment_number"], missed["days_past_due"]) == (1, 6)


async def test_a_due_date_on_a_holiday_moves_to_the_next_business_day(servicing):
    from lending_servicing.service_layer.holidays import declare_holiday

    await book(servicing, "loan-h")
    await servicing.close(date(2025, 2, 1))
    assert await declare_holiday(servicing.ctx, date(2025, 2, 15), "carnival", by="ops-1") == 1
    assert await declare_holiday(servicing.ctx, date(2025, 2, 16), "carnival", by="ops-1") == 1
    result = await servicing.close(date(2025, 2, 17))
    assert date(2025, 2, 15) not in [d.business_date for d in result.closed]
    assert await servicing.data("PaymentMissed") == []  # effectively due 2025-02-17
    await servicing.close(date(2025, 2, 18))
    [missed] = await servicing.data("PaymentMissed")
    assert missed["due_date"] == "2025-02-15" and missed["days_past_due"] == 1
    closes = await servicing.data("BusinessDayClosed")
    assert {"business_date": "2025-02-14", "next_business_date": "2025-02-17",
            "calendar_id": "main", "closed_by": "test-admin"} in closes


async def test_reminders_go_out_once_the_window_opens_and_only_for_unpaid_installments(
        servicing):
    await book(servicing, "loan-m")  # monthly: 3 days ahead
    await book(servicing, "loan-w", frequency="weekly", count=4)  # weekly: 1 day ahead
    await book(servicing, "loan-d", frequency="daily", count=10)  # daily: none
    await servicing.ledger(payment_applied("loan-m", "p", "EUR", 31_000, START, 60_000))
    await servicing.close(date(2025, 1, 21))
    reminders = await servicing.data("InstallmentDueSoon")
    assert [(r["loan_id"], r["installment_number"], r["days_until_due"]) for r in reminders] \
        == [("loan-w", 1, 1)]
    await servicing.close(date(2025, 3, 12))
    reminders = await servicing.data("InstallmentDueSoon")
    assert ("loan-m", 2, 3) in [(r["loan_id"], r["installment_number"], r["days_until_due"])
                                for r in reminders]
    assert not any(r["loan_id"] == "loan-m" and r["installment_number"] == 1
                   for r in reminders)
    assert not any(r["loan_id"] == "loan-d" for r in reminders)


async def test_a_loan_matures_once_its_final_due_date_has_passed(servicing):
    terms = await book(servicing, "loan-1", frequency="weekly", count=2)
    await servicing.ledger(payment_applied("loan-1", "p", "EUR", 92_000, START, 0))
    await servicing.close(terms.maturity_date)
    assert await servicing.data("LoanMatured") == []
    await servicing.close(terms.maturity_date + timedelta(days=3))
    [matured] = await servicing.data("LoanMatured")
    assert matured["maturity_date"] == terms.maturity_date.isoformat()
    assert matured["fully_repaid"] is True and matured["outstanding"]["total"] == "0.00"


async def test_rows_written_by_sql_are_envelopes_every_consumer_can_parse(servicing):
    await book(servicing, "loan-1")
    await book(servicing, "loan-y", currency="JPY", principal_minor=90_000, interest_minor=100)
    await servicing.close(date(2025, 5, 1))
    envelopes = await servicing.outbox()
    types = {e.type for e in envelopes}
    assert {"PaymentMissed", "DelinquencyChanged", "LoanMatured", "BusinessDayClosed"} <= types
    for env in envelopes:
        event = parse_event(env)
        assert env.subject == event.subject
        assert env.dataschema == f"urn:lending:events:schema:{env.type}.v1"
        assert env.businessdate is not None and env.correlationid and env.traceparent
    yen = [e.data for e in envelopes if e.type == "PaymentMissed" and e.subject == "loan-y"]
    assert yen[0]["amount_due"] == "30100"  # JPY has no minor digits


async def test_rows_written_by_sql_match_the_published_json_schemas(servicing):
    """The close builds its events in SQL, a second copy of the contract: checked here
    against the JSON Schemas the events package publishes (and commits)."""
    from jsonschema import Draft202012Validator

    from lending_events.schema_tools.jsonschemas import ENVELOPE_NAME, expected_schemas

    schemas = expected_schemas()

    def problems(name: str, document: object) -> list[str]:
        # Consumers ignore unknown fields; a producer sending one has misspelt a known one.
        schema = {**schemas[f"{name}.json"], "additionalProperties": False}
        validator = Draft202012Validator(schema,
                                         format_checker=Draft202012Validator.FORMAT_CHECKER)
        return [f"{name}: {e.json_path} {e.message}" for e in validator.iter_errors(document)]

    await book(servicing, "loan-1")
    await servicing.close(date(2025, 5, 1))
    documents = [json.loads(bytes(row.payload))
                 for row in await servicing.sql("SELECT payload FROM outbox")]
    assert {d["type"] for d in documents} >= {
        "PaymentMissed", "DelinquencyChanged", "LoanMatured", "BusinessDayClosed"}
    found = [p for d in documents for p in problems(ENVELOPE_NAME, d)
             + problems(f"{d['type']}.v{d['schemaversion']}", d["data"])]
    assert found == []


async def test_a_restructure_replaces_the_schedule_and_the_balances_and_cures_the_loan(
        servicing):
    from lending_events import from_minor_units, to_minor_units
    from lending_events.base import Breakdown
    from lending_events.ledger import FeeCharged, LoanRestructured
    from lending_servicing.service_layer.queries import loan_view

    def money(minor: int):  # type: ignore[no-untyped-def]
        return from_minor_units(minor, "EUR")

    await book(servicing, "loan-r")  # 3 x 310.00 monthly from 2025-02-15
    await servicing.ledger(FeeCharged(loan_id="loan-r", fee_id="late-1", kind="late_payment",
                                      currency="EUR", amount=money(1_500),
                                      charged_on=date(2025, 2, 20)))
    await servicing.close(date(2025, 3, 20))
    assert (await loan_view(servicing.ctx, "loan-r", None)).days_past_due > 0
    # the arrears (620.00 due, 15.00 late fee) capitalised into a new 4-installment plan
    terms = contract_terms(start=date(2025, 3, 21), count=4, principal_minor=91_500,
                           interest_minor=500)
    outstanding = Breakdown(principal=money(91_500), interest=money(0), fees=money(0),
                            penalties=money(0), total=money(91_500))
    previous = Breakdown(principal=money(90_000), interest=money(2_000), fees=money(1_500),
                         penalties=money(0), total=money(93_500))
    await servicing.ledger(LoanRestructured(
        loan_id="loan-r", restructure_id="rs-1", effective_date=date(2025, 3, 21),
        currency="EUR", previous_outstanding=previous, capitalized=money(3_500),
        waived=money(2_000), new_terms=terms, outstanding=outstanding))
    [loan] = await servicing.sql(
        "SELECT outstanding_principal, outstanding_fees, fees_charged, fees_charged_paid, "
        "paid_to_schedule, delinquent_since FROM loans WHERE loan_id = 'loan-r'")
    assert loan.outstanding_principal == 91_500 and loan.outstanding_fees == 0
    assert loan.fees_charged_paid == loan.fees_charged == 1_500  # none owed outside the plan
    assert loan.paid_to_schedule == 0 and loan.delinquent_since is None
    await servicing.close(date(2025, 3, 21))
    assert (await servicing.data("DelinquencyChanged"))[-1]["bucket"] == "current"
    first_due = terms.schedule[0]
    amount = to_minor_units(first_due.total, "EUR")
    await servicing.ledger(payment_applied("loan-r", "p-r1", "EUR", amount, date(2025, 3, 22),
                                           91_500 - amount))
    [loan] = await servicing.sql(
        "SELECT paid_to_schedule FROM loans WHERE loan_id = 'loan-r'")
    assert loan.paid_to_schedule == amount  # all of it to the new schedule, none to old fees
    await servicing.close(first_due.due_date + timedelta(days=1))
    assert [m for m in await servicing.data("PaymentMissed")
            if m["due_date"] == first_due.due_date.isoformat()] == []


async def test_rows_written_by_sql_carry_the_headers_the_relay_publishes(servicing):
    await book(servicing, "loan-1")
    await servicing.close(date(2025, 5, 1))
    async with servicing.runtime.engine.connect() as conn:
        rows = (await conn.execute(text("SELECT payload, headers FROM outbox"))).all()
    assert len(rows) > 3
    for row in rows:
        assert row.headers == wire_headers(Envelope.from_bytes(bytes(row.payload)))
