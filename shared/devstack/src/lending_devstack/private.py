"""A whole stack of one's own: `make run` on fresh servers (its own PostgreSQL and Kafka, in
`.local/<profile>/`) and free ports, for tests and benchmarks that need every service and
simulator as processes, the way `make run` runs them, without anyone else's data or events.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from lending_devstack.errors import DevstackError
from lending_devstack.settings import SERVICES, find_repo_root
from lending_simulators import SIMULATORS


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def private_env(profile: str, run_dir: Path, **extra: str) -> dict[str, str]:
    """The environment that moves a stack (and any loanctl command) onto its own servers
    and ports."""
    env = {**os.environ, "LENDING_PROFILE": profile, "LENDING_RUN_DIR": str(run_dir),
           "LENDING_PG_PORT": str(free_port()), "LENDING_KAFKA_PORT": str(free_port()),
           "LENDING_KAFKA_CONTROLLER_PORT": str(free_port()), **extra}
    for name in ("KAFKA_BOOTSTRAP_SERVERS", "LENDING_PG_ADMIN_URL"):
        env.pop(name, None)
    for name in SERVICES:
        env[f"{name.upper()}_PORT"] = str(free_port())
    for name in SIMULATORS:
        env[f"SIM_{name.upper()}_PORT"] = str(free_port())
    return env


@contextmanager
def private_stack(profile: str, run_dir: Path, *, ready_timeout: float = 240,
                  keep_logs: Path | None = None, **extra: str) -> Iterator[dict[str, str]]:
    """Starts it, yields its environment (with ``LENDING_STACK_PID``, the supervisor's pid),
    stops it (as Ctrl-C would) and deletes its data; its logs are copied to ``keep_logs``
    first, if given (what a failed run needs to be understood)."""
    state = find_repo_root() / ".local" / profile
    shutil.rmtree(state, ignore_errors=True)
    env = private_env(profile, run_dir, **extra)
    runner = subprocess.Popen(
        [sys.executable, "-m", "lending_devstack.run", "--ready-timeout", str(ready_timeout)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        _wait_ready(runner, ready_timeout + 180)  # the banner and demo partner follow
        # The supervisor keeps logging (restarts under chaos): read on, or its pipe fills
        # and the whole stack blocks on a write.
        threading.Thread(target=_drain, args=(runner,), daemon=True).start()
        yield {**env, "LENDING_STACK_PID": str(runner.pid)}
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.wait(timeout=120)
        except subprocess.TimeoutExpired:
            runner.kill()
        if keep_logs is not None and (state / "logs").exists():
            shutil.copytree(state / "logs", keep_logs, dirs_exist_ok=True)
        shutil.rmtree(state, ignore_errors=True)


def _drain(runner: subprocess.Popen[str]) -> None:
    assert runner.stdout is not None
    for _line in runner.stdout:
        pass


def _wait_ready(runner: subprocess.Popen[str], timeout: float) -> None:
    assert runner.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = runner.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl-C" in line:
            return
    raise DevstackError("the private stack did not come up:\n" + "".join(lines[-40:]))
