"""The main job, run whole on a real stack: `make run`'s stack on servers of its own (its
own PostgreSQL and Kafka, so no other test's events are in its topics), a small book lived
through two months by `loanctl simulate`, then a short run with kills of every kind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lending_devstack.settings import SERVICES, find_repo_root
from lending_simulators import SIMULATORS

pytestmark = pytest.mark.integration
PROFILE = "simtest"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A `make run` on fresh servers and free ports; stopped (Ctrl-C) at the end."""
    root = find_repo_root()
    shutil.rmtree(root / ".local" / PROFILE, ignore_errors=True)
    env = {**os.environ, "LENDING_PROFILE": PROFILE, "LENDING_TOPIC_PARTITIONS": "2",
           "LENDING_PG_PORT": str(_free_port()), "LENDING_KAFKA_PORT": str(_free_port()),
           "LENDING_KAFKA_CONTROLLER_PORT": str(_free_port()),
           "LENDING_PG_SHARED_BUFFERS_MB": "128",
           "LENDING_RUN_DIR": str(tmp_path_factory.mktemp("run"))}
    env.pop("KAFKA_BOOTSTRAP_SERVERS", None)
    env.pop("LENDING_PG_ADMIN_URL", None)
    for name in SERVICES:
        env[f"{name.upper()}_PORT"] = str(_free_port())
    for name in SIMULATORS:
        env[f"SIM_{name.upper()}_PORT"] = str(_free_port())
    runner = subprocess.Popen(
        [sys.executable, "-m", "lending_devstack.run", "--ready-timeout", "240"], env=env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert runner.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        line = runner.stdout.readline()
        if not line:
            break
        lines.append(line)
        if "Press Ctrl-C" in line:
            break
    assert any("all ready" in line for line in lines), "".join(lines)
    try:
        yield env
    finally:
        runner.send_signal(signal.SIGINT)
        try:
            runner.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            runner.kill()
        shutil.rmtree(root / ".local" / PROFILE, ignore_errors=True)


def simulate(env: dict[str, str], *args: str, timeout: float) -> tuple[int, dict, str]:
    done = subprocess.run(
        [sys.executable, "-m", "loanctl.main", "simulate", "--json", "--quiet", *args],
        env=env, capture_output=True, text=True, timeout=timeout)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {}
    return done.returncode, report, done.stdout[-4000:] + done.stderr[-4000:]


def test_a_book_of_a_hundred_loans_lives_two_months_and_every_invariant_holds(
        stack, tmp_path: Path):
    page = tmp_path / "book.html"
    code, report, output = simulate(stack, "--loans", "100", "--months", "2", "--seed", "7",
                                    "--html", str(page), timeout=1500)
    assert code == 0, output
    assert report["summary"]["loans_disbursed"] >= 60, report["summary"]
    for name, row in report["invariants"].items():
        assert row["violations"] == 0, (name, report["violations"])
        if name not in ("payoff_closes",):
            assert row["checked"] > 0, f"{name} was never checked"
    assert report["months"], "no month end was reported"
    assert "Vintage curves" in page.read_text()


def test_a_book_lives_through_kills_of_every_service_kafka_and_postgres(stack):
    code, report, output = simulate(stack, "--loans", "30", "--months", "1", "--seed", "11",
                                    "--chaos", timeout=1500)
    assert code == 0, output
    kinds = set(report["chaos"]["kinds_killed"])
    assert kinds == {*SERVICES, "kafka", "postgres"}
    assert all(row["violations"] == 0 for row in report["invariants"].values()), output
