"""Two workers in one consumer group on 12 partitions: both hold partitions, and together they
store every event once and every contract view exactly (resent events included)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from clickhouse_connect.driver.client import Client

from tests.integration.stream_processors.conftest import (
    Pipeline,
    new_pipeline,
    record,
    scalar,
    send_records,
)
from tests.polling import eventually
from tests.stack import ClickHouseEndpoint

PARTITIONS = 12
USERS = 60
EVENTS = 3000


async def _members(bootstrap: str, group: str) -> tuple[str, int]:
    """The consumer group's state and member count (("", 0) before anyone joined)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        await admin.start()
        (response,) = await admin.describe_consumer_groups([group])
    except KafkaError:
        return "", 0
    finally:
        await admin.close()
    _error, _id, state, _type, _protocol, members, *_ = response.groups[0]
    return str(state), len(members)


@pytest.fixture(scope="module")
def wide_pipeline(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Pipeline:
    """Like ``pipeline``, with a 12-partition topic."""
    return new_pipeline(kafka_bootstrap, clickhouse_endpoint, tmp_path_factory, PARTITIONS)


def _records() -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    out = []
    for i in range(EVENTS):
        user, ts = f"student-{i % USERS}", now - timedelta(hours=i % 72, seconds=i)
        if i % 3 == 0:
            meta: dict[str, Any] = {
                "assignment_id": f"hw-{i % 7}",
                "subject": ("math", "art")[i % 2],
            }
            out.append(record("assignment.viewed", user, ts, meta))
        elif i % 3 == 1:
            meta = {
                "model": "tutor-1",
                "prompt_tokens": 3,
                "completion_tokens": 2,
                "cost_usd": 0.01,
            }
            out.append(record("llm.call", user, ts, meta))
        else:
            out.append(record("user.login", user, ts, {"role": "student"}))
    return out


def _oracle(records: list[dict[str, Any]]) -> dict[str, Any]:
    users_by_day: dict[str, set[str]] = {}
    for r in records:
        users_by_day.setdefault(r["timestamp"][:10], set()).add(r["user_id"])
    assignments = [r for r in records if r["event"].startswith("assignment.")]
    return {
        "dau": sorted((day, len(users)) for day, users in users_by_day.items()),
        "llm_calls": sum(1 for r in records if r["event"] == "llm.call"),
        "pairs": len({(r["user_id"], r["metadata"]["assignment_id"]) for r in assignments}),
        "subject_events": len(assignments),
        "duplicate_keys": 0,
    }


def _figures(client: Client) -> dict[str, Any]:
    dau = client.query("SELECT toString(day), dau FROM dau ORDER BY day").result_rows
    return {
        "dau": [tuple(row) for row in dau],
        "llm_calls": scalar(client, "SELECT sum(calls) FROM llm_usage_daily"),
        "pairs": scalar(client, "SELECT count() FROM assignment_time"),
        "subject_events": scalar(client, "SELECT sum(events) FROM subject_usage_daily"),
        "duplicate_keys": scalar(
            client,
            "SELECT (SELECT count() - uniqExact(day, user_id, model) FROM llm_usage_daily)"
            " + (SELECT count() - uniqExact(user_id, assignment_id) FROM assignment_time)"
            " + (SELECT count() - uniqExact(day) FROM dau)",
        ),
    }


def test_two_workers_share_twelve_partitions_and_stay_exact(wide_pipeline: Pipeline) -> None:
    p = wide_pipeline
    workers = [p.worker(f"w{i}", PULSE_EVENTS_PARTITIONS=str(PARTITIONS)).start() for i in (1, 2)]
    client = p.client()
    try:
        eventually(
            lambda: (
                all(w.alive() for w in workers) and asyncio.run(_members(p.bootstrap, p.app_id))
            ),
            lambda found: found == ("Stable", 2),
            timeout=120,
            what="one group with both workers in it",
        )
        records = _records()
        send_records(p, records)
        send_records(p, records[::10])  # resent: the same event ids, stored once
        eventually(
            lambda: (
                all(w.alive() for w in workers) and scalar(client, "SELECT count() FROM events")
            ),
            lambda n: n >= EVENTS,
            timeout=180,
            what=f"all {EVENTS} events stored",
        )
        assert scalar(client, "SELECT count() FROM events") == EVENTS
        assert scalar(client, "SELECT uniqExact(kafka_partition) FROM events_store") == PARTITIONS
        expected = _oracle(records)
        eventually(
            lambda: _figures(client),
            lambda found: found == expected,
            timeout=90,
            what=f"the views equal to the oracle {expected}",
        )
        assert asyncio.run(_members(p.bootstrap, p.app_id)) == ("Stable", 2)
    finally:
        for w in workers:
            w.process.stop(grace=20)
        client.close()
