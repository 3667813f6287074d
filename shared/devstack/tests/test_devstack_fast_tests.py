"""`make test-fast` (`pytest -m "not integration"`) never starts PostgreSQL or Kafka: every
test that needs them is an integration test, whether or not its module says so."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def _collect_fast(*paths: str) -> str:
    run = subprocess.run(
        [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
         "-m", "not integration", *paths],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert run.returncode in (0, 5), run.stdout + run.stderr
    return run.stdout


def test_the_fast_run_selects_no_test_that_needs_the_real_servers():
    listed = _collect_fast("tests/integration")
    selected = [line for line in listed.splitlines() if "::" in line]
    assert selected == [], f"not marked integration: {selected}"


def test_a_test_using_the_servers_without_the_marker_is_still_left_out(tmp_path):
    module = tmp_path / "test_unmarked_loan.py"
    module.write_text("def test_a_loan_row_is_written(database_url):\n    assert database_url\n")
    listed = _collect_fast(str(module), "-p", "lending_devstack.pytest_plugin")
    assert "test_a_loan_row_is_written" not in listed
