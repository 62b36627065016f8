"""Publishing accepted events to Kafka with group commit: one transaction for many requests.

Requests hand their messages to :meth:`GroupCommitPublisher.publish` and wait. A single flusher
task takes the requests waiting at that moment (up to ``group_max_events`` events), writes them
all inside one Kafka transaction as whole record batches per partition (no per-message await),
waits until every batch is acknowledged (``acks=all``) and commits; every request of the group
then learns the outcome together. A commit means every event of every request in the group is
durably in Kafka. A failure or a timeout before the commit aborts the transaction (consumers read
``read_committed``, so they never see a part of it) and each request of the group answers 503;
the commit itself has its own ``produce_timeout_s``, so a slow write never cuts a commit short.
Only when Kafka does not answer the commit at all is its outcome unknown: that 503 says so, and
the retry is stored once because event ids are deterministic. After a failure the producer is
discarded: the next one, under the same transactional id, fences the old one, which aborts
anything it left open.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from uuid import uuid4

from aiokafka import AIOKafkaProducer
from loguru import logger

from core.kafka_admin import ensure_topics
from ingest_api.config import ApiSettings
from ingest_api.exceptions import KafkaUnavailable
from ingest_api.metrics import ApiMetrics
from ingest_api.partitions import KeyPartitioner, send_batches
from ingest_api.partitions import Message as Message  # re-exported: callers build them from here

ProducerFactory = Callable[[], AIOKafkaProducer]


@dataclass
class _Pending:
    messages: list[Message]
    future: asyncio.Future[None]


class GroupCommitPublisher:
    """Commits the events of concurrent requests to Kafka in shared transactions."""

    def __init__(self, settings: ApiSettings, metrics: ApiMetrics) -> None:
        self._settings = settings
        self._metrics = metrics
        self._transactional_id = settings.kafka_transactional_id or f"pulse-ingest-{uuid4().hex}"
        self._producer: AIOKafkaProducer | None = None
        self._topics_ready = False
        self._queue: deque[_Pending] = deque()
        self._queued_events = 0
        self._wakeup = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._producer_lock = asyncio.Lock()
        self._partitioner = KeyPartitioner()

    @property
    def timeout(self) -> float:
        return self._settings.produce_timeout_s

    async def start(self) -> None:
        """Start the flusher and try to connect; Kafka being down now is not an error."""
        self._task = asyncio.create_task(self._run(), name="pulse-group-commit")
        await self.prepare()

    async def prepare(self) -> bool:
        """Make sure the topics exist and the producer is started; False if Kafka is not there."""
        try:
            await asyncio.wait_for(self._ensure_producer(), self.timeout)
            return True
        except Exception as exc:  # noqa: BLE001 - Kafka down at start-up: retried later
            logger.warning(
                "Kafka at {} is not usable yet: {!r}", self._settings.kafka_bootstrap_servers, exc
            )
            return False

    async def publish(self, messages: list[Message]) -> None:
        """Wait until ``messages`` are committed to Kafka; :class:`KafkaUnavailable` if not."""
        if not messages:
            return
        if self._task is None or self._task.done():
            raise self._unavailable("the publisher is not running")
        if self._queued_events + len(messages) > self._settings.max_pending_events:
            raise self._unavailable("too many events are waiting for Kafka")
        pending = _Pending(messages, asyncio.get_running_loop().create_future())
        self._queue.append(pending)
        self._queued_events += len(messages)
        self._wakeup.set()
        try:
            # The group in flight and ours each take at most `timeout` to write and `timeout`
            # to commit: past that, ours is no longer queued or in flight.
            await asyncio.wait_for(asyncio.shield(pending.future), 4 * self.timeout + 2)
        except TimeoutError:
            self._forget(pending)
            raise self._unavailable("Kafka did not answer in time") from None

    async def close(self) -> None:
        """Stop the flusher, refuse what is still queued, close the producer."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        while self._queue:
            self._resolve([self._queue.popleft()], self._unavailable("the API is shutting down"))
        await self._discard_producer()

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
            group = self._take_group()
            if not self._queue:
                self._wakeup.clear()
            if group:
                await self._commit_group(group)

    def _take_group(self) -> list[_Pending]:
        group: list[_Pending] = []
        size = 0
        while self._queue:
            n = len(self._queue[0].messages)
            if group and size + n > self._settings.group_max_events:
                break
            group.append(self._queue.popleft())
            size += n
        self._queued_events -= size
        return group

    async def _commit_group(self, group: list[_Pending]) -> None:
        messages = [m for pending in group for m in pending.messages]
        started = time.perf_counter()
        try:
            producer = await asyncio.wait_for(self._write(messages), self.timeout)
        except Exception as exc:  # noqa: BLE001 - every failure means: abort, answer 503
            await self._fail(group, exc, self._unavailable("Kafka did not take the events"))
            return
        try:
            # Every event is already on the brokers (acks=all): only the commit marker is left.
            await asyncio.wait_for(producer.commit_transaction(), self.timeout)
        except Exception as exc:  # noqa: BLE001 - not committed, or not known to be
            await self._fail(group, exc, self._uncommitted())
            return
        self._metrics.kafka_produce_latency.observe(time.perf_counter() - started)
        self._resolve(group, None)

    async def _fail(self, group: list[_Pending], exc: Exception, answer: KafkaUnavailable) -> None:
        self._metrics.kafka_produce_errors.inc()
        count = sum(len(p.messages) for p in group)
        logger.warning("Kafka transaction of {} events failed: {!r}", count, exc)
        producer, self._producer = self._producer, None
        if producer is not None:
            await self._silence(producer)  # before answering: it cannot commit any more
        self._resolve(group, answer)
        if producer is not None:
            await self._stop(producer)

    @staticmethod
    def _resolve(group: list[_Pending], error: Exception | None) -> None:
        for pending in group:
            if pending.future.done():
                continue
            if error is None:
                pending.future.set_result(None)
            else:
                pending.future.set_exception(error)

    async def _write(self, messages: list[Message]) -> AIOKafkaProducer:
        """Open a transaction and put ``messages`` in it, whole batches per partition; return
        once every batch is acknowledged (acks=all), the commit still to come."""
        producer = await self._ensure_producer()
        topic = self._settings.events_topic
        await producer.client._wait_on_metadata(topic)
        by_partition = self._partitioner.split(producer, topic, messages)
        await producer.begin_transaction()
        futures = []
        for partition, group in by_partition.items():
            futures += await send_batches(producer, topic, partition, group)
        await asyncio.gather(*futures)
        return producer

    async def _ensure_producer(self) -> AIOKafkaProducer:
        async with self._producer_lock:
            if self._producer is not None:
                return self._producer
            return await self._start_producer()

    async def _start_producer(self) -> AIOKafkaProducer:
        if not self._topics_ready:
            await self._create_topics()
        producer = self._new_producer()
        try:
            await producer.start()
        except BaseException:
            await self._silence(producer)
            await self._stop(producer)
            raise
        self._producer = producer
        logger.info("Kafka producer {} started", self._transactional_id)
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

    def _new_producer(self) -> AIOKafkaProducer:
        s = self._settings
        return AIOKafkaProducer(
            bootstrap_servers=s.kafka_bootstrap_servers,
            client_id="pulse-ingest-api",
            acks="all",
            enable_idempotence=True,
            transactional_id=self._transactional_id,
            transaction_timeout_ms=int(max(3 * s.produce_timeout_s, 30) * 1000),
            compression_type="lz4",
            linger_ms=s.kafka_linger_ms,
            max_batch_size=s.kafka_max_batch_bytes,
            request_timeout_ms=int(s.produce_timeout_s * 1000),
            # Back-to-back transactions meet CONCURRENT_TRANSACTIONS while the previous commit's
            # markers are written: retry soon rather than after the default 100 ms.
            retry_backoff_ms=s.kafka_retry_backoff_ms,
        )

    async def _discard_producer(self) -> None:
        producer, self._producer = self._producer, None
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
