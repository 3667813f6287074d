"""The metric names the dashboards and alert rules query, read from their PromQL.

Used by the tests that check every such metric is exported by the service's /metrics
(tests/integration/test_metrics_dashboards.py) and that the dashboards are current.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

MONITORING = Path(__file__).resolve().parents[1] / "k8s" / "base" / "monitoring"

_KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right",
    "bool", "offset", "inf", "nan", "atan2",
}
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(
    r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)", re.IGNORECASE)
_NAMES = re.compile(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression: identifiers that are neither functions,
    aggregations, keywords, nor label names (label matchers and groupings are removed
    first)."""
    text = _STRINGS.sub('""', expr)
    text = _MATCHERS.sub(" ", text)
    text = _RANGES.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for match in _NAMES.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


def dashboard_queries(path: Path) -> list[str]:
    board = json.loads(path.read_text())
    return [target["expr"] for panel in board["panels"]
            for target in panel.get("targets", []) if target.get("expr")]


def alert_queries(path: Path = MONITORING / "alerts.yaml") -> list[str]:
    rules = yaml.safe_load(path.read_text())
    return [rule["expr"] for group in rules["spec"]["groups"] for rule in group["rules"]]


def dashboards() -> dict[str, Path]:
    """By name: ``platform`` and one per service."""
    return {p.stem: p for p in sorted((MONITORING / "dashboards").glob("*.json"))}
