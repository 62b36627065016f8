"""A worker SIGKILLed mid-stream and restarted: no event lost, none stored twice."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from uuid import uuid4

from clickhouse_connect.driver.client import Client

from tests.integration.stream_processors.conftest import Pipeline, record, scalar, send_records
from tests.polling import eventually

EVENTS = 6000


def test_sigkill_mid_stream_then_restart_loses_nothing_and_duplicates_nothing(
    pipeline: Pipeline,
) -> None:
    now = datetime.now(UTC)
    meta = {"model": "tutor-1", "prompt_tokens": 2, "completion_tokens": 1, "cost_usd": 0.001}
    records = [
        record("llm.call", f"u-{i % 50}", now - timedelta(seconds=i), meta) for i in range(EVENTS)
    ]
    for start in range(0, EVENTS, 1000):
        send_records(pipeline, records[start : start + 1000])
    client = pipeline.client()
    first = pipeline.worker("first").start()
    try:
        eventually(
            lambda: first.alive() and scalar(client, "SELECT count() FROM events_store"),
            lambda n: n > 0,
            timeout=90,
            what="the first batches stored",
        )
        first.process.kill()
    finally:
        first.process.stop()
    stored_at_kill = scalar(client, "SELECT count() FROM events")
    assert stored_at_kill < EVENTS, "the worker finished before it was killed; send more events"

    second = pipeline.worker("second").start()  # same consumer group as the first
    try:
        eventually(
            lambda: second.alive() and scalar(client, "SELECT count() FROM events"),
            lambda n: n >= EVENTS,
            timeout=180,
            what=f"all {EVENTS} events stored",
        )
        assert scalar(client, "SELECT count() FROM events") == EVENTS
        assert scalar(client, "SELECT uniqExact(event_id) FROM events") == EVENTS
        eventually(
            lambda: scalar(client, "SELECT sum(calls) FROM llm_usage_daily"),
            lambda n: n == EVENTS,
            what="every call counted once",
        )
        assert scalar(client, "SELECT count() FROM dau_users FINAL") == len(
            {(r["user_id"], r["timestamp"][:10]) for r in records}
        )
    finally:
        second.process.stop(grace=20)


# Longer than any restart takes here, so flowing again before it proves the restarted worker
# took its partitions back (static membership) rather than waiting the dead session out.
LONG_SESSION = 45.0


def test_a_restarted_worker_takes_its_partitions_back_before_the_dead_session_expires(
    pipeline: Pipeline, record_property: Callable[[str, object], None]
) -> None:
    client = pipeline.client()
    env = {"PULSE_WORKER_SESSION_TIMEOUT": str(LONG_SESSION)}
    first = pipeline.worker("static-first", **env).start()
    tag = f"s-{uuid4().hex[:8]}"
    try:
        send_records(pipeline, [record("user.login", "u-1", session_id=tag)])
        eventually(
            lambda: first.alive() and in_session(client, tag),
            lambda n: n == 1,
            timeout=90,
            what="the first worker storing an event",
        )
        first.process.kill()
    finally:
        first.process.stop()
    send_records(pipeline, [record("user.login", "u-2", session_id=tag)])
    started = time.monotonic()
    second = pipeline.worker("static-second", port=first.port, **env).start()
    try:
        eventually(
            lambda: second.alive() and in_session(client, tag),
            lambda n: n == 2,
            timeout=LONG_SESSION - 5,
            interval=0.1,
            what="the restarted worker storing the event sent while it was down",
        )
        record_property("restart_to_flowing_seconds", round(time.monotonic() - started, 1))
    finally:
        second.process.stop(grace=20)


def in_session(client: Client, session_id: str) -> int:
    return int(
        scalar(client, "SELECT count() FROM events WHERE session_id = {s:String}", s=session_id)
    )
