"""What a new user can get wrong is told in one line that says how to fix it."""

import socket
from pathlib import Path

import pytest

from lending_devstack import DevstackError, DevstackSettings
from lending_devstack.kafka import LocalKafka
from lending_devstack.postgres import LocalPostgres


def _settings(**overrides) -> DevstackSettings:
    repo = Path(__file__).resolve().parents[3]
    return DevstackSettings(root=repo, **overrides)


@pytest.fixture
def taken_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_a_taken_kafka_port_is_named_with_the_setting_to_change(tmp_path, taken_port):
    kafka = LocalKafka(_settings(kafka_port=taken_port, kafka_controller_port=1))
    kafka.pid_file = tmp_path / "none.pid"
    with pytest.raises(DevstackError, match=f"port {taken_port} is taken.*LENDING_KAFKA_PORT"):
        kafka.start()


def test_a_taken_postgres_port_is_named_with_the_setting_to_change(tmp_path, taken_port):
    pg = LocalPostgres(_settings(pg_port=taken_port))
    pg.data = tmp_path / "no-data"
    with pytest.raises(DevstackError, match=f"port {taken_port} is taken.*LENDING_PG_PORT"):
        pg.start()


def test_no_java_says_what_to_install_or_configure(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    kafka = LocalKafka(_settings())
    kafka.pid_file = tmp_path / "none.pid"
    with pytest.raises(DevstackError, match="Java not found.*KAFKA_BOOTSTRAP_SERVERS"):
        kafka.start()


def test_no_maven_says_what_to_install_or_configure(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    kafka = LocalKafka(_settings())
    kafka.libs = tmp_path / "libs"
    with pytest.raises(DevstackError, match="Maven .*not found"):
        kafka.fetch_jars()


def test_an_unreachable_maven_repository_points_at_the_log(tmp_path, monkeypatch):
    fake_mvn = tmp_path / "mvn"
    fake_mvn.write_text("#!/bin/sh\necho 'Could not transfer artifact'\nexit 1\n")
    fake_mvn.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    settings = _settings()
    kafka = LocalKafka(settings)
    kafka.libs = tmp_path / "libs"
    monkeypatch.setattr(type(settings), "logs", property(lambda self: tmp_path / "logs"))
    with pytest.raises(DevstackError, match="is Maven Central reachable.*maven.log"):
        kafka.fetch_jars()


def test_an_existing_server_is_used_instead_of_starting_one():
    settings = DevstackSettings(
        pg_admin_url="postgresql://app@db.internal:5432/postgres",
        kafka_external="kafka-0:9092",
    )
    assert settings.kafka_bootstrap == "kafka-0:9092"
    assert settings.database_url("ledger") == "postgresql+asyncpg://app@db.internal:5432/ledger"
    assert LocalPostgres(settings).running() and LocalKafka(settings).running()


def test_a_cluster_id_never_looks_like_an_option_to_the_storage_tool():
    from lending_devstack.kafka import new_cluster_id

    ids = [new_cluster_id() for _ in range(5000)]  # about 78 would start with "-" unchecked
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(i) == 22 for i in ids)
