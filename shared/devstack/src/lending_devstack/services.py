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
    """A service (``python -m lending_<name>``) or a simulator (``lending_simulators.<name>``)."""

    def __init__(
        self, name: str, settings: DevstackSettings, *, simulator_port: int | None = None
    ) -> None:
        self.name = name
        self.s = settings
        self.simulator = simulator_port is not None
        # The same variable the service itself reads (INTAKE_PORT, ...), so both agree.
        default = SERVICE_PORTS[name] if simulator_port is None else simulator_port
        env_name = f"{'SIM_' if self.simulator else ''}{name.upper()}_PORT"
        self.port = int(os.environ.get(env_name, default))
        kind = "sim-" if self.simulator else ""
        self.env_name = env_name
        self.pid_file = settings.run_dir / f"{kind}{name}.pid"
        self.log = settings.logs / f"{kind}{name}.log"

    def argv(self) -> list[str]:
        if self.simulator:
            return [sys.executable, "-m", f"lending_simulators.{self.name}", "--port",
                    str(self.port)]
        return [sys.executable, "-m", f"lending_{self.name}"]

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
                f"stop that program, or set {self.env_name} to a free port"
            )
        self.s.logs.mkdir(parents=True, exist_ok=True)
        self.s.run_dir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as out:
            proc = subprocess.Popen(
                self.argv(),
                stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **env}, start_new_session=True,
            )
        self.pid_file.write_text(str(proc.pid))

    def ready(self) -> bool:
        probe = "/healthz" if self.simulator else "/readyz"
        try:
            with urllib.request.urlopen(self.url + probe, timeout=2) as resp:
                return bool(resp.status == 200)
        except (urllib.error.URLError, OSError):
            return False

    def stop(self) -> None:
        pid = self.pid()
        if pid is not None:
            stop_pid(pid, timeout=15)
        self.pid_file.unlink(missing_ok=True)
