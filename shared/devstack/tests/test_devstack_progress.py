"""The first `make run` downloads Kafka from Maven Central: it says so while it does,
and says nothing when asked to be quiet."""

from pathlib import Path

import pytest

from lending_devstack import DevstackSettings
from lending_devstack.kafka import DownloadProgress, LocalKafka

MAVEN_OUTPUT = """\
[INFO] Scanning for projects...
[INFO] Downloading from central: https://repo1/kafka_2.13-4.1.1.jar
[INFO] Downloaded from central: https://repo1/kafka_2.13-4.1.1.jar (6.5 MB at 2.1 MB/s)
[INFO] Downloaded from central: https://repo1/slf4j-api-2.0.17.jar (69 kB at 350 kB/s)
[INFO] BUILD SUCCESS
"""


@pytest.fixture
def kafka_with_fake_maven(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> LocalKafka:
    (tmp_path / "maven-output.txt").write_text(MAVEN_OUTPUT)
    fake_mvn = tmp_path / "mvn"
    fake_mvn.write_text(f"#!/bin/sh\nmkdir -p {tmp_path / 'libs'}\n"
                        f"cat {tmp_path / 'maven-output.txt'}\n")
    fake_mvn.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}:/usr/bin:/bin")
    settings = DevstackSettings(root=Path(__file__).resolve().parents[3])
    monkeypatch.setattr(type(settings), "logs", property(lambda self: tmp_path / "logs"))
    kafka = LocalKafka(settings)
    kafka.libs = tmp_path / "libs"
    return kafka


def test_the_first_run_says_it_fetches_kafka_and_how_much_it_downloaded(
        kafka_with_fake_maven: LocalKafka) -> None:
    said: list[str] = []
    kafka_with_fake_maven.say = said.append
    kafka_with_fake_maven.fetch_jars()
    assert said[0].startswith("fetching the Kafka") and "Maven Central" in said[0]
    assert said[-1].startswith("  2 files, 6.6 MB in ")
    assert "BUILD SUCCESS" in (kafka_with_fake_maven.s.logs / "maven.log").read_text()


def test_a_quiet_first_run_fetches_kafka_without_a_word(
        kafka_with_fake_maven: LocalKafka, capsys: pytest.CaptureFixture[str]) -> None:
    kafka_with_fake_maven.fetch_jars()
    assert capsys.readouterr() == ("", "")
    assert "Downloaded from central" in (kafka_with_fake_maven.s.logs / "maven.log").read_text()


def test_a_long_download_reports_what_it_has_so_far() -> None:
    said: list[str] = []
    progress = DownloadProgress(said.append, every=0)
    for line in MAVEN_OUTPUT.splitlines():
        progress.line(line)
    assert said == ["  1 files, 6.5 MB so far", "  2 files, 6.6 MB so far"]
