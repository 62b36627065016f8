"""Rows ClickHouse refuses for good never stall the worker: they are dead-lettered, the rest stored.

Records are published straight to Kafka (as a producer bypassing the API could), so the worker
meets what the API would never let through. The module's database keeps events for 20000
days, so that historical months are not expired by the tables' TTL while the test reads them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime
from uuid import uuid4

import orjson
import pytest
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from tests.integration.stream_processors.conftest import (
    Pipeline,
    Worker,
    new_pipeline,
    record,
    scalar,
    send_records,
)
from tests.polling import eventually
from tests.stack import ClickHouseEndpoint

RETENTION_DAYS = 20000
# The module narrows llm_calls.prompt_token_count to UInt32: a call with more tokens than that
# passes the schema but is refused by ClickHouse's column type for good, whatever the schema
# rejects by itself in future.
TOO_MANY_TOKENS = 5_000_000_000


@pytest.fixture(scope="module")
def pipeline(
    kafka_bootstrap: str,
    clickhouse_endpoint: ClickHouseEndpoint,
    tmp_path_factory: pytest.TempPathFactory,
) -> Pipeline:
    p = new_pipeline(
        kafka_bootstrap, clickhouse_endpoint, tmp_path_factory, retention_days=RETENTION_DAYS
    )
    p.client().command("ALTER TABLE llm_calls MODIFY COLUMN prompt_token_count UInt32")
    return p


@pytest.fixture(scope="module")
def worker(pipeline: Pipeline) -> Iterator[Worker]:
    w = pipeline.worker().start()
    yield w
    w.process.stop(grace=20)


async def _dead_letter_of(pipeline: Pipeline, event_id: str) -> ConsumerRecord:
    consumer = AIOKafkaConsumer(
        pipeline.dlq_topic,
        bootstrap_servers=pipeline.bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        async with asyncio.timeout(90):
            while True:
                batches = await consumer.getmany(timeout_ms=1000)
                for message in (m for messages in batches.values() for m in messages):
                    if orjson.loads(message.value).get("event_id") == event_id:
                        return message
    finally:
        await consumer.stop()


def dead_letter_of(pipeline: Pipeline, event_id: str) -> dict[str, bytes]:
    """The headers of the dead letter of ``event_id`` (fails after 90 s without one)."""
    return dict(asyncio.run(_dead_letter_of(pipeline, event_id)).headers)


def dead_letters(pipeline: Pipeline) -> list[ConsumerRecord]:
    """Every dead letter of the module so far."""

    async def read() -> list[ConsumerRecord]:
        consumer = AIOKafkaConsumer(
            pipeline.dlq_topic,
            bootstrap_servers=pipeline.bootstrap,
            auto_offset_reset="earliest",
            group_id=None,
        )
        await consumer.start()
        try:
            batches = await consumer.getmany(timeout_ms=3000)
            return [m for messages in batches.values() for m in messages]
        finally:
            await consumer.stop()

    return asyncio.run(read())


def stored(pipeline: Pipeline, table: str, event_id: str) -> int:
    return int(
        scalar(
            pipeline.client(),
            f"SELECT count() FROM {table} WHERE event_id = {{id:UUID}}",  # nosec B608
            id=event_id,
        )
    )


def wait_stored(pipeline: Pipeline, worker: Worker, event_id: str) -> None:
    eventually(
        lambda: worker.alive() and stored(pipeline, "events", event_id),
        lambda n: n == 1,
        timeout=90,
        what=f"event {event_id} stored (worker log: {worker.process.log_file})",
    )


def metric(worker: Worker, line_start: str) -> float:
    for line in worker.get("/metrics").text.splitlines():
        if line.startswith(line_start):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_row_clickhouse_refuses_is_dead_lettered_and_the_next_event_is_stored(
    pipeline: Pipeline, worker: Worker
) -> None:
    user = f"u-{uuid4().hex[:8]}"
    call = {"model": "tutor-1", "completion_tokens": 1, "cost_usd": 0.5}
    refused = record("llm.call", user, metadata={**call, "prompt_tokens": TOO_MANY_TOKENS})
    fine_call = record("llm.call", user, metadata={**call, "prompt_tokens": 7})
    ordinary = record("user.login", user)
    send_records(pipeline, [refused, fine_call, ordinary])

    wait_stored(pipeline, worker, ordinary["event_id"])
    headers = dead_letter_of(pipeline, refused["event_id"])
    assert headers["reason"] == b"clickhouse_rejected"
    assert b"llm_calls" in headers["error"] and b"prompt_token_count" in headers["error"]
    assert headers["source_topic"] == pipeline.topic.encode()
    assert headers["request_id"] == refused["request_id"].encode()
    assert stored(pipeline, "llm_calls", fine_call["event_id"]) == 1
    assert stored(pipeline, "llm_calls", refused["event_id"]) == 0
    # Its other rows were fine and are kept; a replay of the letter collapses onto them.
    assert stored(pipeline, "events", refused["event_id"]) == 1
    eventually(
        lambda: metric(worker, 'dead_letters_total{reason="clickhouse_rejected"}'),
        lambda n: n >= 1,
        what="dead-letter counter",
    )
    assert metric(worker, 'sink_rows_rejected_total{table="llm_calls"}') >= 1


def test_a_record_before_1970_is_dead_lettered_and_the_next_event_is_stored(
    pipeline: Pipeline, worker: Worker
) -> None:
    user = f"u-{uuid4().hex[:8]}"
    before_epoch = record("user.login", user, ts=datetime(1969, 12, 31, 23, tzinfo=UTC))
    ordinary = record("user.login", user)
    send_records(pipeline, [before_epoch, ordinary])

    wait_stored(pipeline, worker, ordinary["event_id"])
    headers = dead_letter_of(pipeline, before_epoch["event_id"])
    # Refused by the schema (invalid_record) or, were the schema to let it pass, by ClickHouse's
    # Date column (clickhouse_rejected); either way a dead letter, never a stalled worker.
    assert headers["reason"] in (b"invalid_record", b"clickhouse_rejected")


def test_a_batch_spanning_150_months_is_stored_whole(pipeline: Pipeline, worker: Worker) -> None:
    user = f"u-{uuid4().hex[:8]}"
    meta = {"model": "tutor-1", "prompt_tokens": 3, "completion_tokens": 1, "cost_usd": 0.25}
    months = [datetime(2014 + m // 12, m % 12 + 1, 10, 12, tzinfo=UTC) for m in range(150)]
    history = [record("llm.call", user, ts=ts, metadata=meta) for ts in months]
    send_records(pipeline, history)

    client = pipeline.client()
    eventually(
        lambda: (
            worker.alive()
            and scalar(client, "SELECT count() FROM events WHERE user_id = {u:String}", u=user)
        ),
        lambda n: n == 150,
        timeout=90,
        what="150 historical events stored",
    )
    assert (
        scalar(
            client, "SELECT uniqExact(toYYYYMM(ts)) FROM events WHERE user_id = {u:String}", u=user
        )
        == 150
    )
    assert (
        scalar(client, "SELECT count() FROM dau_users FINAL WHERE user_id = {u:String}", u=user)
        == 150
    )
    # The monthly-partitioned LLM rollup is recomputed for all 150 months too.
    eventually(
        lambda: scalar(
            client, "SELECT count() FROM llm_usage_daily WHERE user_id = {u:String}", u=user
        ),
        lambda n: n == 150,
        timeout=60,
        what="150 days of LLM usage",
    )
    ids = {r["event_id"] for r in history}
    assert not [m for m in dead_letters(pipeline) if orjson.loads(m.value).get("event_id") in ids]
