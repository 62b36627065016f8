"""The worker between a real broker and the ClickHouse endpoint: events land once each."""

from __future__ import annotations

import asyncio
from uuid import uuid4

import orjson
from aiokafka import AIOKafkaConsumer, ConsumerRecord

from tests.integration.stream_processors.conftest import (
    Pipeline,
    Worker,
    record,
    scalar,
    send_raw,
    send_records,
)
from tests.polling import eventually


def stored(pipeline: Pipeline, event_id: str) -> int:
    """Rows of ``events`` with this id."""
    return int(
        scalar(
            pipeline.client(), "SELECT count() FROM events WHERE event_id = {id:UUID}", id=event_id
        )
    )


def stored_in_session(pipeline: Pipeline, session_id: str) -> int:
    """Rows of ``events`` sent with this session id (each test uses its own)."""
    return int(
        scalar(
            pipeline.client(),
            "SELECT count() FROM events WHERE session_id = {s:String}",
            s=session_id,
        )
    )


def wait_stored(pipeline: Pipeline, session_id: str, count: int, worker: Worker) -> None:
    eventually(
        lambda: worker.alive() and stored_in_session(pipeline, session_id),
        lambda n: n >= count,
        timeout=90,
        what=f"{count} events stored (worker log: {worker.process.log_file})",
    )


def session() -> str:
    return f"s-{uuid4().hex[:12]}"


def test_each_event_lands_once_in_every_table(pipeline: Pipeline, worker: Worker) -> None:
    user = f"u-{uuid4().hex[:8]}"
    llm = {"model": "tutor-1", "prompt_tokens": 7, "completion_tokens": 3, "cost_usd": 0.125}
    tag = session()
    records = [record("user.login", user, session_id=tag) for _ in range(150)]
    records += [record("llm.call", user, metadata=llm, session_id=tag) for _ in range(50)]
    send_records(pipeline, records)
    wait_stored(pipeline, tag, 200, worker)
    client = pipeline.client()
    assert stored_in_session(pipeline, tag) == 200
    ids = client.query(
        "SELECT event_id FROM events WHERE session_id = {s:String}", parameters={"s": tag}
    ).result_columns[0]
    assert sorted(map(str, ids)) == sorted(r["event_id"] for r in records)
    assert (
        scalar(client, "SELECT count() FROM events_store FINAL WHERE user_id = {u:String}", u=user)
        == 200
    )
    eventually(
        lambda: (
            client.query(
                "SELECT calls, prompt_tokens, completion_tokens, cost_usd FROM llm_usage_daily "
                "WHERE user_id = {u:String}",
                parameters={"u": user},
            ).result_rows
        ),
        lambda rows: rows == [(50, 350, 150, 6.25)],
        what="llm usage of 50 calls",
    )


def test_event_sent_twice_in_different_batches_is_stored_once(
    pipeline: Pipeline, worker: Worker
) -> None:
    user = f"u-{uuid4().hex[:8]}"
    meta = {"model": "tutor-1", "prompt_tokens": 1, "completion_tokens": 1, "cost_usd": 0.5}
    tag = session()
    twice = record("llm.call", user, metadata=meta, session_id=tag)
    send_records(pipeline, [twice])
    wait_stored(pipeline, tag, 1, worker)
    marker = record("user.login", user, session_id=tag)
    send_records(pipeline, [twice, marker])
    eventually(lambda: stored(pipeline, marker["event_id"]), lambda n: n == 1, what="marker stored")
    client = pipeline.client()
    eventually(
        lambda: (
            client.query(
                "SELECT calls FROM llm_usage_daily WHERE user_id = {u:String}",
                parameters={"u": user},
            ).result_rows
        ),
        lambda rows: rows == [(1,)],
        what="one llm call",
    )
    assert stored(pipeline, twice["event_id"]) == 1
    assert scalar(client, "SELECT dau FROM dau WHERE day = today()") >= 1


async def _dead_letters(pipeline: Pipeline, count: int) -> list[ConsumerRecord]:
    consumer = AIOKafkaConsumer(
        pipeline.dlq_topic,
        bootstrap_servers=pipeline.bootstrap,
        auto_offset_reset="earliest",
        group_id=None,
    )
    await consumer.start()
    try:
        found: list[ConsumerRecord] = []
        async with asyncio.timeout(90):
            while len(found) < count:
                batches = await consumer.getmany(timeout_ms=1000)
                found += [m for messages in batches.values() for m in messages]
        return found
    finally:
        await consumer.stop()


def test_poison_messages_go_to_the_dlq_with_the_error_and_later_events_still_land(
    pipeline: Pipeline, worker: Worker
) -> None:
    bad_version = orjson.dumps({**record(), "v": 2})
    no_user = orjson.dumps({k: v for k, v in record().items() if k != "user_id"})
    send_raw(pipeline, [b"{not json", bad_version, no_user])
    tag = session()
    send_records(pipeline, [record("user.login", f"u-{uuid4().hex[:8]}", session_id=tag)])
    wait_stored(pipeline, tag, 1, worker)
    letters = asyncio.run(_dead_letters(pipeline, 3))
    headers = [dict(m.headers) for m in letters]
    assert [h["reason"] for h in headers] == [b"not_json", b"schema_version", b"invalid_record"]
    assert all(h["error"] for h in headers)
    assert b"user_id" in headers[2]["error"]
    assert [m.value for m in letters][0] == b"{not json"
    assert "dead-lettered" in worker.log() and "req-0" in worker.log()


def test_events_of_an_aborted_transaction_are_never_stored(
    pipeline: Pipeline, worker: Worker
) -> None:
    tag = session()
    aborted = record("user.login", f"u-{uuid4().hex[:8]}", session_id=tag)
    send_records(pipeline, [aborted], abort=True)
    committed = record("user.login", f"u-{uuid4().hex[:8]}", session_id=tag)
    send_records(pipeline, [committed])
    eventually(
        lambda: stored(pipeline, committed["event_id"]),
        lambda n: n == 1,
        what="committed event stored",
    )
    assert stored(pipeline, aborted["event_id"]) == 0
    assert stored_in_session(pipeline, tag) == 1


def test_worker_serves_prometheus_metrics_and_rolling_dau(
    pipeline: Pipeline, worker: Worker
) -> None:
    user = f"u-{uuid4().hex[:8]}"
    meta = {"model": "tutor-2", "prompt_tokens": 4, "completion_tokens": 2, "cost_usd": 0.01}
    tag = session()
    send_records(pipeline, [record("llm.call", user, metadata=meta, session_id=tag)])
    wait_stored(pipeline, tag, 1, worker)
    text = eventually(
        lambda: worker.get("/metrics").text,
        lambda t: 'llm_calls_total{model="tutor-2"}' in t,
        what="llm counter exported",
    )
    for name in (
        "llm_cost_usd_total",
        "llm_tokens_total",
        "sink_batch_size_bucket",
        "sink_batch_latency_seconds_bucket",
        "sink_rows_written_total",
        "dead_letters_total",
        "kafka_consumer_lag",
    ):
        assert name in text, name
    rolling = worker.get("/dau/rolling").json()
    assert set(rolling) == {"24h", "7d", "30d"}
    assert 1 <= rolling["24h"] <= rolling["7d"] <= rolling["30d"]
