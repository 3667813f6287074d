"""Every metric a Grafana dashboard or a Prometheus alert rule queries is one the services
really export: each service runs with the real PostgreSQL and Kafka, serves a few requests,
is scraped, and the names in its /metrics are matched against the PromQL of its own
dashboard, and of the platform dashboard and the alert rules (those may read any service)."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from prometheus_client.parser import text_string_to_metric_families

from lending_platform.testing import operator_headers, running

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
SUFFIXES = {"counter": ("_total",), "histogram": ("_bucket", "_sum", "_count"),
            "summary": ("_sum", "_count")}


def promql() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "promql_metrics", ROOT / "deploy" / "tools" / "promql_metrics.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def exported(exposition: str) -> set[str]:
    """The series names /metrics declares: every sample, and each family's own names (a
    labelled metric with no child yet is declared all the same)."""
    names: set[str] = set()
    for family in text_string_to_metric_families(exposition):
        names |= {sample.name for sample in family.samples}
        names |= {family.name + suffix for suffix in SUFFIXES.get(family.type, ("",))}
    return names


def queried(module: ModuleType, exprs: list[str]) -> set[str]:
    return {name for expr in exprs for name in module.metric_names(expr)}


async def test_every_metric_the_dashboards_and_alerts_query_is_exported(service_app):
    module = promql()
    boards = module.dashboards()
    assert set(boards) == {"platform", *SERVICES}
    by_service: dict[str, set[str]] = {}
    for name in SERVICES:
        app = service_app(name, consumer_offset_reset="latest")
        async with running(app) as client:
            ops = await client.get("/v1/ops/messaging", headers=await operator_headers(app))
            assert ops.status_code == 200, ops.text
            assert (await client.get("/v1/no-such-loan-route")).status_code == 404
            scraped = await client.get("/metrics")
            assert scraped.status_code == 200
            by_service[name] = exported(scraped.text)
        missing = queried(module, module.dashboard_queries(boards[name])) - by_service[name]
        assert not missing, f"the {name} dashboard queries what {name} does not export: " \
                            f"{sorted(missing)}"
    anywhere = set().union(*by_service.values())
    missing = queried(module, module.dashboard_queries(boards["platform"])) - anywhere
    assert not missing, f"the platform dashboard queries unexported {sorted(missing)}"
    missing = queried(module, module.alert_queries()) - anywhere
    assert not missing, f"alert rules query unexported {sorted(missing)}"
    every = set.intersection(*by_service.values())
    for shared in ("lending_consumer_lag", "lending_outbox_pending", "lending_kafka_up",
                   "lending_events_published_total", "lending_events_consumed_total",
                   "http_request_duration_seconds_bucket"):
        assert shared in every, shared
