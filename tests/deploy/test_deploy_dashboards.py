"""The Grafana dashboards ship as ConfigMaps the Grafana sidecar picks up, are what
deploy/tools/dashboards.py writes, and their queries parse into metric names (the
integration test checks those names against each running service's /metrics)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "deploy" / "tools"
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")


def load(name: str) -> Any:
    spec = importlib.util.spec_from_file_location(name, TOOLS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_dashboards_are_the_ones_the_script_writes():
    done = subprocess.run([sys.executable, str(TOOLS / "dashboards.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


def test_every_dashboard_ships_as_a_configmap_for_the_grafana_sidecar(rendered):
    for overlay, objects in rendered.items():
        maps = {o["metadata"]["name"]: o for o in objects if o["kind"] == "ConfigMap"
                and o["metadata"].get("labels", {}).get("grafana_dashboard") == "1"}
        assert set(maps) == {f"lending-dashboard-{n}" for n in ("platform", *SERVICES)}, overlay
        for name, configmap in maps.items():
            [(key, text)] = configmap["data"].items()
            board = json.loads(text)
            assert key.endswith(".json") and board["uid"] == name.replace("-dashboard", "")


def test_the_platform_dashboard_shows_the_loan_flow_messaging_and_http():
    promql = load("promql_metrics")
    names = {n for e in promql.dashboard_queries(promql.dashboards()["platform"])
             for n in promql.metric_names(e)}
    assert {"lending_events_published_total", "lending_day_close_last_duration_seconds",
            "lending_consumer_lag", "lending_outbox_pending",
            "lending_dead_letter_topic_records", "http_requests_total",
            "http_request_duration_seconds_bucket"} <= names


def test_metric_names_are_read_from_promql_without_functions_or_labels():
    promql = load("promql_metrics")
    expr = ('histogram_quantile(0.99, sum by (service, le) (rate(x_bucket{a="b"}[5m]))) > 2 '
            "unless on (service) max by (service) (up_total offset 5m) and time() - y")
    assert promql.metric_names(expr) == {"x_bucket", "up_total", "y"}
