"""`make run` brings every service to ready, and Ctrl-C leaves no process it started —
while servers that were running before it (here: the test session's) stay up."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lending_devstack.procs import pid_alive
from lending_simulators import SIMULATORS

pytestmark = pytest.mark.integration
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_make_run(tmp_path: Path) -> tuple[subprocess.Popen[str], dict[str, str], str]:
    # Free ports and a private run folder: a developer's own `make run` is left alone.
    env = {**os.environ, "LENDING_RUN_DIR": str(tmp_path)}
    for name in SERVICES:
        env[f"{name.upper()}_PORT"] = str(_free_port())
    for name in SIMULATORS:
        env[f"SIM_{name.upper()}_PORT"] = str(_free_port())
    runner = subprocess.Popen(
        [sys.executable, "-m", "lending_devstack.run", "--ready-timeout", "120"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    lines: list[str] = []
    assert runner.stdout is not None
    deadline = time.monotonic() + 150
    while time.monotonic() < deadline:
        line = runner.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl-C" in line:
            break
    return runner, env, "".join(lines)


def _pids(run_dir: Path) -> dict[str, int]:
    return {p.stem: int(p.read_text()) for p in run_dir.glob("*.pid")}


def _stop_leftovers(runner: subprocess.Popen[str], env: dict[str, str]) -> None:
    """A failed test must not leave a stack consuming the test session's topics."""
    if runner.poll() is None:
        subprocess.run([sys.executable, "-m", "lending_devstack.run", "--stop"], env=env,
                       capture_output=True, timeout=180, check=False)
        runner.kill()


def test_ctrl_c_stops_every_process_make_run_started_and_nothing_else(infra, tmp_path: Path):
    runner, env, output = _start_make_run(tmp_path)
    try:
        assert "all ready" in output, output
        pids = _pids(tmp_path)
        assert set(SERVICES) <= set(pids)
        assert all(pid_alive(pid) for pid in pids.values())
        assert json.loads((tmp_path / "make-run.json").read_text()) == {
            "postgres": False, "kafka": False,
        }

        runner.send_signal(signal.SIGINT)
        rest, _ = runner.communicate(timeout=120)
    finally:
        _stop_leftovers(runner, env)
    assert runner.returncode == 0, rest
    assert "stopped" in rest
    assert [name for name, pid in pids.items() if pid_alive(pid)] == []
    assert infra.postgres.running() and infra.kafka.running()


def test_make_stop_beside_a_foreground_make_run_says_stopped_in_both(infra, tmp_path: Path):
    runner, env, output = _start_make_run(tmp_path)
    assert "all ready" in output, output
    pids = _pids(tmp_path)
    try:
        stopper = subprocess.run([sys.executable, "-m", "lending_devstack.run", "--stop"],
                                 env=env, capture_output=True, text=True, timeout=180)
        rest, _ = runner.communicate(timeout=60)
    finally:
        _stop_leftovers(runner, env)
    assert stopper.returncode == 0, stopper.stdout + stopper.stderr
    assert stopper.stdout.strip().endswith("stopped") and stopper.stderr == ""
    assert "error" not in rest and "exited" not in rest, rest
    assert rest.rstrip().endswith("stopped"), rest
    assert runner.returncode == 0
    assert [name for name, pid in pids.items() if pid_alive(pid)] == []
    assert infra.postgres.running() and infra.kafka.running()
