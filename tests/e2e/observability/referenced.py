"""Metric names used by the Grafana dashboards and the Prometheus alert rules."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

KEYWORDS = {
    "and",
    "or",
    "unless",
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "offset",
    "bool",
    "inf",
    "nan",
}
# Parts of an expression that hold no metric name: strings, selectors, ranges, grouping lists.
NOT_NAMES = re.compile(
    r'"(?:[^"\\]|\\.)*"|\{[^}]*\}|\[[^\]]*\]|\b(?:by|without|on|ignoring|group_left|group_right)'
    r"\s*\([^)]*\)"
)
IDENTIFIER = re.compile(r"(?<![\w$.])([a-zA-Z_:][a-zA-Z0-9_:]*)\b(?!\s*\()")


def metric_names(expr: str) -> set[str]:
    """Names of the series ``expr`` selects (functions, keywords and labels left out)."""
    bare = NOT_NAMES.sub(" ", expr)
    return {name for name in IDENTIFIER.findall(bare) if name.lower() not in KEYWORDS}


def dashboard_exprs(dashboard: Any) -> Iterator[str]:
    """Every ``expr`` of a Grafana dashboard's panels, however deeply nested."""
    if isinstance(dashboard, dict):
        for key, value in dashboard.items():
            if key == "expr" and isinstance(value, str):
                yield value
            else:
                yield from dashboard_exprs(value)
    elif isinstance(dashboard, list):
        for item in dashboard:
            yield from dashboard_exprs(item)


def rule_exprs(rules: dict[str, Any]) -> Iterator[str]:
    for group in rules["groups"]:
        for rule in group["rules"]:
            yield rule["expr"]


def referenced_metrics(repo: Path) -> dict[str, set[str]]:
    """``metric -> files`` over infra/grafana/dashboards/*.json and infra/prometheus/rules/*.yml."""
    users: dict[str, set[str]] = {}
    sources: list[tuple[Path, Iterator[str]]] = [
        (path, dashboard_exprs(json.loads(path.read_text())))
        for path in sorted((repo / "infra" / "grafana" / "dashboards").glob("*.json"))
    ] + [
        (path, rule_exprs(yaml.safe_load(path.read_text())))
        for path in sorted((repo / "infra" / "prometheus" / "rules").glob("*.yml"))
    ]
    for path, exprs in sources:
        for expr in exprs:
            for name in metric_names(expr):
                users.setdefault(name, set()).add(path.name)
    return users
