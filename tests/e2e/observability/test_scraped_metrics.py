"""A real Prometheus scrapes the ingest API and the stream worker while known traffic flows; what
it stores is what the dashboards and alerts will read."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import yaml

from ingest_api.metrics import HTTP_BUCKETS
from tests.e2e.observability.conftest import ALERT_RULES, LLM, REPO_ROOT, VALID
from tests.e2e.observability.prometheus import PrometheusServer
from tests.e2e.observability.referenced import referenced_metrics
from tests.e2e.observability.traffic import Traffic
from tests.polling import eventually

JOBS = {"ingest_api", "stream_worker"}
DEADLINE = 30.0
# Labels whose values come from a fixed set in code; anything else would be unbounded.
MAX_VALUES_PER_LABEL = 20


def by_label(values: dict[tuple[tuple[str, str], ...], float], label: str) -> dict[str, float]:
    return {dict(key)[label]: value for key, value in values.items()}


def wait_for(prom: PrometheusServer, expr: str, until: Any, what: str) -> Any:
    return eventually(lambda: prom.values(expr), until, timeout=DEADLINE, what=what)


def test_prometheus_sees_both_components_up(prometheus: PrometheusServer, traffic: Traffic) -> None:
    up = wait_for(prometheus, "up", lambda v: len(v) == 2, "both targets scraped")
    assert by_label(up, "job") == {"ingest_api": 1.0, "stream_worker": 1.0}


def test_accepted_and_rejected_events_are_counted_exactly(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    totals = "sum(pulse_events_accepted_total) or vector(0)"
    wait_for(prometheus, totals, lambda v: VALID in v.values(), "accepted events counted")
    assert prometheus.scalar("sum(pulse_events_rejected_total)") == traffic.rejected
    accepted = by_label(prometheus.values("sum by (event) (pulse_events_accepted_total)"), "event")
    assert accepted["llm.call"] == LLM
    assert accepted["custom"] == len(traffic.custom_names)  # every custom name in one series
    assert sum(accepted.values()) == VALID


def test_event_posts_are_counted_by_route_template_and_status(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    expr = 'sum(http_requests_total{job="ingest_api",route="/v1/events",status="202"})'
    posts = wait_for(
        prometheus, expr, lambda v: traffic.requests in v.values(), "every POST counted"
    )
    assert list(posts.values()) == [traffic.requests]


def test_latency_histograms_have_every_bucket(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    events = 'http_response_time_seconds_bucket{route="/v1/events",method="POST"}'
    buckets = wait_for(
        prometheus, events, lambda v: len(v) == len(HTTP_BUCKETS) + 1, "HTTP latency buckets"
    )
    assert by_label(buckets, "le")["+Inf"] == traffic.requests
    for histogram in (
        "kafka_produce_latency_seconds_bucket",
        'sink_batch_size_bucket{table="events_store"}',
        'sink_batch_latency_seconds_bucket{table="events_store"}',
    ):
        p95 = wait_for(
            prometheus,
            f"histogram_quantile(0.95, sum by (le) ({histogram}))",
            lambda v: bool(v) and not math.isnan(next(iter(v.values()))),
            f"p95 of {histogram}",
        )
        assert next(iter(p95.values())) > 0


def test_llm_calls_and_cost_per_model_equal_what_was_sent(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    calls = wait_for(
        prometheus,
        "sum by (model) (llm_calls_total)",
        lambda v: by_label(v, "model") == dict(traffic.llm_calls),
        "llm.call events counted",
    )
    assert sum(calls.values()) == LLM
    cost = by_label(prometheus.values("sum by (model) (llm_cost_usd_total)"), "model")
    assert cost.keys() == traffic.llm_cost.keys()
    for model, usd in traffic.llm_cost.items():
        assert abs(cost[model] - usd) <= 1e-9, model


def test_sink_rows_cover_every_accepted_event(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    expr = 'sum(sink_rows_written_total{table="events_store"})'
    wait_for(prometheus, expr, lambda v: any(x >= VALID for x in v.values()), "rows written")


def test_disk_usage_of_kafka_and_clickhouse_is_reported(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    used = wait_for(
        prometheus,
        'pulse_disk_used_bytes{job="stream_worker"}',
        lambda v: len(v) == 2,
        "disk usage of both components",
    )
    components = by_label(used, "component")
    assert components.keys() == {"kafka", "clickhouse"}
    assert all(value > 0 for value in components.values()), components


def test_process_cpu_and_memory_are_reported_for_both_jobs(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    for metric in ("process_cpu_seconds_total", "process_resident_memory_bytes"):
        values = wait_for(prometheus, metric, lambda v: len(v) == 2, metric)
        per_job = by_label(values, "job")
        assert per_job.keys() == JOBS
        assert all(value > 0 for value in per_job.values()), (metric, per_job)


def test_an_undecodable_message_is_counted_and_fires_the_dead_letter_alert(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    dead = wait_for(prometheus, "dead_letters_total", lambda v: bool(v), "the dead letter counted")
    assert {k: v for k, v in by_label(dead, "reason").items() if v} == {"not_json": 1.0}
    wait_for(
        prometheus,
        'ALERTS{alertname="PulseDeadLetters",alertstate="firing"}',
        lambda v: bool(v),
        "PulseDeadLetters firing",
    )


def test_alert_rules_evaluate_without_errors_and_no_other_alert_fires(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    groups = eventually(
        lambda: prometheus.api("rules")["groups"],
        lambda g: (
            bool(g)
            and all(
                r.get("lastEvaluation", "").startswith("2") and r["health"] != "unknown"
                for group in g
                for r in group["rules"]
            )
        ),
        timeout=DEADLINE,
        what="every rule evaluated",
    )
    rules = [rule for group in groups for rule in group["rules"]]
    written = yaml.safe_load(ALERT_RULES.read_text())["groups"]
    assert len(rules) == sum(len(group["rules"]) for group in written)
    assert [(r["name"], r.get("lastError")) for r in rules if r["health"] != "ok"] == []
    # A rule evaluated before a target's first scrape sees no `up` and makes PulseComponentMissing
    # pending; the next evaluation after the scrape clears it. What must hold is the settled set.
    firing = eventually(
        lambda: {a["labels"]["alertname"] for a in prometheus.api("alerts")["alerts"]},
        lambda names: names <= {"PulseDeadLetters"},
        timeout=DEADLINE,
        what="only PulseDeadLetters active once every target is scraped",
    )
    assert firing <= {"PulseDeadLetters"}


def test_no_label_carries_unbounded_values(prometheus: PrometheusServer, traffic: Traffic) -> None:
    wait_for(
        prometheus,
        'sum(sink_rows_written_total{table="events_store"})',
        lambda v: any(x >= VALID for x in v.values()),
        "traffic processed",
    )
    series = prometheus.api("series", **{"match[]": '{job=~"ingest_api|stream_worker"}'})
    values: dict[tuple[str, str], set[str]] = defaultdict(set)
    for labels in series:
        for label, value in labels.items():
            if label not in {"__name__", "le"}:
                values[(labels["__name__"], label)].add(value)
    leaked = traffic.user_ids | traffic.event_ids | traffic.custom_names
    every_value = set().union(*values.values())
    assert [v for v in every_value if any(secret in v for secret in leaked)] == []
    routes = values[("http_requests_total", "route")]
    assert "/v1/users/{user_id}/summary" in routes
    assert all(route.startswith("/") or route == "unmatched" for route in routes), routes
    crowded = {key: len(v) for key, v in values.items() if len(v) > MAX_VALUES_PER_LABEL}
    assert crowded == {}


def test_every_metric_the_dashboards_and_alerts_use_is_exposed(
    prometheus: PrometheusServer, traffic: Traffic
) -> None:
    used = referenced_metrics(REPO_ROOT)
    assert len(used) >= 15  # the parse found the panels and rules

    def missing() -> dict[str, set[str]]:
        names = set(prometheus.api("label/__name__/values"))
        return {name: files for name, files in used.items() if name not in names}

    eventually(missing, lambda m: m == {}, timeout=DEADLINE, what="every referenced metric")
