"""A bounded read of a topic: every record up to the end offsets seen at the start, then stop."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from core.kafka_admin import admin_client


class DlqError(Exception):
    """Root error of the dead-letter tooling; the message says what to change."""


@dataclass(frozen=True, order=True)
class Position:
    """Where a record sits: ``partition@offset``."""

    partition: int
    offset: int

    def __str__(self) -> str:
        return f"{self.partition}@{self.offset}"


def parse_position(text: str, partition: int = 0) -> Position:
    """``"0@17"`` or ``"17"`` (in ``partition``) as a :class:`Position`."""
    part, sep, offset = text.strip().rpartition("@")
    try:
        position = Position(int(part) if sep else partition, int(offset))
    except ValueError:
        raise DlqError(f"{text!r} is not an offset: give OFFSET or PARTITION@OFFSET") from None
    if position.partition < 0 or position.offset < 0:
        raise DlqError(f"{text!r}: partition and offset must not be negative")
    return position


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic, its headers decoded."""

    position: Position
    time: datetime
    key: bytes | None
    value: bytes
    headers: dict[str, str]

    @property
    def reason(self) -> str:
        return self.headers.get("reason", "unknown")

    @property
    def error(self) -> str:
        return self.headers.get("error", "")

    @property
    def source(self) -> str:
        """``partition@offset`` of the original message in its topic."""
        partition = self.headers.get("source_partition", "?")
        return f"{partition}@{self.headers.get('source_offset', '?')}"

    @classmethod
    def from_record(cls, record: ConsumerRecord) -> DeadLetter:
        headers = {
            name: value.decode(errors="replace")
            for name, value in record.headers or ()
            if value is not None
        }
        return cls(
            position=Position(record.partition, record.offset),
            time=datetime.fromtimestamp(record.timestamp / 1000, UTC),
            key=record.key,
            value=record.value or b"",
            headers=headers,
        )


async def scan(
    bootstrap: str, topic: str, positions: Iterable[Position] = (), timeout: float = 30.0
) -> AsyncIterator[ConsumerRecord]:
    """Every committed record of ``topic`` (or only those at ``positions``), oldest first per
    partition, up to the end offsets of the start; ``DlqError`` when Kafka stops answering."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        group_id=None,
        enable_auto_commit=False,
        isolation_level="read_committed",
        auto_offset_reset="earliest",
        request_timeout_ms=int(timeout * 1000),
    )
    try:
        ids = await partition_ids(bootstrap, topic, timeout)
        if ids is None:
            raise DlqError(f"topic {topic} does not exist on this broker")
        partitions = [TopicPartition(topic, p) for p in ids]
        await asyncio.wait_for(consumer.start(), timeout)
        wanted = sorted(set(positions))
        starts = {tp: _first(wanted, tp.partition) for tp in partitions}
        tps = [tp for tp, start in starts.items() if start is not None]
        consumer.assign(tps)
        ends = await asyncio.wait_for(consumer.end_offsets(tps), timeout)
        if wanted:
            for tp in tps:
                consumer.seek(tp, starts[tp] or 0)
        else:
            await consumer.seek_to_beginning(*tps)
        only = set(wanted)
        async for record in _read_until(consumer, ends, timeout):
            if not only or Position(record.partition, record.offset) in only:
                yield record
    finally:
        await asyncio.wait_for(consumer.stop(), timeout)


async def partition_ids(bootstrap: str, topic: str, timeout: float = 10.0) -> list[int] | None:
    """The partitions of ``topic``, or None when the broker has no such topic."""
    async with admin_client(bootstrap, timeout) as admin:
        found = await asyncio.wait_for(admin.describe_topics([topic]), timeout)
    for entry in found:
        if entry["topic"] == topic and not entry["error_code"]:
            return sorted(p["partition"] for p in entry["partitions"])
    return None


def _first(wanted: list[Position], partition: int) -> int | None:
    """Where to start reading ``partition``: 0 for a full scan, None to skip it."""
    if not wanted:
        return 0
    offsets = [p.offset for p in wanted if p.partition == partition]
    return min(offsets) if offsets else None


async def _read_until(
    consumer: AIOKafkaConsumer, ends: dict[TopicPartition, int], timeout: float
) -> AsyncIterator[ConsumerRecord]:
    pending = {tp for tp, end in ends.items() if await consumer.position(tp) < end}
    last_progress = time.monotonic()
    while pending:
        batches = await consumer.getmany(*pending, timeout_ms=500, max_records=500)
        for tp, records in batches.items():
            for record in records:
                if record.offset < ends[tp]:
                    yield record
        for tp in list(pending):
            if await consumer.position(tp) >= ends[tp]:
                pending.discard(tp)
                last_progress = time.monotonic()
        if batches:
            last_progress = time.monotonic()
        elif time.monotonic() - last_progress > timeout:
            raise DlqError(f"no records from Kafka for {timeout:.0f} s; is it running?")
