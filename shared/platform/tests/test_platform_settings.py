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


def test_an_unset_environment_is_production_and_refuses_the_development_keys(monkeypatch):
    monkeypatch.delenv("LENDING_ENVIRONMENT", raising=False)
    monkeypatch.delenv("INTAKE_ENVIRONMENT", raising=False)
    with pytest.raises(ValidationError) as refused:
        IntakeSettings()
    message = str(refused.value)
    for name in ("INTAKE_IDENTITY_HASH_KEY", "INTAKE_CREDENTIAL_SIGNING_KEY",
                 "INTAKE_ENCRYPTION_KEYS", "INTAKE_CREDENTIAL_VERIFY_KEYS"):
        assert name in message


@pytest.mark.parametrize("spelling", ["Production", "PRODUCTION", " production ", "staging"])
def test_every_spelling_of_a_non_development_environment_refuses_development_keys(
        monkeypatch, spelling):
    monkeypatch.setenv("INTAKE_ENVIRONMENT", spelling)
    with pytest.raises(ValidationError, match="INTAKE_IDENTITY_HASH_KEY"):
        IntakeSettings()
    monkeypatch.setenv("LEDGER_ENVIRONMENT", spelling)
    with pytest.raises(ValidationError, match="LEDGER_CREDENTIAL_VERIFY_KEYS"):
        LedgerSettings()


def test_development_in_any_case_allows_the_development_keys(monkeypatch):
    monkeypatch.setenv("LENDING_ENVIRONMENT", "Development")
    assert IntakeSettings().environment == "development"
    assert LedgerSettings().is_development


def test_production_starts_once_every_development_key_is_replaced(monkeypatch):
    from lending_platform.encryption import new_key_text
    from lending_platform.signing import new_signing_key

    private, public = new_signing_key()
    monkeypatch.setenv("LENDING_ENVIRONMENT", "production")
    monkeypatch.setenv("INTAKE_IDENTITY_HASH_KEY", "a-real-identity-hash-key-from-a-vault")
    monkeypatch.setenv("INTAKE_CREDENTIAL_SIGNING_KEY", private)
    monkeypatch.setenv("INTAKE_CREDENTIAL_VERIFY_KEYS", public)
    monkeypatch.setenv("INTAKE_ENCRYPTION_KEYS", new_key_text("k2025"))
    monkeypatch.setenv("INTAKE_ENCRYPTION_KEY_ID", "k2025")
    assert IntakeSettings().environment == "production"


DEVELOPMENT_KEYS = {
    "intake": ("INTAKE_IDENTITY_HASH_KEY", "INTAKE_CREDENTIAL_SIGNING_KEY",
               "INTAKE_ENCRYPTION_KEYS", "INTAKE_CREDENTIAL_VERIFY_KEYS"),
    "underwriting": ("UNDERWRITING_CREDENTIAL_VERIFY_KEYS",),
    "ledger": ("LEDGER_CREDENTIAL_VERIFY_KEYS",),
    "servicing": ("SERVICING_PAYOFF_QUOTE_KEY", "SERVICING_CREDENTIAL_VERIFY_KEYS"),
    "collections": ("COLLECTIONS_CREDENTIAL_VERIFY_KEYS",),
}


@pytest.mark.parametrize("service", sorted(DEVELOPMENT_KEYS))
def test_no_service_starts_a_production_loan_book_with_the_published_development_keys(
        monkeypatch, service):
    import importlib

    settings = importlib.import_module(f"lending_{service}.config").Settings
    monkeypatch.delenv(f"{service.upper()}_ENVIRONMENT", raising=False)
    monkeypatch.setenv("LENDING_ENVIRONMENT", "Production")
    with pytest.raises(ValidationError) as refused:
        settings()
    for name in DEVELOPMENT_KEYS[service]:
        assert name in str(refused.value)
