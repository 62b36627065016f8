"""Alertmanager routes to Slack and e-mail and keeps its secrets in files."""

from __future__ import annotations

from typing import Any

import yaml

from tests.unit.infra.tools import INFRA, require_tool, run_tool

CONFIG = INFRA / "alertmanager" / "alertmanager.yml"


def load() -> dict[str, Any]:
    return yaml.safe_load(CONFIG.read_text())


def test_amtool_accepts_the_config() -> None:
    amtool = require_tool("amtool")
    run_tool([amtool, "check-config", str(CONFIG)])


def test_critical_alerts_go_to_slack_and_email() -> None:
    amtool = require_tool("amtool")
    done = run_tool(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={CONFIG}",
            "severity=critical",
            "alertname=PulseComponentDown",
        ]
    )
    assert done.stdout.strip() == "slack-and-email"


def test_warnings_go_to_slack() -> None:
    amtool = require_tool("amtool")
    done = run_tool(
        [
            amtool,
            "config",
            "routes",
            "test",
            f"--config.file={CONFIG}",
            "severity=warning",
            "alertname=PulseDeadLetters",
        ]
    )
    assert done.stdout.strip() == "slack"


def test_secrets_are_read_from_files_not_written_inline() -> None:
    config = load()
    assert config["global"]["slack_api_url_file"].startswith("/run/secrets/")
    assert config["global"]["smtp_auth_password_file"].startswith("/run/secrets/")
    text = CONFIG.read_text()
    assert "hooks.slack.com" not in text
    assert "smtp_auth_password:" not in text


def test_every_receiver_notifies_slack_and_the_critical_one_emails() -> None:
    receivers = {r["name"]: r for r in load()["receivers"]}
    assert all(r.get("slack_configs") for r in receivers.values())
    assert receivers["slack-and-email"]["email_configs"]
