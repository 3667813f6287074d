"""`make run` brings every service to ready, and Ctrl-C leaves no process it started —
while servers that were running before it (here: the test session's) stay up."""

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lending_devstack.procs import pid_alive

pytestmark = pytest.mark.integration
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


def test_ctrl_c_stops_every_process_make_run_started_and_nothing_else(infra, tmp_path: Path):
    env = {**os.environ, "LENDING_RUN_DIR": str(tmp_path)}
    for offset, name in enumerate(SERVICES):
        env[f"{name.upper()}_PORT"] = str(18801 + offset)
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
    output = "".join(lines)
    assert "all ready" in output, output
    pids = {p.stem: int(p.read_text()) for p in tmp_path.glob("*.pid")}
    assert set(SERVICES) <= set(pids)
    assert all(pid_alive(pid) for pid in pids.values())
    assert json.loads((tmp_path / "make-run.json").read_text()) == {
        "postgres": False, "kafka": False,
    }

    runner.send_signal(signal.SIGINT)
    rest, _ = runner.communicate(timeout=60)
    assert runner.returncode == 0, rest
    assert "stopped" in rest
    assert [name for name, pid in pids.items() if pid_alive(pid)] == []
    assert infra.postgres.running() and infra.kafka.running()
