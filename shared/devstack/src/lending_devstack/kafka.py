"""A real single-node Apache Kafka broker (KRaft) from the Maven Central jars on Java 17."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from lending_devstack.errors import DevstackError
from lending_devstack.procs import port_open, read_pid, stop_pid, wait_until
from lending_devstack.settings import KAFKA_VERSION, DevstackSettings


def java_major_version() -> int | None:
    java = shutil.which("java")
    if not java:
        return None
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out)
    if not match:
        return None
    major = int(match.group(1))
    return int(match.group(2) or 0) if major == 1 else major


def new_cluster_id() -> str:
    """A KRaft cluster id (base64url of 16 random bytes). Like Kafka's own Uuid.randomUuid,
    never one starting with "-", which the storage tool's argument parser takes for an option."""
    while True:
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cluster_id.startswith("-"):
            return cluster_id


_DOWNLOADED = re.compile(r"^\[INFO\] Downloaded from \S+: \S+ \(([\d.,]+) (B|kB|MB)")
_UNIT = {"B": 1, "kB": 1000, "MB": 1000_000}


class DownloadProgress:
    """Counts what Maven says it downloaded and says so every few seconds."""

    def __init__(self, say: Callable[[str], None] | None, every: float = 5.0) -> None:
        self.say, self.every = say, every
        self.files, self.size = 0, 0.0
        self.began = self.last = time.monotonic()

    def line(self, line: str) -> None:
        match = _DOWNLOADED.match(line)
        if not match:
            return
        self.files += 1
        self.size += float(match.group(1).replace(",", "")) * _UNIT[match.group(2)]
        if self.say and time.monotonic() - self.last >= self.every:
            self.last = time.monotonic()
            self.say(f"  {self._so_far()} so far")

    def summary(self) -> str:
        return f"  {self._so_far()} in {time.monotonic() - self.began:.0f}s"

    def _so_far(self) -> str:
        return f"{self.files} files, {self.size / 1e6:.1f} MB"


class LocalKafka:
    def __init__(self, settings: DevstackSettings) -> None:
        self.s = settings
        self.home = settings.kafka_dir
        self.libs = settings.cache / "kafka-libs"
        self.data = self.home / "data"
        self.pid_file = self.home / "kafka.pid"
        self.log = settings.logs / "kafka.log"
        self.pom = settings.root / "infra" / "kafka" / "pom.xml"
        # Hears progress of the one slow first step (the Maven download); None: silent.
        self.say: Callable[[str], None] | None = None

    @property
    def external(self) -> bool:
        return self.s.kafka_external is not None

    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    def running(self) -> bool:
        return True if self.external else self.pid() is not None

    def _marker(self) -> Path:
        return self.libs / f".kafka-{KAFKA_VERSION}"

    def fetch_jars(self) -> None:
        if self._marker().exists():
            return
        if not shutil.which("mvn"):
            raise DevstackError(
                "Maven (mvn) not found: install it (apt-get install maven) "
                "or set KAFKA_BOOTSTRAP_SERVERS to use an existing Kafka"
            )
        self.s.logs.mkdir(parents=True, exist_ok=True)
        if self.libs.exists():
            shutil.rmtree(self.libs)
        log = self.s.logs / "maven.log"
        if self.say:
            self.say(f"fetching the Kafka {KAFKA_VERSION} jars from Maven Central "
                     f"(first run only; output in {log}) ...")
        with log.open("w") as out:
            proc = subprocess.Popen(
                [
                    "mvn", "-B", "-f", str(self.pom), "dependency:copy-dependencies",
                    f"-DoutputDirectory={self.libs}",
                    f"-Dmaven.repo.local={self.s.cache / 'm2'}",
                ],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            )
            assert proc.stdout is not None
            progress = DownloadProgress(self.say)
            for line in proc.stdout:
                out.write(line)
                progress.line(line)
            returncode = proc.wait()
        if self.say and returncode == 0:
            self.say(progress.summary())
        if returncode != 0:
            raise DevstackError(
                f"Maven could not fetch the Kafka {KAFKA_VERSION} jars "
                f"(is Maven Central reachable?); see {log}"
            )
        self._marker().touch()

    def _java(self) -> str:
        version = java_major_version()
        if version is None:
            raise DevstackError(
                "Java not found: install Java 17 (apt-get install openjdk-17-jre-headless) "
                "or set KAFKA_BOOTSTRAP_SERVERS to use an existing Kafka"
            )
        if version < 17:
            raise DevstackError(f"Kafka {KAFKA_VERSION} needs Java 17 or newer; found {version}")
        return shutil.which("java") or "java"

    def _write_config(self) -> Path:
        template = (self.s.root / "infra" / "kafka" / "server.properties.template").read_text()
        config = self.home / "server.properties"
        config.write_text(
            template.format(
                port=self.s.kafka_port,
                controller_port=self.s.kafka_controller_port,
                data_dir=self.data,
                partitions=self.s.topic_partitions,
            )
        )
        return config

    def _format(self, java: str, config: Path) -> None:
        if (self.data / "meta.properties").exists():
            return
        cluster_id = new_cluster_id()
        result = subprocess.run(
            [java, "-cp", f"{self.libs}/*", "kafka.tools.StorageTool", "format",
             "-t", cluster_id, "-c", str(config), "--standalone"],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise DevstackError(f"formatting Kafka storage failed: {result.stdout}{result.stderr}")

    def start(self, timeout: float = 90.0) -> None:
        if self.running():
            return
        java = self._java()
        for port in (self.s.kafka_port, self.s.kafka_controller_port):
            if port_open(port):
                raise DevstackError(
                    f"port {port} is taken by another program: set LENDING_KAFKA_PORT and "
                    "LENDING_KAFKA_CONTROLLER_PORT to free ports, or KAFKA_BOOTSTRAP_SERVERS"
                )
        self.fetch_jars()
        self.home.mkdir(parents=True, exist_ok=True)
        self.s.logs.mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        self._format(java, config)
        log4j = self.s.root / "infra" / "kafka" / "log4j2.properties"
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                [java, f"-Xmx{self.s.kafka_heap}", f"-Xms{self.s.kafka_heap}", "-XX:+UseG1GC",
                 "-XX:MaxGCPauseMillis=20", "-Djava.awt.headless=true",
                 f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{self.libs}/*",
                 "kafka.Kafka", str(config)],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))

        def ready() -> bool:
            if proc.poll() is not None:
                raise DevstackError(f"Kafka exited with code {proc.returncode}; see {self.log}")
            return port_open(self.s.kafka_port)

        wait_until(ready, timeout, "Kafka", self.log)

    def stop(self) -> None:
        if self.external:
            return
        pid = self.pid()
        if pid is not None:
            stop_pid(pid, timeout=30)
        self.pid_file.unlink(missing_ok=True)
