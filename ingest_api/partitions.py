"""Handing aiokafka whole batches: messages split by partition, one record batch per partition.

aiokafka's ``send()`` costs a coroutine, a partitioner call (murmur2 in pure Python) and a
future per message. Here the partition of each key is computed once and remembered, the
messages of a partition are appended to record batches (``record_batches.FastLz4Batch``:
aiokafka's builder, compressed as Kafka's own producer compresses), and each batch is queued
with ``send_batch`` (one future per batch, awaited with the group). The partition of a key is
the one aiokafka's default partitioner gives it, so keys land where ``send()`` would put them.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from aiokafka import AIOKafkaProducer
from aiokafka.partitioner import murmur2
from aiokafka.producer.message_accumulator import BatchBuilder

MAX_REMEMBERED_KEYS = 200_000


@dataclass(slots=True)
class Message:
    """One Kafka message: key, value, headers. Never changed once made (not frozen only
    because a frozen dataclass costs three times as much to build, once per event)."""

    key: bytes
    value: bytes
    headers: list[tuple[str, bytes]] = field(default_factory=list)


class KeyPartitioner:
    """The default partitioner's choice (murmur2 of the key), with each key's hash remembered."""

    def __init__(self) -> None:
        self._hashes: dict[bytes, int] = {}

    def hash_of(self, key: bytes) -> int:
        found = self._hashes.get(key)
        if found is None:
            if len(self._hashes) >= MAX_REMEMBERED_KEYS:
                self._hashes.clear()
            found = self._hashes[key] = murmur2(key) & 0x7FFFFFFF
        return found

    def split(
        self, producer: AIOKafkaProducer, topic: str, messages: list[Message]
    ) -> dict[int, list[Message]]:
        """``messages`` by partition of ``topic``, each partition's in their order."""
        partitions = sorted(producer.client.cluster.partitions_for_topic(topic) or ())
        if not partitions:
            raise RuntimeError(f"topic {topic} has no partitions in the metadata")
        count = len(partitions)
        out: dict[int, list[Message]] = defaultdict(list)
        for m in messages:
            out[partitions[self.hash_of(m.key) % count]].append(m)
        return out


async def send_batches(
    producer: AIOKafkaProducer,
    topic: str,
    partition: int,
    messages: list[Message],
    new_batch: Callable[[], BatchBuilder],
) -> list[asyncio.Future[object]]:
    """Queue ``messages`` for one partition in as few record batches (each made by
    ``new_batch``) as fit; their futures."""
    futures: list[asyncio.Future[object]] = []
    batch = new_batch()
    for m in messages:
        if batch.append(key=m.key, value=m.value, timestamp=None, headers=m.headers) is None:
            if batch.record_count() == 0:
                raise ValueError(f"a message of {len(m.value)} bytes does not fit in a batch")
            futures.append(await producer.send_batch(batch, topic, partition=partition))
            batch = new_batch()
            if batch.append(key=m.key, value=m.value, timestamp=None, headers=m.headers) is None:
                raise ValueError(f"a message of {len(m.value)} bytes does not fit in a batch")
    if batch.record_count():
        futures.append(await producer.send_batch(batch, topic, partition=partition))
    return futures
