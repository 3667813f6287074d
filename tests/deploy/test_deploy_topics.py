"""Every topic of the event registry, dead letters included, exists as a Strimzi KafkaTopic
with replication 3 and min ISR 2, with enough partitions for the consumers' autoscaling,
and is created by docker-compose.yml."""

from __future__ import annotations

import pytest

from lending_events import all_topics
from lending_events.topics import DLQ_SUFFIX

# The first test renders the overlays, installing kustomize on a fresh machine (~80 s).
pytestmark = pytest.mark.timeout(900)


def kafka_topics(objects):
    return {
        o["spec"].get("topicName", o["metadata"]["name"]): o
        for o in objects if o["kind"] == "KafkaTopic"
    }


def max_consumer_replicas(objects) -> int:
    counts = [o["spec"]["maxReplicas"] for o in objects if o["kind"] == "HorizontalPodAutoscaler"]
    counts += [o["spec"]["maxReplicaCount"] for o in objects if o["kind"] == "ScaledObject"]
    return max(counts)


def test_every_registry_topic_has_exactly_its_kafka_topic(rendered):
    for overlay, objects in rendered.items():
        assert set(kafka_topics(objects)) == set(all_topics()), overlay


def test_every_topic_is_replicated_three_times_with_min_isr_two(rendered):
    for objects in rendered.values():
        for name, topic in kafka_topics(objects).items():
            assert topic["spec"]["replicas"] == 3, name
            assert int(topic["spec"]["config"]["min.insync.replicas"]) == 2, name
            assert topic["metadata"]["labels"]["strimzi.io/cluster"] == "lending-kafka"


def test_main_topics_have_a_partition_for_every_consumer_replica(rendered):
    for overlay, objects in rendered.items():
        ceiling = max_consumer_replicas(objects)
        for name, topic in kafka_topics(objects).items():
            if not name.endswith(DLQ_SUFFIX):
                assert topic["spec"]["partitions"] >= ceiling, f"{overlay} {name}"


def test_the_kafka_cluster_is_kraft_with_three_brokers_and_safe_defaults(rendered):
    for objects in rendered.values():
        [kafka] = [o for o in objects if o["kind"] == "Kafka"]
        assert kafka["metadata"]["annotations"]["strimzi.io/kraft"] == "enabled"
        config = kafka["spec"]["kafka"]["config"]
        assert config["default.replication.factor"] == 3
        assert config["min.insync.replicas"] == 2
        assert config["auto.create.topics.enable"] is False
        brokers = sum(
            p["spec"]["replicas"] for p in objects
            if p["kind"] == "KafkaNodePool" and "broker" in p["spec"]["roles"]
        )
        assert brokers == 3


def test_compose_creates_every_registry_topic(compose):
    script = " ".join(compose["services"]["kafka-topics"]["command"])
    created = {
        part.split()[0] for part in script.split("--topic ")[1:]
    }
    assert created == set(all_topics())
