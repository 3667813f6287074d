"""Kafka is reached only by authenticated KafkaUsers whose ACLs follow the event catalogue
(issue 20, item 1): each service writes its own topic (and the dead letters of what it
reads), reads exactly what its bootstrap subscribes to, and uses only its own group."""

from __future__ import annotations

import importlib

import pytest

from lending_events import TOPIC_BY_SERVICE, dlq_topic

pytestmark = pytest.mark.timeout(900)
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


def consumed(service: str) -> set[str]:
    reacts = set(importlib.import_module(f"lending_{service}.bootstrap").REACTS_TO)
    if service != "intake":
        reacts.add("intake")  # the credential events
    return {TOPIC_BY_SERVICE[name] for name in reacts}


def grants(user: dict) -> dict[tuple[str, str, str], set[str]]:
    out: dict[tuple[str, str, str], set[str]] = {}
    for acl in user["spec"]["authorization"]["acls"]:
        r = acl["resource"]
        out.setdefault((r["type"], r["name"], r.get("patternType", "literal")), set()).update(
            acl["operations"])
    return out


def test_the_only_listener_is_tls_with_scram_and_acls_are_enforced(rendered):
    for overlay, objects in rendered.items():
        [kafka] = [o for o in objects if o["kind"] == "Kafka"]
        listeners = kafka["spec"]["kafka"]["listeners"]
        assert all(lsn["tls"] and lsn["authentication"]["type"] == "scram-sha-512"
                   for lsn in listeners), overlay
        assert kafka["spec"]["kafka"]["authorization"]["type"] == "simple"


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_may_write_only_its_topic_and_read_only_what_it_consumes(
        rendered, service):
    for objects in rendered.values():
        [user] = [o for o in objects if o["kind"] == "KafkaUser"
                  and o["metadata"]["name"] == f"lending-{service}"]
        assert user["spec"]["authentication"]["type"] == "scram-sha-512"
        rules = grants(user)
        writes = {name for (kind, name, _), ops in rules.items()
                  if kind == "topic" and "Write" in ops}
        reads = {name for (kind, name, _), ops in rules.items()
                 if kind == "topic" and "Read" in ops}
        assert writes == {TOPIC_BY_SERVICE[service]} | {dlq_topic(t) for t in consumed(service)}
        assert reads == consumed(service)
        assert {name for (kind, name, _) in rules if kind == "group"} == {f"lending-{service}"}
        assert all(pattern == "literal" for _, _, pattern in rules)


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_connects_as_its_own_user(rendered, service):
    prefix = service.upper()
    for objects in rendered.values():
        [dep] = [o for o in objects
                 if o["kind"] == "Deployment" and o["metadata"]["name"] == service]
        env = {e["name"]: e for e in dep["spec"]["template"]["spec"]["containers"][0]["env"]}
        assert env[f"{prefix}_KAFKA_SASL_USERNAME"]["value"] == f"lending-{service}"
        secret = env[f"{prefix}_KAFKA_SASL_PASSWORD"]["valueFrom"]["secretKeyRef"]
        assert secret == {"name": f"lending-{service}", "key": "password"}
        [config] = [o for o in objects
                    if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "lending-platform"]
        assert config["data"]["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"


def test_only_intake_holds_the_credential_signing_key(rendered):
    for objects in rendered.values():
        for dep in (o for o in objects if o["kind"] == "Deployment"):
            names = {e["name"] for c in dep["spec"]["template"]["spec"]["containers"]
                     for e in c.get("env", [])}
            holds = any(n.endswith("_CREDENTIAL_SIGNING_KEY") for n in names)
            assert holds == (dep["metadata"]["name"] == "intake")
