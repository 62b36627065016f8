"""Prometheus config and alert rules: valid for promtool, and every alert unit-tested."""

from __future__ import annotations

from pathlib import Path

import yaml

from tests.unit.infra.tools import INFRA, require_tool, run_tool

PROMETHEUS = INFRA / "prometheus"
RULE_FILES = sorted((PROMETHEUS / "rules").glob("*.yml"))
RULE_TESTS = sorted((PROMETHEUS / "tests").glob("*.yml"))
REQUIRED_ALERTS = {
    "PulseHighErrorRate",
    "PulseHighLatencyP95",
    "PulseConsumerLagGrowing",
    "PulseDeadLetters",
    "PulseComponentDown",
}


def alert_names() -> set[str]:
    names: set[str] = set()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            names |= {rule["alert"] for rule in group["rules"] if "alert" in rule}
    return names


def alert_names_under_test() -> set[str]:
    names: set[str] = set()
    for path in RULE_TESTS:
        for case in yaml.safe_load(path.read_text())["tests"]:
            names |= {check["alertname"] for check in case.get("alert_rule_test", [])}
    return names


def test_rules_define_every_required_alert() -> None:
    assert REQUIRED_ALERTS <= alert_names()


def test_every_alert_has_a_unit_test() -> None:
    assert alert_names() <= alert_names_under_test()


def test_every_alert_links_an_existing_runbook_section() -> None:
    runbook = (INFRA.parent / "docs" / "runbook.md").read_text().lower()
    for path in RULE_FILES:
        for group in yaml.safe_load(path.read_text())["groups"]:
            for rule in group["rules"]:
                anchor = rule["annotations"]["runbook"].split("#", 1)[1]
                assert f"## {anchor}" in runbook.replace("`", ""), rule["alert"]


def test_promtool_accepts_the_rules() -> None:
    promtool = require_tool("promtool")
    run_tool([promtool, "check", "rules", *map(str, RULE_FILES)])


def test_promtool_rule_unit_tests_pass() -> None:
    promtool = require_tool("promtool")
    run_tool(
        [promtool, "test", "rules", *(str(p.relative_to(PROMETHEUS)) for p in RULE_TESTS)],
        cwd=PROMETHEUS,
    )


def test_promtool_accepts_the_prometheus_config() -> None:
    promtool = require_tool("promtool")
    run_tool([promtool, "check", "config", "--syntax-only", str(PROMETHEUS / "prometheus.yml")])


def test_prometheus_scrapes_api_replicas_and_workers_by_service_name() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    targets = {
        name: (sd["names"], sd["port"])
        for name, job in jobs.items()
        for sd in job.get("dns_sd_configs", [])
    }
    assert targets["ingest_api"] == (["ingest-api"], 8000)
    assert targets["stream_worker"] == (["stream-worker"], 6066)


def test_rule_files_glob_matches_the_rules_directory() -> None:
    config = yaml.safe_load((PROMETHEUS / "prometheus.yml").read_text())
    matched = {p for pattern in config["rule_files"] for p in PROMETHEUS.glob(pattern)}
    assert matched == set(map(Path, RULE_FILES))
