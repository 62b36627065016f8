"""`pulse replay` against the real broker and ClickHouse, no worker running: the facts and
rollups it writes equal the oracle, a wiped store comes back once, a second replay changes
nothing, and ``--from-offsets`` re-reads only what it names."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import pytest
from typer.testing import CliRunner, Result

from pulse.cli import app
from tests.integration.stream_processors.conftest import (
    Pipeline,
    record,
    scalar,
    send_raw,
    send_records,
)
from tests.oracle import Oracle, assert_all_match, diff_all

FACTS = ("events_store", "dau_users", "llm_calls", "subject_events", "assignment_events")
ROLLUPS = ("dau_rollup", "llm_usage_rollup", "subject_usage_rollup", "assignment_pair_rollup")
LLM = {"model": "tutor-1", "prompt_tokens": 30, "completion_tokens": 12, "cost_usd": 0.0125}


def traffic(users: int = 20) -> list[dict[str, Any]]:
    """Logins, an assignment session and LLM calls per user, over several past days."""
    base = datetime(2026, 10, 1, 9, tzinfo=UTC)
    events = []
    for n in range(users):
        user, day = f"replay-{uuid4().hex[:6]}-{n}", base + timedelta(days=n % 4)
        meta = {"assignment_id": f"hw-{n % 3}", "subject": "math" if n % 2 else "physics"}
        events.append(record("user.login", user, ts=day))
        for step, name in enumerate(("viewed", "heartbeat", "heartbeat", "submitted")):
            ts = day + timedelta(minutes=2 * step + n)
            events.append(record(f"assignment.{name}", user, ts=ts, metadata=meta))
        events.append(record("llm.call", user, ts=day + timedelta(hours=1), metadata=LLM))
    return events


@pytest.fixture(scope="module")
def sent() -> list[dict[str, Any]]:
    """Every event this module put on its topic: a replay since 1h re-reads them all."""
    return []


def publish(pipeline: Pipeline, sent: list[dict[str, Any]], events: list[dict[str, Any]]) -> None:
    send_records(pipeline, events)
    sent.extend(events)


def pulse(pipeline: Pipeline, *args: str) -> Result:
    env = {
        "KAFKA_BOOTSTRAP_SERVERS": pipeline.bootstrap,
        "CLICKHOUSE_URL": pipeline.clickhouse_url,
        "CLICKHOUSE_DATABASE": pipeline.database,
        "PULSE_EVENTS_TOPIC": pipeline.topic,
        "COLUMNS": "200",
    }
    result = CliRunner().invoke(app, list(args), env=env)
    assert result.exit_code == 0, result.output
    return result


def wipe(pipeline: Pipeline, tables: tuple[str, ...] = FACTS + ROLLUPS) -> None:
    client = pipeline.client()
    for table in tables:
        client.command(f"TRUNCATE TABLE {pipeline.database}.{table}")


def check(pipeline: Pipeline, events: list[dict[str, Any]]) -> None:
    client = pipeline.client()
    diffs = diff_all(
        Oracle.from_events(events),
        lambda t: client.query(f"SELECT * FROM {pipeline.database}.{t}").named_results(),
    )
    assert_all_match(diffs)


def stored_rows(pipeline: Pipeline) -> int:
    """Rows of events_store before any merge: a doubled write would show here."""
    return int(scalar(pipeline.client(), f"SELECT count() FROM {pipeline.database}.events_store"))


def test_replay_restores_a_wiped_store_once_and_again_changes_nothing(
    pipeline: Pipeline, sent: list[dict[str, Any]]
) -> None:
    events = traffic()
    publish(pipeline, sent, events)
    send_raw(pipeline, [b"{not json"])

    first = pulse(pipeline, "replay", "--since", "1h").stdout
    assert f"replayed {len(events)} events" in first
    assert "skipped 1 undecodable (not_json)" in first
    check(pipeline, events)

    wipe(pipeline)  # a restore from an old backup, say: facts and rollups gone
    assert stored_rows(pipeline) == 0
    pulse(pipeline, "replay", "--since", "1h")
    check(pipeline, events)
    pulse(pipeline, "replay", "--since", "1h")
    check(pipeline, events)
    client = pipeline.client()
    ids = f"SELECT uniqExact(event_id) FROM {pipeline.database}.events_store FINAL"
    assert int(scalar(client, ids)) == len(events)


def test_rollups_alone_are_rebuilt_from_the_replayed_facts(
    pipeline: Pipeline, sent: list[dict[str, Any]]
) -> None:
    wipe(pipeline)
    publish(pipeline, sent, traffic(6))
    pulse(pipeline, "replay", "--since", "1h")
    wipe(pipeline, ROLLUPS)  # a new or broken rollup: facts kept
    pulse(pipeline, "replay", "--since", "1h")
    check(pipeline, sent)


def test_from_offsets_rereads_only_the_named_partition(
    pipeline: Pipeline, sent: list[dict[str, Any]]
) -> None:
    wipe(pipeline)
    publish(pipeline, sent, traffic(12))
    pulse(pipeline, "replay", "--from-offsets", "0:0")
    client = pipeline.client()
    db = pipeline.database
    partitions = client.query(f"SELECT DISTINCT kafka_partition FROM {db}.events_store")
    assert [row[0] for row in partitions.result_rows] == [0]
    assert 0 < stored_rows(pipeline) < len(sent)


def test_dry_run_writes_nothing(pipeline: Pipeline, sent: list[dict[str, Any]]) -> None:
    wipe(pipeline)
    publish(pipeline, sent, traffic(2))
    out = pulse(pipeline, "replay", "--since", "1h", "--dry-run").stdout
    assert "would re-read" in out
    assert stored_rows(pipeline) == 0


def test_since_and_from_offsets_together_is_a_usage_error(pipeline: Pipeline) -> None:
    result = CliRunner().invoke(app, ["replay", "--since", "1h", "--from-offsets", "0:0"])
    assert result.exit_code == 2
    assert "exactly one of" in result.output
