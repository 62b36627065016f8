"""What a Kafka transaction per group commit costs, against an idempotent acks=all producer.

The API commits each group of requests in one transaction. Here aiokafka writes groups of the
API's own records, one group after the other, in both modes: a transaction per group (begin,
whole batches, wait for the acks, commit), and an idempotent acks=all producer (whole batches,
wait for the acks). The same broker, records, batching and compression; the difference is the
transaction's round trips (AddPartitionsToTxn, EndTxn) and the markers the broker writes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from functools import partial
from typing import Any

from aiokafka import AIOKafkaProducer

from bench.kafka_perf import api_records
from bench.stats import quantile, ratio
from core.kafka_admin import ensure_topics
from ingest_api.partitions import KeyPartitioner, Message, send_batches
from ingest_api.record_batches import FastLz4Batch

BATCH_BYTES = 256 * 1024  # the API's PULSE_API_KAFKA_MAX_BATCH_BYTES

GROUPS = (32, 1000)


def _producer(bootstrap: str, transactional: bool) -> AIOKafkaProducer:
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        transactional_id=f"bench-modes-{uuid.uuid4().hex}" if transactional else None,
        compression_type="lz4",
        max_batch_size=BATCH_BYTES,
        retry_backoff_ms=10,  # as the API's producer
    )


async def _groups(
    bootstrap: str, topic: str, messages: list[Message], transactional: bool, seconds: float
) -> dict[str, float]:
    producer = _producer(bootstrap, transactional)
    partitioner = KeyPartitioner()
    new_batch = partial(FastLz4Batch, BATCH_BYTES, is_transactional=transactional)  # as the API
    await producer.start()
    try:
        await producer.client._wait_on_metadata(topic)
        latencies: list[float] = []
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            started = time.perf_counter()
            if transactional:
                await producer.begin_transaction()
            futures = []
            for partition, part in partitioner.split(producer, topic, messages).items():
                futures += await send_batches(producer, topic, partition, part, new_batch)
            await asyncio.gather(*futures)
            if transactional:
                await producer.commit_transaction()
            latencies.append(time.perf_counter() - started)
    finally:
        await producer.stop()
    total = sum(latencies)
    return {
        "groups_per_s": round(len(latencies) / total, 1),
        "events_per_s": round(len(latencies) * len(messages) / total, 1),
        "p50_ms": round(quantile(latencies, 0.5) * 1000, 2),
        "p99_ms": round(quantile(latencies, 0.99) * 1000, 2),
    }


async def _measure(bootstrap: str, seconds: float) -> dict[str, Any]:
    topic = "bench.modes"
    await ensure_topics(bootstrap, {topic: 6})
    values = api_records(max(GROUPS))
    out: dict[str, Any] = {}
    for size in GROUPS:
        messages = [Message(f"bench-user-{i}".encode(), values[i]) for i in range(size)]
        txn = await _groups(bootstrap, topic, messages, True, seconds)
        idem = await _groups(bootstrap, topic, messages, False, seconds)
        out[f"group_{size}"] = {
            "transaction_per_group": txn,
            "idempotent": idem,
            "events_per_s_ratio_txn_vs_idempotent": ratio(
                txn["events_per_s"], idem["events_per_s"]
            ),
        }
    return out


def run(bootstrap: str, seconds: float) -> dict[str, Any]:
    """Both modes for each group size in :data:`GROUPS`, ``seconds`` each."""
    return asyncio.run(_measure(bootstrap, seconds))
