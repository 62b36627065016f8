"""Publishing accepted events to Kafka with group commit: many requests per write.

Requests hand their messages to :meth:`GroupCommitPublisher.publish` and wait. A flusher task
takes the requests waiting at that moment (up to ``group_max_events`` events) as one group and
hands it to a free lane; up to ``groups_in_flight`` groups are written at once. A group is
written as whole record batches per partition (no per-message await) and answered when every
batch is acknowledged (``acks=all``); every request of the group learns the outcome together.

``transactional`` (``PULSE_API_PUBLISH_MODE``, the default): each lane is a transactional
producer of its own (ids ``<PULSE_API_TRANSACTIONAL_ID>``, ``<id>.1``, ``<id>.2``, ...), and a
group is one transaction, committed after its acks. A commit means every event of the group is
durably in Kafka. A failure or a timeout before the commit aborts the transaction (consumers
read ``read_committed``, so they never see a part of it) and each request of the group answers
503; the commit has its own ``produce_timeout_s``, so a slow write never cuts a commit short.
Only when Kafka does not answer the commit at all is its outcome unknown: that 503 says so, and
the retry is stored once because event ids are deterministic. After a failure the lane's
producer is discarded: the next one, under the same transactional id, fences the old one,
which aborts anything it left open.

``idempotent``: one idempotent acks=all producer, no transactions; several groups share it.
A 202 still means every event is acknowledged by all in-sync replicas, but a 503 after a write
began may follow a partial write (some partitions' batches acknowledged): the 503 says so, and
the retry is stored once, because its event ids are the same and the pipeline keeps one row per
``event_id``.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from aiokafka.errors import (
    KafkaConnectionError,
    KafkaTimeoutError,
    NoBrokersAvailable,
    NodeNotReadyError,
    RequestTimedOutError,
)
from loguru import logger

from core.kafka_admin import ensure_topics
from ingest_api.config import ApiSettings, PublishMode
from ingest_api.exceptions import KafkaUnavailable
from ingest_api.metrics import ApiMetrics
from ingest_api.partitions import KeyPartitioner, send_batches
from ingest_api.partitions import Message as Message  # re-exported: callers build them from here
from ingest_api.record_batches import FastLz4Batch

ProducerFactory = Callable[[], AIOKafkaProducer]
# Failures that say the brokers cannot be reached (not that they refused this group).
UNREACHABLE = (
    TimeoutError,
    KafkaConnectionError,
    KafkaTimeoutError,
    NoBrokersAvailable,
    NodeNotReadyError,
    RequestTimedOutError,
)


@dataclass
class _Pending:
    messages: list[Message]
    future: asyncio.Future[None]


@dataclass(eq=False)
class _Lane:
    """One producer: a transactional one writes one group at a time, an idempotent one many."""

    transactional_id: str | None
    producer: AIOKafkaProducer | None = None
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def transactional_ids(base: str, count: int) -> list[str]:
    """The lanes' transactional ids: ``base`` itself first (one lane is the single-producer
    API of before), then ``base.1`` ... ``base.<count-1>``."""
    return [base] + [f"{base}.{i}" for i in range(1, count)]


class GroupCommitPublisher:
    """Writes the events of concurrent requests to Kafka in shared groups, several at once."""

    def __init__(self, settings: ApiSettings, metrics: ApiMetrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._transactional = settings.publish_mode is PublishMode.TRANSACTIONAL
        in_flight = settings.groups_in_flight
        if self._transactional:
            base = settings.kafka_transactional_id or f"pulse-ingest-{uuid4().hex}"
            self._lanes = [_Lane(t) for t in transactional_ids(base, in_flight)]
            slots = list(self._lanes)
        else:
            self._lanes = [_Lane(None)]
            slots = self._lanes * in_flight  # one shared producer, `in_flight` groups on it
        # Free slots, the one free the longest first: a transactional producer that has just
        # committed would meet CONCURRENT_TRANSACTIONS (and a 20 ms back-off) if used at once.
        self._idle: deque[_Lane] = deque(slots)
        self._slot_freed = asyncio.Event()
        self._topics_ready = False
        self._topics_lock = asyncio.Lock()
        self._queue: deque[_Pending] = deque()
        self._queued_events = 0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._writing: dict[asyncio.Task[None], list[_Pending]] = {}
        self._stopping: set[asyncio.Task[None]] = set()
        self._partitioner = KeyPartitioner()
        # After a write finds Kafka unreachable, requests are refused at once until this moment
        # (``retry_after_s`` later, the Retry-After they are told) or until Kafka answers again,
        # instead of each one waiting ``produce_timeout_s`` for brokers known to be away.
        self._unreachable_until = float("-inf")
        # Record batches lz4-compressed in fast mode, as Kafka's own producer does by default.
        self._new_batch = partial(
            FastLz4Batch, settings.kafka_max_batch_bytes, is_transactional=self._transactional
        )

    @property
    def timeout(self) -> float:
        return self._settings.produce_timeout_s

    @property
    def transactional_ids(self) -> list[str]:
        """The lanes' transactional ids (empty in ``idempotent`` mode)."""
        return [lane.transactional_id for lane in self._lanes if lane.transactional_id]

    async def start(self) -> None:
        """Start the flusher and try to connect; Kafka being down now is not an error."""
        self._task = asyncio.create_task(self._run(), name="pulse-group-commit")
        await self.prepare()

    async def prepare(self) -> bool:
        """Make sure the topics exist and every lane's producer is started; False if Kafka is
        not there."""
        try:
            await asyncio.wait_for(
                asyncio.gather(*(self._ensure_producer(lane) for lane in self._lanes)),
                self.timeout,
            )
            self._unreachable_until = float("-inf")  # Kafka answers: try writes again
            return True
        except Exception as exc:  # noqa: BLE001 - Kafka down at start-up: retried later
            logger.warning(
                "Kafka at {} is not usable yet: {!r}", self._settings.kafka_bootstrap_servers, exc
            )
            return False

    async def publish(self, messages: list[Message]) -> None:
        """Wait until ``messages`` are durably in Kafka; :class:`KafkaUnavailable` if not."""
        if not messages:
            return
        if self._task is None or self._task.done():
            raise self._unavailable("the publisher is not running")
        if self._queued_events + len(messages) > self._settings.max_pending_events:
            raise self._unavailable("too many events are waiting for Kafka")
        if time.monotonic() < self._unreachable_until:
            raise self._unavailable("Kafka could not be reached by the last write")
        pending = _Pending(messages, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        self._queued_events += len(messages)
        self._wakeup.set()
        try:
            # A lane is busy at most `timeout` writing and `timeout` committing (its producer is
            # silenced within 0.5 s after a failure, stopped in the background), and so is ours:
            # past that, ours is no longer queued or in flight. (A cancelled future is skipped
            # when its group is answered, so no shield is needed.)
            async with asyncio.timeout(4 * self.timeout + 2):
                await pending.future
        except TimeoutError:
            self._forget(pending)
            raise self._unavailable("Kafka did not answer in time") from None

    async def close(self) -> None:
        """Stop the flusher, let the groups in flight finish, refuse what is still queued,
        close the producers."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._writing:
            _, late = await asyncio.wait(list(self._writing), timeout=2 * self.timeout + 1)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        while self._queue:
            self._resolve([self._queue.popleft()], self._unavailable("the API is shutting down"))
        await asyncio.gather(*self._stopping, return_exceptions=True)  # replacements too
        for lane in self._lanes:
            await self._discard_producer(lane)

    def _unavailable(self, why: str) -> KafkaUnavailable:
        return KafkaUnavailable(
            f"{why}; nothing of this request was stored: retry it (event ids make retries safe)",
            retry_after=self._settings.retry_after_s,
        )

    def _uncommitted(self) -> KafkaUnavailable:
        return KafkaUnavailable(
            "Kafka did not confirm the commit of this request's events: retry it; if the commit "
            "did happen, the retry's events carry the same ids and are stored once",
            retry_after=self._settings.retry_after_s,
        )

    def _not_written(self) -> KafkaUnavailable:
        if self._transactional:
            return self._unavailable("Kafka did not take the events")
        return KafkaUnavailable(
            "Kafka did not acknowledge all of this request's events; some of them may be "
            "stored: retry it, the retry's events carry the same ids and each is stored once",
            retry_after=self._settings.retry_after_s,
        )

    def _forget(self, pending: _Pending) -> None:
        if pending in self._queue:
            self._queue.remove(pending)
            self._queued_events -= len(pending.messages)

    async def _run(self) -> None:
        linger = self._settings.group_linger_ms / 1000
        while True:
            await self._wakeup.wait()
            if linger and self._queued_events < self._settings.group_max_events:
                await asyncio.sleep(linger)  # let concurrent requests join this group
            while not self._idle:  # every lane busy: the group grows meanwhile
                self._slot_freed.clear()
                await self._slot_freed.wait()
            group = self._take_group()
            if not self._queue:
                self._wakeup.clear()
            if group:
                lane = self._idle.popleft()
                task = asyncio.create_task(self._commit_group(group, lane))
                self._writing[task] = group
                task.add_done_callback(self._writing.pop)

    def _take_group(self) -> list[_Pending]:
        # One group takes everything queued (up to group_max_events), even with several lanes
        # idle: splitting it into smaller transactions was measured slower on 2 cores (more
        # transactions: more API and broker CPU per request), see ingest_api/README.md.
        limit = self._settings.group_max_events
        group: list[_Pending] = []
        size = 0
        while self._queue:
            n = len(self._queue[0].messages)
            if group and size + n > limit:
                break
            group.append(self._queue.popleft())
            size += n
        self._queued_events -= size
        return group

    async def _commit_group(self, group: list[_Pending], lane: _Lane) -> None:
        try:
            await self._write_and_commit(group, lane)
        except asyncio.CancelledError:  # shutting down mid-write: the outcome is not known
            self._resolve(group, self._uncommitted())
            raise
        finally:
            self._idle.append(lane)
            self._slot_freed.set()

    async def _write_and_commit(self, group: list[_Pending], lane: _Lane) -> None:
        messages = [m for pending in group for m in pending.messages]
        started = time.perf_counter()
        used: list[AIOKafkaProducer] = []  # the producer this group went to, once known
        try:
            producer = await asyncio.wait_for(self._write(lane, messages, used), self.timeout)
        except Exception as exc:  # noqa: BLE001 - every failure means: abort, answer 503
            await self._fail(group, lane, used, exc, self._not_written())
            return
        if self._transactional:
            try:
                # Every event is already on the brokers (acks=all): only the commit is left.
                await asyncio.wait_for(producer.commit_transaction(), self.timeout)
            except Exception as exc:  # noqa: BLE001 - not committed, or not known to be
                await self._fail(group, lane, used, exc, self._uncommitted())
                return
        self._metrics.kafka_produce_latency.observe(time.perf_counter() - started)
        self._resolve(group, None)

    async def _fail(
        self,
        group: list[_Pending],
        lane: _Lane,
        used: list[AIOKafkaProducer],
        exc: Exception,
        answer: KafkaUnavailable,
    ) -> None:
        self._metrics.kafka_produce_errors.inc()
        if isinstance(exc, UNREACHABLE):
            self._unreachable_until = time.monotonic() + self._settings.retry_after_s
        count = sum(len(p.messages) for p in group)
        logger.warning("Kafka write of a group of {} events failed: {!r}", count, exc)
        # Only the producer this group used is dropped: in idempotent mode another group may
        # already have started its successor on the shared lane.
        producer = lane.producer if used and lane.producer is used[0] else None
        if producer is not None:
            lane.producer = None
            await self._silence(producer)  # before answering: it cannot commit any more
        self._resolve(group, answer)
        if producer is not None:
            task = asyncio.create_task(self._replace(lane, producer))
            self._stopping.add(task)
            task.add_done_callback(self._stopping.discard)

    async def _replace(self, lane: _Lane, failed: AIOKafkaProducer) -> None:
        """Stop a failed producer and start the lane's next one now: under the same
        transactional id it fences the old one, and the coordinator aborts the transaction left
        open, which would otherwise hold read_committed consumers back until it timed out."""
        await self._stop(failed)
        try:
            await asyncio.wait_for(self._ensure_producer(lane), self.timeout)
        except Exception as exc:  # noqa: BLE001 - Kafka still away: the next use retries
            logger.warning("Kafka producer {} not restarted yet: {!r}", lane.transactional_id, exc)

    @staticmethod
    def _resolve(group: list[_Pending], error: Exception | None) -> None:
        for pending in group:
            if pending.future.done():
                continue
            if error is None:
                pending.future.set_result(None)
            else:
                pending.future.set_exception(error)

    async def _write(
        self, lane: _Lane, messages: list[Message], used: list[AIOKafkaProducer]
    ) -> AIOKafkaProducer:
        """Put ``messages`` on the lane's producer (added to ``used``), whole batches per
        partition (inside a new transaction in ``transactional`` mode); return once every batch
        is acknowledged (acks=all), the commit still to come."""
        producer = await self._ensure_producer(lane)
        used.append(producer)
        topic = self._settings.events_topic
        await producer.client._wait_on_metadata(topic)
        by_partition = self._partitioner.split(producer, topic, messages)
        if self._transactional:
            await producer.begin_transaction()
        futures = []
        for partition, part in by_partition.items():
            futures += await send_batches(producer, topic, partition, part, self._new_batch)
        await asyncio.gather(*futures)
        return producer

    async def _ensure_producer(self, lane: _Lane) -> AIOKafkaProducer:
        async with lane.lock:
            if lane.producer is not None:
                return lane.producer
            return await self._start_producer(lane)

    async def _start_producer(self, lane: _Lane) -> AIOKafkaProducer:
        async with self._topics_lock:
            if not self._topics_ready:
                await self._create_topics()
        producer = self._new_producer(lane.transactional_id)
        try:
            await producer.start()
        except BaseException:
            await self._silence(producer)
            await self._stop(producer)
            raise
        lane.producer = producer
        logger.info("Kafka producer {} started", lane.transactional_id or "(idempotent)")
        return producer

    async def _create_topics(self) -> None:
        s = self._settings
        await ensure_topics(
            s.kafka_bootstrap_servers,
            s.topic_partitions(),
            self.timeout,
            replication=s.topic_replication,
        )
        self._topics_ready = True

    def _new_producer(self, transactional_id: str | None) -> AIOKafkaProducer:
        s = self._settings
        return AIOKafkaProducer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            client_id="pulse-ingest-api",
            acks="all",
            enable_idempotence=True,
            transactional_id=transactional_id,
            transaction_timeout_ms=int(max(3 * s.produce_timeout_s, 30) * 1000),
            compression_type="lz4",
            linger_ms=s.kafka_linger_ms,
            max_batch_size=s.kafka_max_batch_bytes,
            request_timeout_ms=int(s.produce_timeout_s * 1000),
            # Back-to-back transactions meet CONCURRENT_TRANSACTIONS while the previous commit's
            # markers are written: retry soon rather than after the default 100 ms.
            retry_backoff_ms=s.kafka_retry_backoff_ms,
        )

    async def _discard_producer(self, lane: _Lane) -> None:
        producer, lane.producer = lane.producer, None
        if producer is not None:
            await self._silence(producer)
            await self._stop(producer)

    @staticmethod
    async def _silence(producer: AIOKafkaProducer) -> None:
        """Stop the producer's sender: a failed producer must not finish its transaction later
        (aiokafka's stop() would first wait for Kafka to take the pending batches)."""
        try:
            await asyncio.wait_for(producer._sender.close(), 0.5)
        except Exception as exc:  # noqa: BLE001 - cancelled by the timeout: stopped either way
            logger.debug("Kafka producer's sender stopped by force: {!r}", exc)

    async def _stop(self, producer: AIOKafkaProducer) -> None:
        try:
            await asyncio.wait_for(producer.stop(), self.timeout)
        except Exception as exc:  # noqa: BLE001 - a broken producer is dropped either way
            logger.warning("Kafka producer did not stop cleanly: {!r}", exc)
