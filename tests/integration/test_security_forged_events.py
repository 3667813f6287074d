"""Kafka is not the root of trust (issue 20, item 1): an event is accepted only from its
owning service's topic and source, and credential events only with intake's signature.
Each forged event is refused visibly: dead-lettered with the reason, counted, logged."""

import pytest

from lending_events import dlq_topic
from lending_events.samples import sample_event
from lending_events.topics import COLLECTIONS, INTAKE, SERVICING
from lending_platform.signing import CredentialSigner, new_signing_key
from lending_platform.testing import running

from .intake_helpers import auth, eventually, topic_tail
from .security_support import admin_key_event, envelope_of, produce, refused_records

pytestmark = pytest.mark.integration
INTAKE_SOURCE = "/lending/intake"


async def test_forged_admin_keys_and_payments_never_reach_the_ledger(
        service_app, kafka_bootstrap):
    from lending_intake.config import DEV_CREDENTIAL_SIGNING_KEY

    ledger = service_app("ledger", consumer_offset_reset="latest")
    intake_signer = CredentialSigner(DEV_CREDENTIAL_SIGNING_KEY)
    mallory = CredentialSigner(new_signing_key()[0])

    # An admin key on a topic the ledger reads but intake does not own.
    on_servicing, e1 = admin_key_event("on-servicing")
    # On intake's own topic, unsigned; and signed by a key intake does not hold.
    unsigned, e2 = admin_key_event("unsigned")
    self_signed, e3 = admin_key_event("self-signed")
    # intake's genuine signature over one event, replayed onto another (the data changed).
    tampered, e4 = admin_key_event("tampered")
    genuine = intake_signer.sign(envelope_of(e4, INTAKE_SOURCE))
    altered = genuine.model_copy(update={"data": {**genuine.data, "role": "admin",
                                                  "principal_name": "eve"}})
    # Money: a payment from collections' topic, and one claiming the wrong source.
    payment_elsewhere = envelope_of(sample_event("PaymentReceived"), "/lending/servicing")
    payment_wrong_source = envelope_of(sample_event("PaymentReceived"), "/lending/collections")
    # And the genuine article, to show the door still opens for intake.
    legit, e5 = admin_key_event("legit")

    forged = {SERVICING: [envelope_of(e1, INTAKE_SOURCE), payment_wrong_source],
              INTAKE: [envelope_of(e2, INTAKE_SOURCE),
                       mallory.sign(envelope_of(e3, INTAKE_SOURCE)), altered],
              COLLECTIONS: [payment_elsewhere]}
    async with running(ledger, from_now=True) as client, \
            topic_tail(kafka_bootstrap, dlq_topic(SERVICING)) as dlq_servicing, \
            topic_tail(kafka_bootstrap, dlq_topic(INTAKE)) as dlq_intake, \
            topic_tail(kafka_bootstrap, dlq_topic(COLLECTIONS)) as dlq_collections:
        for topic, envelopes in forged.items():
            await produce(kafka_bootstrap, topic, *envelopes)
        await produce(kafka_bootstrap, INTAKE, intake_signer.sign(envelope_of(e5, INTAKE_SOURCE)))

        async def legit_works():
            ledger.state.runtime.ports["credentials"].forget()
            response = await client.get("/v1/ops/messaging", headers=auth(legit.api_key))
            return response.status_code == 200

        await eventually(legit_works, within=30)
        refused = {
            **await refused_records(dlq_servicing, [e.id for e in forged[SERVICING]]),
            **await refused_records(dlq_intake, [e.id for e in forged[INTAKE]]),
            **await refused_records(dlq_collections, [e.id for e in forged[COLLECTIONS]]),
        }
        ledger.state.runtime.ports["credentials"].forget()
        for key in (on_servicing, unsigned, self_signed, tampered):
            response = await client.get("/v1/ops/messaging", headers=auth(key.api_key))
            assert response.status_code == 401, key.key_id

    assert {h["dlq.error.type"] for h in refused.values()} == {"RefusedEventError"}
    reasons = {event_id: h["dlq.error.message"] for event_id, h in refused.items()}
    assert "published only by intake on lending.intake.v1" in reasons[forged[SERVICING][0].id]
    assert "must come from servicing" in reasons[payment_wrong_source.id]
    assert "is not signed" in reasons[forged[INTAKE][0].id]
    assert "unknown key" in reasons[forged[INTAKE][1].id]
    assert "does not match its signature" in reasons[altered.id]
    assert "published only by servicing" in reasons[payment_elsewhere.id]
    assert ledger.state.runtime.workers["consumer"].stats.refused == 6
