"""A worker SIGKILLed mid-stream and restarted: no event lost, none stored twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

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
