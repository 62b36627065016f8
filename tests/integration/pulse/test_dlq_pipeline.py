"""`pulse dlq replay` end to end: replayed dead letters reach ClickHouse through the worker,
once each, even when replay runs twice and an event was already stored."""

from __future__ import annotations

from uuid import uuid4

import orjson

from tests.integration.pulse.test_dlq import Topics, pulse, put_dead_letters, read_all
from tests.integration.stream_processors.conftest import (
    Pipeline,
    Worker,
    record,
    scalar,
    send_records,
)
from tests.polling import eventually


def stored(pipeline: Pipeline, event_id: str) -> int:
    return int(
        scalar(
            pipeline.client(), "SELECT count() FROM events WHERE event_id = {id:UUID}", id=event_id
        )
    )


def test_replayed_events_land_once_in_clickhouse(pipeline: Pipeline, worker: Worker) -> None:
    user = f"u-{uuid4().hex[:8]}"
    kept = record("user.login", user)
    send_records(pipeline, [kept])
    eventually(
        lambda: worker.alive() and stored(pipeline, kept["event_id"]),
        lambda n: n == 1,
        timeout=90,
        what="first event stored",
    )
    refused = record("assignment.viewed", user, metadata={"assignment_id": "a1", "subject": "m"})
    still_bad = record("assignment.viewed", user, metadata={"subject": "m"})
    put_dead_letters(
        pipeline.bootstrap,
        pipeline.dlq_topic,
        [
            (orjson.dumps(kept), "clickhouse_rejected", "Code: 241. MEMORY_LIMIT_EXCEEDED"),
            (orjson.dumps(refused), "clickhouse_rejected", "Code: 241. MEMORY_LIMIT_EXCEEDED"),
            (orjson.dumps(still_bad), "invalid_record", "metadata.assignment_id: field required"),
        ],
        key=user.encode(),
    )
    topics = Topics(pipeline.bootstrap, pipeline.topic, pipeline.dlq_topic)

    first = pulse(topics, "dlq", "replay").stdout
    second = pulse(topics, "dlq", "replay").stdout
    assert "replayed 2" in first and "1 still invalid" in first
    assert "replayed 0" in second and "2 replayed before" in second

    last = record("user.logout", user)  # same key, same partition: stored after the replays
    send_records(pipeline, [last])
    eventually(
        lambda: worker.alive() and stored(pipeline, last["event_id"]),
        lambda n: n == 1,
        timeout=90,
        what="event after the replays stored",
    )
    assert stored(pipeline, refused["event_id"]) == 1
    assert stored(pipeline, kept["event_id"]) == 1  # re-sent, stored once: same event_id
    assert stored(pipeline, still_bad["event_id"]) == 0
    assert len(read_all(pipeline.bootstrap, pipeline.dlq_topic)) == 3  # nothing new failed
