"""Provisioned Grafana dashboards: well formed, on the provisioned datasources, valid queries."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from tests.unit.infra.grafana_clickhouse import (
    CLICKHOUSE_PLUGIN,
    PanelQuery,
    TimeRange,
    expand_macros,
    load_dashboards,
    panel_queries,
)
from tests.unit.infra.tools import INFRA, require_tool, run_tool

PROVISIONING = INFRA / "grafana" / "provisioning"
RULE_FILES = sorted((INFRA / "prometheus" / "rules").glob("*.yml"))
GRAFANA_VARIABLES = {"$__rate_interval": "1m", "$__interval": "1m", "$__range": "1h"}
# The metric families the services expose (and Prometheus' own `up`).
EXPOSED_METRICS = {
    "up",
    "http_requests_total",
    "http_response_time_seconds_bucket",
    "pulse_events_accepted_total",
    "pulse_events_rejected_total",
    "kafka_produce_latency_seconds_bucket",
    "kafka_produce_errors_total",
    "process_cpu_seconds_total",
    "process_resident_memory_bytes",
    "kafka_consumer_lag",
    "sink_batch_size_bucket",
    "sink_batch_latency_seconds_bucket",
    "sink_rows_written_total",
    "dead_letters_total",
    "llm_calls_total",
    "llm_cost_usd_total",
    "llm_tokens_total",
    "pulse_dau",
    "pulse_disk_used_bytes",
}
PROMQL_WORDS = {
    "by",
    "without",
    "on",
    "ignoring",
    "group_left",
    "group_right",
    "and",
    "or",
    "unless",
    "offset",
    "bool",
    "inf",
    "nan",
}


def datasources() -> dict[str, str]:
    config = yaml.safe_load((PROVISIONING / "datasources" / "pulse.yml").read_text())
    return {ds["uid"]: ds["type"] for ds in config["datasources"]}


def metric_names(expr: str) -> set[str]:
    """Metric names an expression selects (strings, matchers, groupings and ranges removed)."""
    for pattern in (
        r'"[^"]*"',
        r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)",
        r"\{[^}]*\}",
        r"\[[^\]]*\]",
    ):
        expr = re.sub(pattern, " ", expr)
    names = set(re.findall(r"\b[a-zA-Z_:][\w:]*\b(?!\s*\()", expr))
    return names - PROMQL_WORDS


def rule_expressions() -> list[str]:
    return [
        rule["expr"]
        for path in RULE_FILES
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def with_grafana_variables(expr: str) -> str:
    """``expr`` with Grafana's built-in variables set as Grafana sets them before querying."""
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    return expr


def dashboard_promql() -> list[str]:
    return [with_grafana_variables(query.text) for query in panel_queries("prometheus")]


def test_the_three_dashboards_are_provisioned_with_unique_uids() -> None:
    uids = [board["uid"] for board in load_dashboards().values()]
    assert sorted(uids) == ["pulse-learning-analytics", "pulse-pipeline", "pulse-service-health"]


def test_every_panel_uses_a_provisioned_datasource() -> None:
    provisioned = datasources()
    for board in load_dashboards().values():
        for panel in board["panels"]:
            if panel["type"] == "row":
                continue
            for target in panel["targets"]:
                ref = target["datasource"]
                assert provisioned.get(ref["uid"]) == ref["type"], (board["uid"], panel["title"])


def test_panel_ids_are_unique_within_each_dashboard() -> None:
    for board in load_dashboards().values():
        ids = [panel["id"] for panel in board["panels"]]
        assert len(ids) == len(set(ids)), board["uid"]


def test_clickhouse_datasource_reads_with_the_readonly_account_over_http() -> None:
    config = yaml.safe_load((PROVISIONING / "datasources" / "pulse.yml").read_text())
    (clickhouse,) = [d for d in config["datasources"] if d["type"] == CLICKHOUSE_PLUGIN]
    assert clickhouse["jsonData"]["protocol"] == "http"
    assert clickhouse["jsonData"]["port"] == 8123
    assert clickhouse["jsonData"]["username"] == "$CLICKHOUSE_READONLY_USER"
    assert clickhouse["secureJsonData"]["password"] == "$CLICKHOUSE_READONLY_PASSWORD"


def test_dashboard_provider_points_where_compose_mounts_the_dashboards() -> None:
    config = yaml.safe_load((PROVISIONING / "dashboards" / "pulse.yml").read_text())
    compose = yaml.safe_load((INFRA.parent / "docker-compose.yml").read_text())
    mounts = compose["services"]["grafana"]["volumes"]
    (provider,) = config["providers"]
    assert f"./infra/grafana/dashboards:{provider['options']['path']}:ro" in mounts


@pytest.mark.parametrize(
    "query", panel_queries(CLICKHOUSE_PLUGIN), ids=lambda q: f"{q.dashboard}:{q.panel}"
)
def test_clickhouse_panel_uses_only_plugin_macros_and_the_default_database(
    query: PanelQuery,
) -> None:
    end = datetime(2026, 11, 20, tzinfo=UTC)
    expand_macros(query.text, TimeRange(end - timedelta(days=1), end, timedelta(minutes=1)))
    assert not re.search(r"\bpulse\.", query.text), "name tables without a database"


def test_queries_select_only_metrics_the_services_expose() -> None:
    for expr in rule_expressions() + dashboard_promql():
        assert metric_names(expr) <= EXPOSED_METRICS, expr


def test_promtool_accepts_every_promql_expression(tmp_path: Path) -> None:
    promtool = require_tool("promtool")
    exprs = rule_expressions() + dashboard_promql()
    rules = [{"record": f"pulse:dashboard_check_{i}", "expr": e} for i, e in enumerate(exprs)]
    path = tmp_path / "dashboard_exprs.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": rules}]}))
    done = run_tool([promtool, "check", "rules", str(path)])
    assert f"{len(exprs)} rules found" in done.stdout


# Tables whose size is the history, not the answer: the facts and raw events.
HISTORY_TABLES = re.compile(
    r"\b(events|events_store|dau_users|llm_calls|subject_events|assignment_events)\b"
)


def _sql_words(text: str) -> str:
    return " ".join(text.split())


def test_analytics_panels_read_rollups_not_the_history() -> None:
    from clickhouse.rollups import rolling_dau_sql

    # The shared rolling-DAU query looks up by key only the users last seen after "now".
    rolling = _sql_words(rolling_dau_sql("$__toTime"))
    analytics = [
        q for q in panel_queries(CLICKHOUSE_PLUGIN) if q.dashboard == "learning-analytics.json"
    ]
    assert analytics
    for query in analytics:
        text = _sql_words(query.text).replace(rolling, "")
        tables = re.findall(r"\bFROM\s+([A-Za-z_.]+)", text)
        assert not [t for t in tables if HISTORY_TABLES.fullmatch(t)], (query.panel, tables)


def test_active_users_panel_asks_the_shared_rolling_dau_query() -> None:
    from clickhouse.rollups import rolling_dau_sql

    (query,) = [q for q in panel_queries(CLICKHOUSE_PLUGIN) if q.panel.startswith("Active users")]
    assert _sql_words(rolling_dau_sql("$__toTime")) in _sql_words(query.text)
