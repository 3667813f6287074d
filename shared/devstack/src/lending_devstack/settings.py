"""Where the local servers live and which ports they use, all overridable from the environment.

Set ``LENDING_PG_ADMIN_URL`` to use an existing PostgreSQL server and ``KAFKA_BOOTSTRAP_SERVERS``
to use an existing Kafka cluster; the devstack then starts neither and only creates
databases and topics there.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
SERVICE_PORTS = {name: 8001 + i for i, name in enumerate(SERVICES)}
KAFKA_VERSION = "4.1.1"


def find_repo_root(start: Path | None = None) -> Path:
    """The checkout root: the nearest parent holding both the Makefile and the workspace."""
    if env := os.environ.get("LENDING_HOME"):
        return Path(env).resolve()
    here = (start or Path(__file__)).resolve()
    for parent in [here, *here.parents]:
        if (parent / "Makefile").exists() and (parent / "infra" / "kafka").is_dir():
            return parent
    return Path.cwd().resolve()


def _env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise SystemExit(f"error: {name} must be a whole number, got {raw!r}") from exc


def memory_bytes() -> int:
    """The memory this machine gives us: its RAM, or its cgroup's limit if lower."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
    except OSError:
        return total
    return min(total, int(limit)) if limit.isdigit() else total


def default_shared_buffers_mb(memory: int | None = None) -> int:
    """A quarter of the memory (PostgreSQL's own sizing advice), 128 MB to 8 GB: the day
    close of a million loans reads one page per missed installment, and a cache that
    holds the book (~4 GB) instead of 256 MB took it from 16 s to 12 s here."""
    quarter = (memory_bytes() if memory is None else memory) // 4 // 2**20
    return max(128, min(8192, quarter))


@dataclass(frozen=True)
class DevstackSettings:
    root: Path = field(default_factory=find_repo_root)
    pg_port: int = field(default_factory=lambda: _env_int("LENDING_PG_PORT", 54329))
    pg_admin_url: str | None = field(
        default_factory=lambda: os.environ.get("LENDING_PG_ADMIN_URL") or None
    )
    kafka_port: int = field(default_factory=lambda: _env_int("LENDING_KAFKA_PORT", 29092))
    kafka_controller_port: int = field(
        default_factory=lambda: _env_int("LENDING_KAFKA_CONTROLLER_PORT", 29093)
    )
    kafka_external: str | None = field(
        default_factory=lambda: os.environ.get("KAFKA_BOOTSTRAP_SERVERS") or None
    )
    pg_shared_buffers_mb: int = field(
        default_factory=lambda: _env_int("LENDING_PG_SHARED_BUFFERS_MB",
                                         default_shared_buffers_mb())
    )
    kafka_heap: str = field(default_factory=lambda: os.environ.get("LENDING_KAFKA_HEAP", "512m"))
    topic_partitions: int = field(
        default_factory=lambda: _env_int("LENDING_TOPIC_PARTITIONS", 6)
    )

    @property
    def local(self) -> Path:
        """State of this profile: ``.local/`` for the dev stack, ``.local/<profile>/`` else.

        The test session runs as profile ``test`` on its own ports (see pytest_plugin), so
        tests never publish into the topics a developer's `make run` stack consumes."""
        profile = os.environ.get("LENDING_PROFILE", "dev")
        return self.root / ".local" if profile == "dev" else self.root / ".local" / profile

    @property
    def cache(self) -> Path:
        """Downloads shared by every profile (the Kafka jars, Maven's repository)."""
        return self.root / ".local"

    @property
    def logs(self) -> Path:
        return self.local / "logs"

    @property
    def run_dir(self) -> Path:
        """Pid files and the record of what `make run` started (LENDING_RUN_DIR moves it)."""
        return Path(os.environ.get("LENDING_RUN_DIR") or self.local / "run")

    @property
    def pg_dir(self) -> Path:
        return self.local / "pg"

    @property
    def kafka_dir(self) -> Path:
        return self.local / "kafka"

    @property
    def kafka_bootstrap(self) -> str:
        return self.kafka_external or f"127.0.0.1:{self.kafka_port}"

    @property
    def pg_base_url(self) -> str:
        """Server URL without a database name (``postgresql://user@host:port``)."""
        if self.pg_admin_url:
            return self.pg_admin_url.rsplit("/", 1)[0] if self.pg_admin_url.count("/") > 2 else (
                self.pg_admin_url
            )
        return f"postgresql://postgres@127.0.0.1:{self.pg_port}"

    def database_url(self, database: str, driver: str = "postgresql+asyncpg") -> str:
        base = self.pg_base_url.split("://", 1)[1]
        return f"{driver}://{base}/{database}"
