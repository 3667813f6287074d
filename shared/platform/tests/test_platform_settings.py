"""Each service reads its own prefixed settings; a shared Kafka address serves all."""

import pytest
from pydantic import ValidationError

from lending_intake.config import Settings as IntakeSettings
from lending_ledger.config import Settings as LedgerSettings


def test_each_service_has_its_own_prefix_and_default_port(monkeypatch):
    monkeypatch.setenv("INTAKE_PORT", "9101")
    assert IntakeSettings().port == 9101
    assert LedgerSettings().port == 8003


def test_the_database_defaults_to_the_service_own_database(monkeypatch):
    monkeypatch.delenv("LEDGER_DATABASE_URL", raising=False)
    monkeypatch.setenv("LENDING_PG_PORT", "6543")
    assert LedgerSettings().database_url == "postgresql+asyncpg://postgres@127.0.0.1:6543/ledger"
    assert LedgerSettings().consumer_group == "lending-ledger"


def test_kafka_bootstrap_servers_points_every_service_at_one_cluster(monkeypatch):
    monkeypatch.setenv("KAFKA_BOOTSTRAP_SERVERS", "kafka-0:9092,kafka-1:9092")
    assert IntakeSettings().kafka_bootstrap_servers == "kafka-0:9092,kafka-1:9092"
    monkeypatch.setenv("INTAKE_KAFKA_BOOTSTRAP_SERVERS", "other:9092")
    assert IntakeSettings().kafka_bootstrap_servers == "other:9092"


def test_a_bad_setting_is_refused_with_its_name(monkeypatch):
    monkeypatch.setenv("INTAKE_LOG_LEVEL", "LOUD")
    with pytest.raises(ValidationError, match="log_level"):
        IntakeSettings()
