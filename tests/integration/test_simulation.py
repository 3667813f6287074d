"""The main job, run whole on a real stack: `make run`'s stack on servers of its own (its
own PostgreSQL and Kafka, so no other test's events are in its topics), a small book lived
through two months by `loanctl simulate`, then a short run with kills of every kind."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from lending_devstack.private import private_stack
from lending_devstack.settings import SERVICES

pytestmark = pytest.mark.integration
PROFILE = "simtest"


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """`make run` on fresh servers and free ports; stopped (Ctrl-C) at the end."""
    with private_stack(PROFILE, tmp_path_factory.mktemp("run"), LENDING_TOPIC_PARTITIONS="2",
                       LENDING_PG_SHARED_BUFFERS_MB="128",
                       keep_logs=tmp_path_factory.mktemp("logs")) as env:
        yield env


def simulate(env: dict[str, str], *args: str, timeout: float) -> tuple[int, dict, str]:
    done = subprocess.run(
        [sys.executable, "-m", "loanctl.main", "simulate", "--json", "--quiet", *args],
        env=env, capture_output=True, text=True, timeout=timeout)
    try:
        report = json.loads(done.stdout)
    except ValueError:
        report = {}
    return done.returncode, report, done.stdout[-4000:] + done.stderr[-4000:]


@pytest.mark.timeout(1500)
def test_a_book_of_a_hundred_loans_lives_two_months_and_every_invariant_holds(
        stack, tmp_path: Path):
    page = tmp_path / "book.html"
    code, report, output = simulate(stack, "--loans", "100", "--months", "2", "--seed", "7",
                                    "--html", str(page), timeout=1400)
    assert code == 0, output
    assert report["summary"]["loans_disbursed"] >= 60, report["summary"]
    for name, row in report["invariants"].items():
        assert row["violations"] == 0, (name, report["violations"])
        if name not in ("payoff_closes",):
            assert row["checked"] > 0, f"{name} was never checked"
    assert report["months"], "no month end was reported"
    assert "Vintage curves" in page.read_text()


@pytest.mark.timeout(1200)
@pytest.mark.skipif(
    os.environ.get("LENDING_CHAOS_TESTS") != "1",
    reason="known defect (issue 18): after some kills the ledger's and collections' consumers "
    "restart in a loop on a servicing event and the run never settles (2 of the last 3 runs); "
    "LENDING_CHAOS_TESTS=1 runs it, its services' logs kept under the test's tmp dir")
def test_a_book_lives_through_kills_of_every_service_kafka_and_postgres(stack):
    code, report, output = simulate(stack, "--loans", "30", "--days", "21", "--seed", "11",
                                    "--chaos", timeout=1100)
    assert code == 0, output
    kinds = set(report["chaos"]["kinds_killed"])
    assert kinds == {*SERVICES, "kafka", "postgres"}
    assert all(row["violations"] == 0 for row in report["invariants"].values()), output
