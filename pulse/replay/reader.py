"""A bounded read of the events topic from a :class:`Start` to the end offsets seen at start.

The consumer has no group (``group_id=None``) and commits nothing: the worker's group and its
offsets are untouched, and a replay can run beside a live worker.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from pulse.dlq.reader import partition_ids
from pulse.replay.exceptions import ReplayError
from pulse.replay.start import Start


@dataclass(frozen=True)
class Span:
    """The offsets to replay in one partition: ``start`` up to (not including) ``end``."""

    partition: int
    start: int
    end: int

    def __len__(self) -> int:
        return max(self.end - self.start, 0)


class TopicReplay:
    """Opens a groupless consumer, resolves the spans of a :class:`Start`, reads them in batches."""

    def __init__(self, bootstrap: str, topic: str, timeout: float = 30.0) -> None:
        self.topic = topic
        self._bootstrap = bootstrap
        self._timeout = timeout
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            group_id=None,
            enable_auto_commit=False,
            isolation_level="read_committed",
            auto_offset_reset="earliest",
            request_timeout_ms=int(timeout * 1000),
        )

    async def __aenter__(self) -> TopicReplay:
        await asyncio.wait_for(self._consumer.start(), self._timeout)
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.wait_for(self._consumer.stop(), self._timeout)

    async def spans(self, start: Start) -> list[Span]:
        """What ``start`` selects, per partition, up to the current end of each."""
        ids = await partition_ids(self._bootstrap, self.topic, self._timeout)
        if ids is None:
            raise ReplayError(f"topic {self.topic} does not exist on this broker")
        if start.offsets is not None:
            unknown = sorted(set(start.offsets) - set(ids))
            if unknown:
                raise ReplayError(f"{self.topic} has partitions {ids}, not {unknown}")
            ids = sorted(start.offsets)
        tps = [TopicPartition(self.topic, p) for p in ids]
        wait = self._timeout
        ends = await asyncio.wait_for(self._consumer.end_offsets(tps), wait)
        firsts = await asyncio.wait_for(self._consumer.beginning_offsets(tps), wait)
        if start.since is not None:
            millis = int(start.since.timestamp() * 1000)
            found = await asyncio.wait_for(
                self._consumer.offsets_for_times(dict.fromkeys(tps, millis)), wait
            )
            begin = {tp: ends[tp] if found[tp] is None else found[tp].offset for tp in tps}
        else:
            begin = {tp: max(start.offsets[tp.partition], firsts[tp]) for tp in tps}  # type: ignore[index]
        return [Span(tp.partition, begin[tp], ends[tp]) for tp in tps]

    async def read(
        self, spans: list[Span], max_records: int = 2000
    ) -> AsyncIterator[tuple[list[ConsumerRecord], int]]:
        """The committed records of ``spans`` in batches (Kafka skips aborted ones), each with
        how many offsets of the spans are behind the reader by then (for a progress bar)."""
        todo = {TopicPartition(self.topic, s.partition): s for s in spans if len(s)}
        if not todo:
            return
        self._consumer.assign(list(todo))
        for tp, span in todo.items():
            self._consumer.seek(tp, span.start)
        behind = dict.fromkeys(todo, 0)
        last_progress = time.monotonic()
        while todo:
            batches = await self._consumer.getmany(*todo, timeout_ms=500, max_records=max_records)
            records = [r for tp, rs in batches.items() for r in rs if r.offset < todo[tp].end]
            for tp in list(todo):
                span = todo[tp]
                reached = min(await self._consumer.position(tp), span.end)
                behind[tp] = reached - span.start
                if reached >= span.end:
                    del todo[tp]
                    last_progress = time.monotonic()
            yield records, sum(behind.values())
            if batches:
                last_progress = time.monotonic()
            elif time.monotonic() - last_progress > self._timeout:
                raise ReplayError(
                    f"no records from Kafka for {self._timeout:.0f} s; is it running?"
                )
