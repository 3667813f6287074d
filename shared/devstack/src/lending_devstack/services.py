"""Runs the five services as child processes with logs and pid files under .local/."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.error
import urllib.request

from lending_devstack.procs import port_open, read_pid, stop_pid
from lending_devstack.settings import SERVICE_PORTS, DevstackSettings


class ServiceProcess:
    def __init__(self, name: str, settings: DevstackSettings) -> None:
        self.name = name
        self.s = settings
        self.port = SERVICE_PORTS[name]
        self.pid_file = settings.run_dir / f"{name}.pid"
        self.log = settings.logs / f"{name}.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def pid(self) -> int | None:
        return read_pid(self.pid_file)

    def start(self, env: dict[str, str]) -> None:
        if self.pid() is not None:
            return
        if port_open(self.port):
            from lending_devstack.errors import DevstackError

            raise DevstackError(
                f"port {self.port} for {self.name} is taken by another program: "
                f"set {self.name.upper()}_PORT to a free port"
            )
        self.s.logs.mkdir(parents=True, exist_ok=True)
        self.s.run_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                [sys.executable, "-m", f"lending_{self.name}"],
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **env}, start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(self.url + "/readyz", timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            stop_pid(pid, timeout=15)
        self.pid_file.unlink(missing_ok=True)
