"""Kafka side of the worker benchmark: pre-load EventRecords, and the bare consume ceiling."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from ingest_api.publisher import Message
from ingest_api.records import to_message
from pulse.workload import WorkloadConfig, generate
from schemas.events import Event, EventRecord
from stream_processors.decoding import decode_record

FETCH_BYTES = 16 * 1024 * 1024


def workload_messages(events: int, users: int) -> Iterator[Message]:
    """``events`` generated events as the ingest API puts them on Kafka (validated, keyed)."""
    config = WorkloadConfig(users=users, days=7, events=int(events * 1.2) + 100, limit=events)
    request_id = f"bench-{uuid.uuid4().hex[:12]}"
    for raw in generate(config):
        event = Event.model_validate(raw)
        received = min(datetime.now(UTC), event.timestamp + timedelta(seconds=1))
        record = EventRecord.from_event(event, event.event_id or uuid.uuid4(), received, request_id)
        yield to_message(record)


def reader(bootstrap: str, topic: str) -> AIOKafkaConsumer:
    """A consumer of ``topic`` from its start, read_committed as the worker reads, with no group
    (nothing committed) and fetches as large as the worker's."""
    return AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=None,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        isolation_level="read_committed",
        fetch_max_bytes=FETCH_BYTES,
        max_partition_fetch_bytes=FETCH_BYTES,
    )


async def produce(bootstrap: str, topic: str, messages: list[Message]) -> float:
    """Send ``messages`` (acks=all, idempotent, lz4); the seconds it took."""
    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap,
        acks="all",
        enable_idempotence=True,
        compression_type="lz4",
        linger_ms=20,
        max_batch_size=1024 * 1024,
    )
    await producer.start()
    try:
        start = time.perf_counter()
        for m in messages:
            await producer.send(topic, m.value, key=m.key, headers=m.headers)
        await producer.flush()
        return time.perf_counter() - start
    finally:
        await producer.stop()


async def consume(
    bootstrap: str, topic: str, expected: int, decode: bool, timeout: float = 600.0
) -> tuple[int, float]:
    """Read ``topic`` from the start until ``expected`` messages; (messages, seconds).

    With ``decode``, every value also goes through the worker's own decoding (JSON and
    EventRecord validation), the per-message work a worker cannot avoid.
    """
    consumer = reader(bootstrap, topic)
    await consumer.start()
    try:
        seen = 0
        start = time.perf_counter()
        deadline = start + timeout
        while seen < expected and time.perf_counter() < deadline:
            batches = await consumer.getmany(timeout_ms=1000, max_records=20_000)
            for records in batches.values():
                seen += len(records)
                if decode:
                    for r in records:
                        decode_record(r.value)
        return seen, time.perf_counter() - start
    finally:
        await consumer.stop()
