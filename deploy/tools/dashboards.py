"""Writes the Grafana dashboards (deploy/k8s/base/monitoring/dashboards/*.json): the platform
as a whole and one per service. Kustomize turns each into a ConfigMap labelled for the
Grafana sidecar (monitoring/kustomization.yaml). Run `make dashboards` after editing;
tests/deploy/test_deploy_dashboards.py fails when the files and this script disagree, and
tests/integration/test_metrics_dashboards.py checks every metric queried is exported.

    python deploy/tools/dashboards.py [--check]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parents[1] / "k8s" / "base" / "monitoring" / "dashboards"
SERVICES = ("intake", "underwriting", "ledger", "servicing", "collections")
RATE = "[5m]"


def panel(title: str, exprs: dict[str, str], *, unit: str = "short", kind: str = "timeseries",
          description: str = "") -> dict[str, Any]:
    return {
        "type": kind, "title": title, "description": description,
        "datasource": {"type": "prometheus", "uid": "${datasource}"},
        "fieldConfig": {"defaults": {"unit": unit}, "overrides": []},
        "targets": [{"refId": chr(ord("A") + i), "expr": expr, "legendFormat": legend}
                    for i, (legend, expr) in enumerate(exprs.items())],
    }


def per_minute(types: str, by: str = "type") -> str:
    return (f'sum by ({by}) (rate(lending_events_published_total{{type=~"{types}"}}{RATE}))'
            " * 60")


def quantiles(selector: str, by: str) -> dict[str, str]:
    buckets = f"rate(http_request_duration_seconds_bucket{selector}{RATE})"
    return {f"p{q} {{{{{by}}}}}": f"histogram_quantile(0.{q}, sum by ({by}, le) ({buckets}))"
            for q in ("50", "95", "99")}


def dashboard(uid: str, title: str, rows: list[tuple[str, list[dict[str, Any]]]]
              ) -> dict[str, Any]:
    panels: list[dict[str, Any]] = []
    y = 0
    for row, members in rows:
        panels.append({"type": "row", "title": row, "collapsed": False,
                       "gridPos": {"x": 0, "y": y, "w": 24, "h": 1}, "panels": []})
        y += 1
        for i, member in enumerate(members):
            member["gridPos"] = {"x": (i % 3) * 8, "y": y + (i // 3) * 8, "w": 8, "h": 8}
        panels += members
        y += 8 * ((len(members) + 2) // 3)
    for n, p in enumerate(panels, start=1):
        p["id"] = n
    return {
        "uid": uid, "title": title, "tags": ["lending"], "timezone": "utc",
        "schemaVersion": 39, "version": 1, "refresh": "30s",
        "time": {"from": "now-6h", "to": "now"},
        "templating": {"list": [{"name": "datasource", "type": "datasource",
                                 "query": "prometheus", "label": "Data source"}]},
        "panels": panels,
    }


def platform() -> dict[str, Any]:
    by_service = "{{service}}"
    return dashboard("lending-platform", "Lending platform", [
        ("The loan flow", [
            panel("Applications in (per minute)",
                  {"applications": per_minute("ApplicationSubmitted")}),
            panel("Decisions (per minute)", {"{{type}}": per_minute(
                "LoanApproved|ApplicationDeclined|ApplicationReferred")}),
            panel("Disbursements (per minute)",
                  {"{{type}}": per_minute("Disbursed|DisbursementFailed")}),
            panel("Payments (per minute)", {"{{type}}": per_minute(
                "PaymentReceived|PaymentApplied|PaymentReversed")}),
            panel("Day close duration", {
                "last close": "max(lending_day_close_last_duration_seconds)"}, unit="s"),
            panel("Since the last day close", {
                "age": "time() - max(lending_day_close_last_completed_timestamp_seconds)"},
                unit="s", kind="stat"),
        ]),
        ("Messaging", [
            panel("Consumer lag by service and topic", {
                f"{by_service} {{{{topic}}}}":
                "max by (service, topic) (lending_consumer_lag)"}),
            panel("Outbox backlog by service", {
                by_service: "max by (service) (lending_outbox_pending)"}),
            panel("Oldest unpublished event by service", {
                by_service: "max by (service) (lending_outbox_oldest_age_seconds)"}, unit="s"),
            panel("Dead-letter topics (records)", {
                "{{topic}}": "max by (topic) (lending_dead_letter_topic_records)"}),
            panel("Dead-lettered by service (per minute)", {
                by_service: 'sum by (service) (rate(lending_events_consumed_total'
                            f'{{outcome="dead_lettered"}}{RATE})) * 60'}),
            panel("Broker reachable (1 = yes)", {
                by_service: "min by (service) (lending_kafka_up)"}, kind="stat"),
        ]),
        ("HTTP", [
            panel("5xx error rate by service", {
                by_service: f'sum by (service) (rate(http_requests_total{{status=~"5.."}}{RATE}))'
                            f" / sum by (service) (rate(http_requests_total{RATE}))"},
                unit="percentunit"),
            panel("4xx rate by service", {
                by_service: f'sum by (service) (rate(http_requests_total{{status=~"4.."}}{RATE}))'
                            f" / sum by (service) (rate(http_requests_total{RATE}))"},
                unit="percentunit"),
            panel("Latency percentiles by service", quantiles("", "service"), unit="s"),
        ]),
    ])


def service(name: str) -> dict[str, Any]:
    sel = f'{{service="{name}"}}'

    errors = f'{{service="{name}", status=~"[45].."}}'
    closes = f'{{service="{name}", type="BusinessDayClosed"}}'

    rows: list[tuple[str, list[dict[str, Any]]]] = [
        ("HTTP", [
            panel("Requests by route (per second)", {
                "{{method}} {{route}}": f"sum by (method, route) (rate(http_requests_total{sel}"
                                        f"{RATE}))"}, unit="reqps"),
            panel("Errors by status (per second)", {
                "{{status}}": f"sum by (status) (rate(http_requests_total{errors}{RATE}))"},
                unit="reqps"),
            panel("Latency percentiles by route", quantiles(sel, "route"), unit="s"),
        ]),
        ("Messaging", [
            panel("Events published by type (per minute)", {
                "{{type}}": f"sum by (type) (rate(lending_events_published_total{sel}{RATE}))"
                            " * 60"}),
            panel("Events consumed by topic and outcome (per minute)", {
                "{{topic}} {{outcome}}": "sum by (topic, outcome) "
                f"(rate(lending_events_consumed_total{sel}{RATE})) * 60"}),
            panel("Consumer lag by topic", {
                "{{topic}}": f"max by (topic) (lending_consumer_lag{sel})"}),
            panel("Outbox backlog", {
                "pending": f"max(lending_outbox_pending{sel})",
                "oldest (s)": f"max(lending_outbox_oldest_age_seconds{sel})"}),
            panel("Dead-letter topics (records)", {
                "{{topic}}": f"max by (topic) (lending_dead_letter_topic_records{sel})"}),
            panel("Own backlog by kind", {
                "{{kind}}": f"max by (kind) (lending_backlog{sel})"}),
            panel("Broker reachable (1 = yes)", {
                "{{pod}}": f"min by (pod) (lending_kafka_up{sel})"}, kind="stat"),
        ]),
    ]
    if name == "servicing":
        rows.append(("Day close", [
            panel("Duration of the last close", {
                "seconds": f"max(lending_day_close_last_duration_seconds{sel})"}, unit="s"),
            panel("Since the last close", {
                "age": f"time() - max(lending_day_close_last_completed_timestamp_seconds{sel})"},
                unit="s", kind="stat"),
            panel("Closes (per hour)", {
                "days closed": f"sum(rate(lending_events_published_total{closes}[1h])) * 3600"}),
        ]))
    return dashboard(f"lending-{name}", f"Lending: {name}", rows)


def dashboards() -> dict[str, dict[str, Any]]:
    return {"platform": platform(), **{name: service(name) for name in SERVICES}}


def rendered(board: dict[str, Any]) -> str:
    return json.dumps(board, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> int:
    stale = []
    for name, board in dashboards().items():
        path = OUT / f"{name}.json"
        text = rendered(board)
        if "--check" in argv:
            if not path.exists() or path.read_text() != text:
                stale.append(path.name)
            continue
        OUT.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if stale:
        print(f"stale dashboards: {', '.join(stale)}; run `make dashboards`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
